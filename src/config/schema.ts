import { z } from 'zod';
import { eolSchema, hygieneSchema, secretsSchema } from './hygiene-schema.ts';
import { apiSchema, consoleSchema, harborSchema, webhooksSchema, workersSchema } from './service-schema.ts';
import { gateSchema, policySettingsSchema } from './gate-schema.ts';
import { vulndbSchema } from './vulndb-schema.ts';
import { attestationsSchema, signingSchema } from './signing-schema.ts';
import { admissionSchema } from './admission-schema.ts';
import { workloadsSchema } from './workloads-schema.ts';
import { notificationsSchema } from './notifications-schema.ts';

/** Caps on reading archives in layers (see src/analyzers/archive-budget.ts and README "Limits"). */
const ARCHIVE_DEFAULTS = {
  maxArchiveBytes: 256 * 1024 * 1024,
  maxArchiveEntries: 500_000,
  maxNestedArchives: 10_000,
  maxArchiveBytesPerLayer: 2 * 1024 * 1024 * 1024,
  maxArchiveEntriesPerLayer: 5_000_000,
  maxArchivesPerLayer: 50_000,
  maxArchiveBytesPerImage: 8 * 1024 * 1024 * 1024,
  maxArchiveEntriesPerImage: 20_000_000,
  maxArchivesPerImage: 200_000,
};

const registryCreds = z.object({
  username: z.string().optional(),
  password: z.string().optional(),
  /** a bearer token used as-is (e.g. a registry access token) */
  token: z.string().optional(),
  /** allow plain HTTP / unverified TLS for this registry (loopback is always allowed plain HTTP) */
  insecure: z.boolean().default(false),
  /** parallel connections to this registry */
  maxConnections: z.number().int().min(1).max(64).optional(),
}).strict();

