import { z } from 'zod';

/** The pull gate: a registry front (`/v2/`) that refuses quarantined images (src/gate/). */
export const gateSchema = z.object({
  enabled: z.boolean().default(false),
  host: z.string().default('127.0.0.1'),
  port: z.number().int().min(0).max(65535).default(5080),
  /** the registry behind the gate, e.g. http://127.0.0.1:5000 or https://registry.internal */
  upstream: z.string().regex(/^https?:\/\/[^/]+\/?$/, 'must be http(s)://host[:port]').optional(),
  /** the registry name scans and webhooks use for the upstream (default: its host:port) */
  registry: z.string().optional(),
  /** Basic-auth user names that pull whatever the verdict (Customs itself, scanners) */
  bypassUsers: z.array(z.string().min(1)).default([]),
  /** client addresses that pull whatever the verdict */
  bypassIps: z.array(z.string().min(1)).default([]),
  /** wait this long for a scan of an unscanned image when its policy refuses unscanned images */
  waitForScanMs: z.number().int().min(0).max(600_000).default(0),
  /** let pushes (POST/PUT/PATCH/DELETE) through to the upstream */
  allowPush: z.boolean().default(false),
}).strict().default({ enabled: false, host: '127.0.0.1', port: 5080, bypassUsers: [], bypassIps: [], waitForScanMs: 0, allowPush: false });

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
