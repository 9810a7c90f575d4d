import { z } from 'zod';
import { parseUntrustedJson } from '../util/json.ts';
import { osvNameRewrite } from '../ecosystems/index.ts';

// OSV schema (https://ossf.github.io/osv-schema/), parsed from untrusted input. Unknown fields are
// dropped; what we keep is validated with caps so one hostile record cannot bloat the database.

const str = (max: number) => z.string().max(max);
const event = z.object({
  introduced: str(256).optional(),
  fixed: str(256).optional(),
  last_affected: str(256).optional(),
  limit: str(256).optional(),
}).refine((e) => [e.introduced, e.fixed, e.last_affected, e.limit].filter((x) => x !== undefined).length === 1,
  'an event has exactly one of introduced, fixed, last_affected, limit');

const range = z.object({
  type: z.enum(['ECOSYSTEM', 'SEMVER', 'GIT']),
  repo: str(2048).optional(),
  events: z.array(event).min(1).max(2000),
  database_specific: z.record(z.string(), z.unknown()).optional(),
});

const affected = z.object({
  package: z.object({
    ecosystem: str(256).min(1),
    name: str(1024).min(1),
    purl: str(2048).optional(),
  }).optional(),
  severity: z.array(z.object({ type: str(64), score: str(1024) })).max(20).optional(),
  ranges: z.array(range).max(500).optional(),
  versions: z.array(str(256)).max(50_000).optional(),
  ecosystem_specific: z.record(z.string(), z.unknown()).optional(),
  database_specific: z.record(z.string(), z.unknown()).optional(),
});

const osvSchema = z.object({
  schema_version: str(32).optional(),
  id: z.string().min(1).max(256).regex(/^[A-Za-z0-9][A-Za-z0-9._:-]*$/, 'id has unexpected characters'),
  modified: str(64),
  published: str(64).optional(),
  withdrawn: str(64).optional(),
  aliases: z.array(str(256)).max(1000).optional(),
  related: z.array(str(256)).max(5000).optional(),
  upstream: z.array(str(256)).max(1000).optional(),
  summary: str(4096).optional(),
  details: str(1_000_000).optional(),
  severity: z.array(z.object({ type: str(64), score: str(1024) })).max(20).optional(),
  affected: z.array(affected).max(10_000).optional(),
  database_specific: z.record(z.string(), z.unknown()).optional(),
});

export type OsvAdvisory = z.infer<typeof osvSchema>;
export type OsvAffected = z.infer<typeof affected>;
export type OsvRange = z.infer<typeof range>;
export type OsvEvent = z.infer<typeof event>;
export type OsvSeverityEntry = { type: string; score: string };

export type OsvParseResult = { ok: true; advisory: OsvAdvisory } | { ok: false; reason: string; id?: string };

/** Validate one already-parsed JSON value as an OSV advisory. Never throws. */
export function validateOsv(value: unknown): OsvParseResult {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return { ok: false, reason: 'not an object' };
  const r = osvSchema.safeParse(value);
  if (r.success) {
    // modified must be a timestamp: imports compare it to choose between duplicates
    if (Number.isNaN(Date.parse(r.data.modified))) return { ok: false, reason: 'invalid modified timestamp', id: r.data.id };
    return { ok: true, advisory: r.data };
  }
  const issue = r.error.issues[0]!;
  const id = typeof (value as any).id === 'string' ? String((value as any).id).slice(0, 256) : undefined;
  return { ok: false, reason: `schema: ${issue.path.join('.') || '(root)'}: ${issue.message}`, ...(id ? { id } : {}) };
}

/** Short, countable category of a failure reason ("schema: affected.0.ranges.0.type: ..." → "schema: affected.ranges.type"). */
export function reasonKey(reason: string): string {
  const m = /^schema: ([^:]+):/.exec(reason);
  if (m) return 'schema: ' + m[1]!.split('.').filter((p) => !/^\d+$/.test(p)).join('.');
  return reason.replace(/\(.*$/, '').trim().slice(0, 80);
}

/** Parse one advisory document (JSON text) from an untrusted source. Never throws. */
export function parseOsv(buf: Buffer | string, what: string): OsvParseResult {
  let value: unknown;
  try {
    value = parseUntrustedJson(buf, what);
  } catch (e: any) {
    return { ok: false, reason: e.kind === 'limit' ? 'JSON nested too deep' : 'invalid JSON' };
  }
  return validateOsv(value);
}

/** The ecosystem without its release suffix: "Debian:12" → "Debian", "Ubuntu:22.04:LTS" → "Ubuntu". */
export function ecosystemBase(ecosystem: string): string {
  const i = ecosystem.indexOf(':');
  return i < 0 ? ecosystem : ecosystem.slice(0, i);
}

// case-insensitive registries Customs has no ecosystem module for (those it has say so themselves)
const OTHER_CASE_INSENSITIVE = new Set(['Hex', 'Pub']);

/** Package name as indexed and looked up: as the ecosystem module says (PyPI per PEP 503, NuGet and
 *  Packagist lowercased), other case-insensitive registries lowercased. */
export function normalizePackageName(ecosystem: string, name: string): string {
  const rewrite = osvNameRewrite(ecosystem);
  if (rewrite) return rewrite(name);
  return OTHER_CASE_INSENSITIVE.has(ecosystemBase(ecosystem)) ? name.toLowerCase() : name;
}
