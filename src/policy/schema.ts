// The policy document a platform team writes (YAML or JSON), validated with messages that name the
// field and say why. Rules are a list of typed entries so that adding a rule type touches one place.
import { z } from 'zod';

const SEVERITIES = ['low', 'medium', 'high', 'critical'] as const;
export type SeverityName = (typeof SEVERITIES)[number];
const severity = z.enum(SEVERITIES);
/** what a breached rule does to the verdict */
const outcome = z.enum(['fail', 'warn']).default('fail');
const glob = z.string().min(1).max(500);
/** an ISO date (2026-12-31) or date-time */
const isoDate = z.string().refine((s) => /^\d{4}-\d{2}-\d{2}(T.*)?$/.test(s) && !Number.isNaN(Date.parse(s)), 'must be an ISO date such as 2026-12-31');
const name = z.string().regex(/^[a-z0-9][a-z0-9._-]{0,62}$/, 'lower-case letters, digits, ".", "_" or "-", at most 63 characters');

const base = { outcome, description: z.string().max(500).optional() };

const rule = z.discriminatedUnion('type', [
  /** vulnerabilities above a severity (or CVSS score) breach the rule */
  z.object({
    type: z.literal('vulnerabilities'),
    maxSeverity: severity.optional(),
    maxCvss: z.number().min(0).max(10).optional(),
    /** only findings with a fixed version count */
    onlyFixed: z.boolean().default(false),
    /** only findings whose fix is older than this many days (advisory published/modified date) */
    fixedForDays: z.number().int().min(0).optional(),
    ...base,
  }).strict().refine((r) => r.maxSeverity !== undefined || r.maxCvss !== undefined, 'give maxSeverity or maxCvss'),
  z.object({ type: z.literal('kev'), ...base }).strict(),
  z.object({ type: z.literal('epss'), above: z.number().min(0).max(1), ...base }).strict(),
  z.object({ type: z.literal('secrets'), minSeverity: severity.default('low'), ...base }).strict(),
  z.object({ type: z.literal('root-user'), ...base }).strict(),
  z.object({ type: z.literal('eol-os'), ...base }).strict(),
  z.object({
    type: z.literal('deny-packages'),
    /** "name" or "type:name", optionally "@<version glob>": "openssl", "npm:event-stream@3.3.6", "log4j-core@2.1*" */
    packages: z.array(z.string().min(1).max(300)).min(1),
    ...base,
  }).strict(),
  z.object({ type: z.literal('deny-vulnerabilities'), ids: z.array(z.string().min(1).max(100)).min(1), ...base }).strict(),
  z.object({ type: z.literal('deny-licenses'), licenses: z.array(z.string().min(1).max(100)).min(1), ...base }).strict(),
  z.object({ type: z.literal('image-age'), maxDays: z.number().int().min(1), ...base }).strict(),
  /** packages no loaded advisory data could judge: those of the distribution (os) or any (all) */
  z.object({ type: z.literal('advisory-coverage'), require: z.enum(['os', 'all']).default('os'), ...base }).strict(),
  /** signature requirements; authorities are checked by the signature verifier */
  z.object({
    type: z.literal('signature'),
    authorities: z.array(z.object({
      name: z.string().min(1).max(100),
      /** PEM public key */
      key: z.string().optional(),
      /** keyless: issuer and subject, exact or /regex/ */
      keyless: z.object({ issuer: z.string().min(1), subject: z.string().min(1) }).strict().optional(),
    }).strict().refine((a) => !!a.key !== !!a.keyless, 'give exactly one of key or keyless')).min(1),
    /** how many authorities must match (default all) */
    threshold: z.number().int().min(1).optional(),
    ...base,
  }).strict(),
]);

const exception = z.object({
  /** vulnerability id or any of its aliases */
  id: z.string().min(1).max(100),
  /** package name, when the exception is for one package only */
  package: z.string().min(1).max(300).optional(),
  /** repository glob, when the exception is for some repositories only */
  repository: glob.optional(),
  justification: z.string().min(1).max(2000),
  owner: z.string().min(1).max(200),
  expires: isoDate,
}).strict();

const action = z.discriminatedUnion('type', [
  z.object({ type: z.literal('gate') }).strict(),
  z.object({ type: z.literal('move'), repository: z.string().min(1).max(255) }).strict(),
  z.object({ type: z.literal('untag') }).strict(),
  z.object({ type: z.literal('tag'), suffix: z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/, 'a tag suffix: letters, digits, "_", "." or "-"') }).strict(),
  z.object({ type: z.literal('notify'), url: z.url() }).strict(),
]);

export const policySchema = z.object({
  apiVersion: z.literal('customs.dev/v1'),
  kind: z.literal('Policy'),
  metadata: z.object({ name, description: z.string().max(1000).optional() }).strict(),
  spec: z.object({
    mode: z.enum(['enforce', 'audit']).default('enforce'),
    scope: z.object({
      registries: z.array(glob).min(1).default(['**']),
      repositories: z.array(glob).min(1).default(['**']),
    }).strict().default({ registries: ['**'], repositories: ['**'] }),
    rules: z.array(rule).default([]),
    exceptions: z.array(exception).default([]),
    /** what an image that was never scanned gets at the gate */
    missingScan: z.enum(['fail', 'warn', 'pass']).default('warn'),
    /** an image whose inventory is incomplete (a package database too big or unreadable): never a silent pass */
    incompleteInventory: z.enum(['fail', 'warn', 'pass']).default('fail'),
    actions: z.object({
      fail: z.array(action).default([]),
      pass: z.array(action).default([]),
      /** a released image that fails again is quarantined again (default: reported only) */
      requarantineReleased: z.boolean().default(false),
    }).strict().default({ fail: [], pass: [], requarantineReleased: false }),
  }).strict(),
}).strict();

export type Policy = z.infer<typeof policySchema>;
export type PolicyRule = Policy['spec']['rules'][number];
export type PolicyException = Policy['spec']['exceptions'][number];
export type PolicyAction = Policy['spec']['actions']['fail'][number];

export const SEVERITY_ORDER: Record<string, number> = { unknown: 0, none: 0, low: 1, medium: 2, high: 3, critical: 4 };
