import { index, integer, primaryKey, sqliteTable, text } from 'drizzle-orm/sqlite-core';

/**
 * The publication outbox: an image whose published verdict (signed attestations, status tag) is
 * behind its stored verdict. A row is written in the same transaction as the verdict that makes it
 * due, so a crash between the verdict and the registry writes loses nothing; the publisher
 * (src/publish/publisher.ts) drains it, retrying with backoff until the registry has it. One row per
 * image: later verdicts only bump `generation`, so a publication in flight never deletes newer work.
 */
export const publications = sqliteTable('publications', {
  registry: text('registry').notNull(),
  repository: text('repository').notNull(),
  /** the root digest of the image */
  digest: text('digest').notNull(),
  /** verdict: only the verdict statement (and status tag) is behind; all: the findings changed too */
  statements: text('statements').notNull(),
  /** incremented by every verdict that makes the row due again */
  generation: integer('generation').notNull().default(1),
  dueAt: integer('due_at', { mode: 'timestamp_ms' }).notNull(),
  attempts: integer('attempts').notNull().default(0),
  lastError: text('last_error'),
  leaseOwner: text('lease_owner'),
  leaseExpiresAt: integer('lease_expires_at', { mode: 'timestamp_ms' }),
  createdAt: integer('created_at', { mode: 'timestamp_ms' }).notNull(),
}, (t) => [primaryKey({ columns: [t.registry, t.repository, t.digest] }), index('publications_due').on(t.dueAt)]);
