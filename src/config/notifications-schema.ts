import { z } from 'zod';

// Notifications out (src/notify/): a webhook receives a CloudEvent when a newly published advisory
// hits an image that runs in an internet-facing workload. Mounted under the top-level key `notifications`.

const webhookSchema = z.object({
  /** names the receiver in logs */
  name: z.string().min(1).max(63).regex(/^[A-Za-z0-9._-]+$/, 'letters, digits, ".", "_", "-"'),
  url: z.url({ protocol: /^https?$/, error: 'an http(s) URL' }),
  /** the HMAC-SHA256 key the receiver verifies the signature with (at least 32 characters) */
  secret: z.string().min(32, 'at least 32 characters (an HMAC-SHA256 key)'),
  /** one delivery attempt may take this long */
  timeoutMs: z.number().int().min(100).max(60_000).default(10_000),
  /** attempts before the event is dropped (logged), with doubling backoff from 1 s */
  attempts: z.number().int().min(1).max(10).default(4),
  /** only advisories at or above this severity */
  minSeverity: z.enum(['unknown', 'low', 'medium', 'high', 'critical']).default('unknown'),
}).strict();

export const notificationsSchema = z.object({
  webhooks: z.array(webhookSchema).max(20).default([]),
}).strict().default({ webhooks: [] });

export type NotificationsConfig = z.infer<typeof notificationsSchema>;
export type WebhookTarget = z.infer<typeof webhookSchema>;