export const configSchema = z.object({
  /** directory for the embedded database, the signing key and caches */
  dataDir: z.string().min(1).default('./data'),
  database: z.object({
    /** file:PATH, libsql://HOST, http(s)://HOST, postgres(ql)://USER:PASS@HOST:PORT/DB — default file:<dataDir>/customs.db */
    url: z.string().regex(/^(file:|libsql:\/\/|https?:\/\/|wss?:\/\/|postgres(ql)?:\/\/)/i, 'must start with file:, libsql://, http://, https://, ws://, wss://, postgres:// or postgresql://').optional(),
    authToken: z.string().optional(),
    /** PostgreSQL only (TLS modes also as `sslmode=` in the URL) */
    postgres: z.object({
      /** connections per Customs process */
      poolSize: z.number().int().min(2).max(200).default(10),
      /** PEM file with the CA that signed the server's certificate (turns TLS on) */
      caFile: z.string().min(1).optional(),
      /** false accepts any server certificate (testing only) */
      rejectUnauthorized: z.boolean().optional(),
      /** a statement running longer fails (and its transaction rolls back) */
      statementTimeoutMs: z.number().int().min(100).default(30_000),
    }).strict().default({ poolSize: 10, statementTimeoutMs: 30_000 }),
  }).strict().default({ postgres: { poolSize: 10, statementTimeoutMs: 30_000 } }),
  server: z.object({
    host: z.string().default('127.0.0.1'),
    port: z.number().int().min(0).max(65535).default(8080),
  }).strict().default({ host: '127.0.0.1', port: 8080 }),
  log: z.object({ level: z.enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent']).default('info') }).strict().default({ level: 'info' }),
  /** per registry host (as in references: "ghcr.io", "127.0.0.1:5000") */
  registries: z.record(z.string(), registryCreds).default({}),
  /** docker config.json for credentials; default $DOCKER_CONFIG/config.json or ~/.docker/config.json */
  dockerConfig: z.string().optional(),
  http: z.object({
    /** connect + headers timeout, ms */
    timeoutMs: z.number().int().min(100).default(30_000),
    /** idle body timeout while streaming a blob, ms */
    bodyTimeoutMs: z.number().int().min(100).default(60_000),
    /** retries for 429/5xx/connection errors */
    retries: z.number().int().min(0).max(20).default(4),
    /** first backoff, ms; doubles each retry, with jitter; Retry-After wins when given */
    backoffMs: z.number().int().min(1).default(500),
    /** ceiling of one backoff wait, ms */
    maxBackoffMs: z.number().int().min(1).default(30_000),
    /** default parallel connections per registry */
    maxConnectionsPerRegistry: z.number().int().min(1).max(64).default(6),
    /**
     * overall deadline of one registry request — retries, redirects and the whole body included — so a
     * registry trickling bytes cannot hold a scan forever (timeoutMs/bodyTimeoutMs only bound idle time)
     */
    requestDeadlineMs: z.number().int().min(100).default(120_000),
    /** a blob download may take requestDeadlineMs plus its size at this rate (bytes per second) */
    minBytesPerSecond: z.number().int().min(1).default(256 * 1024),
  }).strict().default({ timeoutMs: 30_000, bodyTimeoutMs: 60_000, retries: 4, backoffMs: 500, maxBackoffMs: 30_000, maxConnectionsPerRegistry: 6, requestDeadlineMs: 120_000, minBytesPerSecond: 256 * 1024 }),
  limits: z.object({
    /** largest manifest / index accepted */
    maxManifestBytes: z.number().int().min(1024).default(4 * 1024 * 1024),
    /** largest image config accepted */
    maxConfigBytes: z.number().int().min(1024).default(16 * 1024 * 1024),
    /** largest single file an analyzer may read into memory */
    maxFileBytes: z.number().int().min(1024).default(64 * 1024 * 1024),
    /** largest uncompressed layer */
    maxLayerBytes: z.number().int().min(1024).default(32 * 1024 * 1024 * 1024),
    /** uncompressed/compressed ratio cap, checked once more than ratioGraceBytes were inflated */
    maxCompressionRatio: z.number().min(2).default(200),
    ratioGraceBytes: z.number().int().min(0).default(64 * 1024 * 1024),
    /** tar entries in one layer */
    maxEntriesPerLayer: z.number().int().min(1).default(2_000_000),
    /** nesting depth of JSON documents from a registry */
    maxJsonDepth: z.number().int().min(4).default(64),
    /** manifests followed from one reference (index → manifests) */
    maxManifestsPerImage: z.number().int().min(1).default(256),
    // Archives inside layers (Java archives and everything nested in them; src/analyzers/archive-budget.ts).
    // Per archive: passing one stops that archive (an unread input: the inventory is incomplete).
    /** bytes inflated reading one archive and its nested archives */
    maxArchiveBytes: z.number().int().min(1024).default(ARCHIVE_DEFAULTS.maxArchiveBytes),
    /** zip entries listed in one archive and its nested archives */
    maxArchiveEntries: z.number().int().min(1).default(ARCHIVE_DEFAULTS.maxArchiveEntries),
    /** archives opened inside one archive */
    maxNestedArchives: z.number().int().min(1).default(ARCHIVE_DEFAULTS.maxNestedArchives),
    // Per layer and per image: passing one ends the scan with a limit error (exit 10).
    maxArchiveBytesPerLayer: z.number().int().min(1024).default(ARCHIVE_DEFAULTS.maxArchiveBytesPerLayer),
    maxArchiveEntriesPerLayer: z.number().int().min(1).default(ARCHIVE_DEFAULTS.maxArchiveEntriesPerLayer),
    maxArchivesPerLayer: z.number().int().min(1).default(ARCHIVE_DEFAULTS.maxArchivesPerLayer),
    maxArchiveBytesPerImage: z.number().int().min(1024).default(ARCHIVE_DEFAULTS.maxArchiveBytesPerImage),
    maxArchiveEntriesPerImage: z.number().int().min(1).default(ARCHIVE_DEFAULTS.maxArchiveEntriesPerImage),
    maxArchivesPerImage: z.number().int().min(1).default(ARCHIVE_DEFAULTS.maxArchivesPerImage),
  }).strict().default({
    maxManifestBytes: 4 * 1024 * 1024, maxConfigBytes: 16 * 1024 * 1024, maxFileBytes: 64 * 1024 * 1024,
    maxLayerBytes: 32 * 1024 * 1024 * 1024, maxCompressionRatio: 200, ratioGraceBytes: 64 * 1024 * 1024,
    maxEntriesPerLayer: 2_000_000, maxJsonDepth: 64, maxManifestsPerImage: 256, ...ARCHIVE_DEFAULTS,
  }),
  scan: z.object({
    /** layers downloaded and analysed at once for one image */
    layerConcurrency: z.number().int().min(1).max(16).default(3),
  }).strict().default({ layerConcurrency: 3 }),
  /** REST API bearer tokens and roles (src/config/service-schema.ts) */
  api: apiSchema,
  /** webhook sources, their secrets and allow-lists */
  webhooks: webhooksSchema,
  /** the operator console at / (src/console/) */
  console: consoleSchema,
  /** Harbor's pluggable scanner API (src/harbor/) */
  harbor: harborSchema,
  /** scan workers of `customs serve`: concurrency, leases, retries */
  workers: workersSchema,
  /** secret scanning of layer files and the image config (src/config/hygiene-schema.ts) */
  secrets: secretsSchema,
  /** image hygiene checks: age, disabled checks, severities */
  hygiene: hygieneSchema,
  /** end-of-life data and warning window */
  eol: eolSchema,
  /** vulnerability data feeds and refresh interval (src/config/vulndb-schema.ts) */
  vulndb: vulndbSchema,
  /** the pull gate in front of a registry (src/config/gate-schema.ts) */
  gate: gateSchema,
  /** policy evaluation and quarantine actions in the service */
  policy: policySettingsSchema,
  /** Customs' signing key and the signed attestations written back (src/config/signing-schema.ts) */
  signing: signingSchema,
  attestations: attestationsSchema,
  /** the Kubernetes validating admission webhook (src/config/admission-schema.ts) */
  admission: admissionSchema,
  /** what to fix first across the fleet (src/priorities/): the workload label or annotation giving criticality (critical|high|medium|low) */
  priorities: z.object({ criticalityLabel: z.string().min(1).max(317).default('customs.dev/criticality') }).strict().default({ criticalityLabel: 'customs.dev/criticality' }),
  /** what runs in Kubernetes: clusters listed with the Kubernetes API (src/config/workloads-schema.ts) */
  workloads: workloadsSchema,
  /** webhooks told when a newly published advisory hits a running internet-facing workload (src/config/notifications-schema.ts) */
  notifications: notificationsSchema,
}).strict();

export type Config = z.infer<typeof configSchema>;
export type RegistryCreds = z.infer<typeof registryCreds>;
export type Limits = Config['limits'];
export type HttpSettings = Config['http'];
