import { z } from 'zod';
import { CHECKS } from '../hygiene/checks.ts';

// Configuration of the checks beyond CVEs: secrets, image hygiene, end of life. Mounted under
// top-level keys of configSchema (src/config/schema.ts).

const severity = z.enum(['low', 'medium', 'high', 'critical']);

const regex = z.string().min(1).max(2000).refine((s) => { try { new RegExp(s); return true; } catch { return false; } }, 'not a valid regular expression');

const secretRule = z.object({
  id: z.string().regex(/^[a-z0-9][a-z0-9._-]{0,63}$/, 'lower-case id: letters, digits, . _ -'),
  title: z.string().min(1),
  severity: severity.default('high'),
  /** lower-cased substrings; the regex runs only on text containing one (keep the scan fast) */
  keywords: z.array(z.string().min(2)).min(1).transform((ks) => ks.map((k) => k.toLowerCase())),
  /** JavaScript regex; capture group 1 (when present) is the secret. Use bounded quantifiers. */
  regex,
  flags: z.string().regex(/^[imsu]*$/).optional(),
  entropy: z.number().min(0).max(8).optional(),
  allow: z.array(regex).optional(),
}).strict();

export const secretsSchema = z.object({
  enabled: z.boolean().default(true),
  /** largest file scanned for secrets (bytes) */
  maxFileBytes: z.number().int().min(1024).max(64 * 1024 * 1024).default(2 * 1024 * 1024),
  /** extra rules (a rule with a default rule's id replaces it) */
  rules: z.array(secretRule).default([]),
  /** values matching one of these are not reported */
  allow: z.array(regex).default([]),
  /** files whose absolute path matches one of these are not scanned */
  allowPaths: z.array(regex).default([]),
}).strict().default({ enabled: true, maxFileBytes: 2 * 1024 * 1024, rules: [], allow: [], allowPaths: [] });

const checkId = z.string().refine((id) => CHECKS.some((c) => c.id === id), { message: `unknown check id (known: ${CHECKS.map((c) => c.id).join(', ')})` });

export const hygieneSchema = z.object({
  /** an image built longer ago than this is reported (image-too-old) */
  maxAgeDays: z.number().int().min(1).default(365),
  /** check ids not run, e.g. ["shell-present"] */
  disabled: z.array(checkId).default([]),
  /** severity per check id, replacing the default */
  severity: z.record(checkId, severity).default({}),
}).strict().default({ maxAgeDays: 365, disabled: [], severity: {} });

export const eolSchema = z.object({
  /** an end of life closer than this many days is reported as approaching */
  warnDays: z.number().int().min(0).default(90),
  /** endoflife.date-format data fetched by `customs eol update` (default <dataDir>/eol.json; the shipped data otherwise) */
  file: z.string().optional(),
  /** base URL of the endoflife.date API */
  url: z.string().url().default('https://endoflife.date/api'),
}).strict().default({ warnDays: 90, url: 'https://endoflife.date/api' });
