import { index, integer, sqliteTable, text, uniqueIndex } from 'drizzle-orm/sqlite-core';

/**
 * Every version of every policy, append-only: applying a policy adds version n+1, deleting it adds
 * a tombstone version. The current policy of a name is its highest version, unless that is deleted.
 */
export const policyVersions = sqliteTable('policy_versions', {
  id: integer('id').primaryKey({ autoIncrement: true }),
  name: text('name').notNull(),
  version: integer('version').notNull(),
  /** the validated policy as JSON (defaults filled in); null for a deletion */
  document: text('document'),
  /** the text as applied (YAML or JSON), for `policy show` */
  source: text('source'),
  deleted: integer('deleted', { mode: 'boolean' }).notNull().default(false),
  createdAt: integer('created_at', { mode: 'timestamp_ms' }).notNull(),
  /** who applied it: API token name, or "cli:<user>" */
  createdBy: text('created_by').notNull(),
}, (t) => [uniqueIndex('policy_versions_name_version').on(t.name, t.version)]);

/** Append-only record of decisions: policy changes, quarantines, releases. */
export const auditLog = sqliteTable('audit_log', {
  id: integer('id').primaryKey({ autoIncrement: true }),
  at: integer('at', { mode: 'timestamp_ms' }).notNull(),
  actor: text('actor').notNull(),
  /** policy.apply, policy.delete, quarantine, release, ... */
  action: text('action').notNull(),
  /** what it was about: a policy name, an image digest */
  subject: text('subject').notNull(),
  reason: text('reason'),
  /** JSON details */
  details: text('details'),
}, (t) => [index('audit_log_subject').on(t.subject)]);
