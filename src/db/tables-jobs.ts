import { sqliteTable, text, integer, primaryKey, index, uniqueIndex } from 'drizzle-orm/sqlite-core';

// ---- The service: webhook deliveries, durable scan jobs, scan results, images and tags seen.

/** Every accepted webhook event (one row per event of a delivery), stored before the 2xx is sent. */
export const webhookEvents = sqliteTable('webhook_events', {
  id: integer('id').primaryKey({ autoIncrement: true }),
  source: text('source').notNull(),
  receivedAt: integer('received_at', { mode: 'timestamp_ms' }).notNull(),
  /** push | delete | ignored */
  action: text('action').notNull(),
  registry: text('registry').notNull(),
  repository: text('repository').notNull(),
  digest: text('digest'),
  tag: text('tag'),
  mediaType: text('media_type'),
  /** the source's delivery/event id when it sends one */
  deliveryId: text('delivery_id'),
  /** queued | duplicate | ignored:<why> | deleted */
  outcome: text('outcome').notNull(),
  jobId: text('job_id'),
}, (t) => [index('webhook_events_received').on(t.receivedAt)]);

/** A scan to run. Claimed by a worker with a lease; a job whose lease expired is claimed again. */
export const jobs = sqliteTable('jobs', {
  id: text('id').primaryKey(),
  /** queued | running | succeeded | failed */
  state: text('state').notNull(),
  registry: text('registry').notNull(),
  repository: text('repository').notNull(),
  digest: text('digest'),
  tag: text('tag'),
  /** what asked for it: webhook source name or "api" */
  origin: text('origin').notNull(),
  /** registry/repository@digest for webhook jobs: one job per image however often it is announced; null for forced re-scans and tag-only events */
  dedupKey: text('dedup_key'),
  attempts: integer('attempts').notNull().default(0),
  maxAttempts: integer('max_attempts').notNull(),
  nextRunAt: integer('next_run_at', { mode: 'timestamp_ms' }).notNull(),
  leaseOwner: text('lease_owner'),
  leaseExpiresAt: integer('lease_expires_at', { mode: 'timestamp_ms' }),
  lastError: text('last_error'),
  lastErrorKind: text('last_error_kind'),
  scanId: text('scan_id'),
  createdAt: integer('created_at', { mode: 'timestamp_ms' }).notNull(),
  updatedAt: integer('updated_at', { mode: 'timestamp_ms' }).notNull(),
  finishedAt: integer('finished_at', { mode: 'timestamp_ms' }),
}, (t) => [
  uniqueIndex('jobs_dedup').on(t.dedupKey),
  index('jobs_claim').on(t.state, t.nextRunAt),
]);

/** A completed scan: the report as JSON plus summary columns for listing. */
export const scans = sqliteTable('scans', {
  id: text('id').primaryKey(),
  jobId: text('job_id'),
  registry: text('registry').notNull(),
  repository: text('repository').notNull(),
  /** the digest the reference resolved to (index or manifest) */
  digest: text('digest').notNull(),
  ref: text('ref').notNull(),
  dbVersion: text('db_version'),
  startedAt: integer('started_at', { mode: 'timestamp_ms' }).notNull(),
  finishedAt: integer('finished_at', { mode: 'timestamp_ms' }).notNull(),
  platforms: integer('platforms').notNull(),
  packages: integer('packages').notNull(),
  findings: integer('findings').notNull(),
  critical: integer('critical').notNull().default(0),
  high: integer('high').notNull().default(0),
  medium: integer('medium').notNull().default(0),
  low: integer('low').notNull().default(0),
  /** findings no loaded source rates */
  unknown: integer('unknown').notNull().default(0),
  /** ScanReport as JSON */
  report: text('report').notNull(),
}, (t) => [index('scans_digest').on(t.digest, t.finishedAt), uniqueIndex('scans_job').on(t.jobId)]);

/** Images seen in registries (by webhook or scan). */
export const images = sqliteTable('images', {
  registry: text('registry').notNull(),
  repository: text('repository').notNull(),
  digest: text('digest').notNull(),
  mediaType: text('media_type'),
  firstSeenAt: integer('first_seen_at', { mode: 'timestamp_ms' }).notNull(),
  lastSeenAt: integer('last_seen_at', { mode: 'timestamp_ms' }).notNull(),
  deletedAt: integer('deleted_at', { mode: 'timestamp_ms' }),
  lastScanId: text('last_scan_id'),
}, (t) => [primaryKey({ columns: [t.registry, t.repository, t.digest] }), index('images_digest').on(t.digest)]);

/** Tags seen, pointing at the digest they were last pushed with. */
export const tags = sqliteTable('tags', {
  registry: text('registry').notNull(),
  repository: text('repository').notNull(),
  tag: text('tag').notNull(),
  digest: text('digest'),
  updatedAt: integer('updated_at', { mode: 'timestamp_ms' }).notNull(),
  deletedAt: integer('deleted_at', { mode: 'timestamp_ms' }),
}, (t) => [primaryKey({ columns: [t.registry, t.repository, t.tag] }),
  // what changed since a time (the admission webhook's in-memory tag index)
  index('tags_updated').on(t.updatedAt), index('tags_deleted').on(t.deletedAt)]);
