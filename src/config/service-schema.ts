import { z } from 'zod';

// Configuration of the service (`customs serve`): API tokens, webhook sources, workers, write-back.
// Kept here and mounted under top-level keys of configSchema so the shared schema file stays small.

export const WEBHOOK_SOURCES = ['distribution', 'harbor', 'ecr', 'github', 'dockerhub', 'quay', 'acr', 'gar', 'zot'] as const;
export type WebhookSource = typeof WEBHOOK_SOURCES[number];

const webhookSource = z.object({
  /** shared secret: accepted as `Authorization: Bearer <secret>`, the verbatim Authorization value,
   *  the `header` below, or `?token=` (for senders that cannot set headers); GitHub: the HMAC key */
  secret: z.string().min(8).optional(),
  /** another header carrying the secret (e.g. x-customs-token) */
  header: z.string().optional(),
  /** source addresses allowed (IPs or CIDRs); empty = any */
  allowIps: z.array(z.string()).default([]),
  /** registry host[:port] to scan from instead of the payload's own host (e.g. behind a proxy); required
   *  for zot, whose events never name its host */
  registry: z.string().regex(/^[A-Za-z0-9.-]+(:[0-9]{1,5})?$/, 'a registry host[:port] as in image references, e.g. zot.internal:5000').optional(),
  /** SNS (ECR): PEM certificate used instead of fetching SigningCertURL (tests, air-gapped) */
  snsCertificatePem: z.string().optional(),
}).strict();

export const webhooksSchema = z.object({
  /** largest webhook body accepted */
  maxBodyBytes: z.number().int().min(1024).default(1024 * 1024),
  /** enabled sources; a source not listed answers 404 */
  sources: z.partialRecord(z.enum(WEBHOOK_SOURCES), webhookSource).default({}),
}).strict().superRefine((w, ctx) => {
  // zot's CloudEvents always say source "zotregistry.dev", whatever the registry's address: without
  // this setting every zot push would be queued for a host that is not the registry.
  if (w.sources.zot && !w.sources.zot.registry) {
    ctx.addIssue({ code: 'custom', path: ['sources', 'zot', 'registry'], message: 'required: zot events do not say which host they come from (their source is always "zotregistry.dev"); set the host[:port] Customs pulls from, e.g. zot.internal:5000' });
  }
}).default({ maxBodyBytes: 1024 * 1024, sources: {} });

export const apiSchema = z.object({
  /** bearer tokens of the REST API; with none configured the API is open (loopback setups) */
  tokens: z.array(z.object({
    name: z.string().min(1),
    token: z.string().min(16),
    role: z.enum(['reader', 'operator', 'admin']),
  }).strict()).default([]),
}).strict().default({ tokens: [] });

export const consoleSchema = z.object({
  /** the operator console at / (sign-in with an API token; src/console/) */
  enabled: z.boolean().default(true),
}).strict().default({ enabled: true });

export const harborSchema = z.object({
  /** serve Harbor's pluggable scanner API under /harbor/api/v1 (src/harbor/) */
  enabled: z.boolean().default(true),
  /**
   * registry hosts (host[:port], as in Harbor's registry URL) Harbor may ask Customs to pull from:
   * a scan request names a registry URL, so without this list any token holder could make Customs
   * fetch from anywhere. Empty: every scan request is refused (422).
   */
  registries: z.array(z.string().min(1).max(255).regex(/^[A-Za-z0-9.-]+(:\d{1,5})?$|^\[[0-9A-Fa-f:.]+\](:\d{1,5})?$/, 'host[:port]')).default([]),
  /** seconds Harbor is told to wait (Refresh-After) while a scan runs; Harbor reads it as an 8-bit integer */
  refreshAfterSeconds: z.number().int().min(1).max(127).default(5),
}).strict().default({ enabled: true, registries: [], refreshAfterSeconds: 5 });

export const workersSchema = z.object({
  /** images scanned at once by this process */
  concurrency: z.number().int().min(0).max(64).default(2),
  /** images scanned at once from one registry by this process */
  perRegistry: z.number().int().min(1).max(64).default(2),
  /** a claimed job's lease; renewed every leaseMs/3 while scanning */
  leaseMs: z.number().int().min(1000).default(60_000),
  /** how often idle workers look for due jobs */
  pollMs: z.number().int().min(10).default(1000),
  maxAttempts: z.number().int().min(1).max(100).default(6),
  /** first retry delay; doubles per attempt with jitter */
  backoffMs: z.number().int().min(1).default(5_000),
  maxBackoffMs: z.number().int().min(1).default(600_000),
  /** on SIGTERM: wait this long for running scans, then release their leases */
  shutdownMs: z.number().int().min(0).default(20_000),
  /** overall deadline of one scan (every registry request of it aborts then); the job fails as transient and is retried */
  scanTimeoutMs: z.number().int().min(1000).default(1_800_000),
  /** write `sha256-<hex>.scan` status tags back to the registry */
  statusTags: z.boolean().default(false),
  /** `customs serve` runs `db update` every vulndb.refreshIntervalMs */
  vulndbRefresh: z.boolean().default(true),
}).strict().default({
  concurrency: 2, perRegistry: 2, leaseMs: 60_000, pollMs: 1000, maxAttempts: 6, backoffMs: 5_000,
  maxBackoffMs: 600_000, shutdownMs: 20_000, scanTimeoutMs: 1_800_000, statusTags: false, vulndbRefresh: true,
});

export type WebhookSourceConfig = z.infer<typeof webhookSource>;
export type WebhooksConfig = z.infer<typeof webhooksSchema>;
export type ApiConfig = z.infer<typeof apiSchema>;
export type WorkersConfig = z.infer<typeof workersSchema>;
