import { z } from 'zod';

/**
 * A client that pulls whatever the verdict (Customs itself, scanners): HTTP Basic with this user and
 * a secret Customs checks. Exactly one source of the secret; Customs keeps only its sha256.
 */
const bypassCredential = z.object({
  user: z.string().min(1).max(200).regex(/^[^:\s]+$/, 'a Basic-auth user name: no ":" and no spaces'),
  /** "sha256:<hex>" of the secret — for long random secrets (a fast hash: no use for a guessable password) */
  passwordHash: z.string().regex(/^sha256:[a-f0-9]{64}$/, 'must be "sha256:" and 64 lower-case hex digits (the sha256 of the secret)').optional(),
  /** a file holding the secret (one trailing newline is ignored), read when the gate starts */
  passwordFile: z.string().min(1).optional(),
  /** an environment variable holding the secret, read when the gate starts */
  passwordEnv: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'must be an environment variable name').optional(),
}).strict().refine((c) => [c.passwordHash, c.passwordFile, c.passwordEnv].filter((x) => x !== undefined).length === 1,
  'give exactly one of passwordHash, passwordFile, passwordEnv');

export type BypassCredentialConfig = z.infer<typeof bypassCredential>;

/** The pull gate: a registry front (`/v2/`) that refuses quarantined images (src/gate/). */
export const gateSchema = z.object({
  enabled: z.boolean().default(false),
  host: z.string().default('127.0.0.1'),
  port: z.number().int().min(0).max(65535).default(5080),
  /** the registry behind the gate, e.g. http://127.0.0.1:5000 or https://registry.internal */
  upstream: z.string().regex(/^https?:\/\/[^/]+\/?$/, 'must be http(s)://host[:port]').optional(),
  /** the registry name scans and webhooks use for the upstream (default: its host:port) */
  registry: z.string().optional(),
  /** clients that pull whatever the verdict, each proving a secret (see bypassCredential) */
  bypass: z.array(bypassCredential).default([]),
  /** removed: it trusted the Basic-auth user name without its password */
  bypassUsers: z.unknown().refine((v) => v === undefined,
    'no longer accepted: it trusted the user name without checking a password. Use gate.bypass: [{ user: NAME, passwordFile: PATH }] (or passwordEnv: VAR, or passwordHash: "sha256:<hex>")').optional(),
  /** client addresses that pull whatever the verdict */
  bypassIps: z.array(z.string().min(1)).default([]),
  /** wait this long for a scan of an unscanned image (when scanOnPull queued one, or its policy refuses unscanned images) */
  waitForScanMs: z.number().int().min(0).max(600_000).default(0),
  /**
   * a digest pulled from a repository where Customs has no verdict for it (webhooks missed, a
   * repository it never heard of): queue a scan of it there (then waitForScanMs, then missingScan
   * decides). A digest quarantined in another repository is refused whatever this says.
   */
  scanOnPull: z.boolean().default(true),
  /** let pushes (POST/PUT/PATCH/DELETE) through to the upstream */
  allowPush: z.boolean().default(false),
}).strict().default({ enabled: false, host: '127.0.0.1', port: 5080, bypass: [], bypassIps: [], waitForScanMs: 0, scanOnPull: true, allowPush: false });

export type GateConfig = z.infer<typeof gateSchema>;

/** Policy evaluation in the service. */
export const policySettingsSchema = z.object({
  /** how often the service checks for policy or vulnerability database changes to re-evaluate stored images */
  reevaluateIntervalMs: z.number().int().min(1000).default(15_000),
  /** run policy actions (move, untag, tag, notify) on every verdict (scans, re-evaluations, signature pushes); false = record verdicts, change nothing in the registry */
  actions: z.boolean().default(true),
  /** a stored scan this old without a verdict (the process died between the two) is judged by the watcher */
  unjudgedAfterMs: z.number().int().min(1000).default(120_000),
}).strict().default({ reevaluateIntervalMs: 15_000, actions: true, unjudgedAfterMs: 120_000 });
