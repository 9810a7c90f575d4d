import { index, integer, primaryKey, sqliteTable, text } from 'drizzle-orm/sqlite-core';

/**
 * The current verdict of each image, per digest it can be pulled by: the root digest (an index or
 * a single manifest) and each platform manifest of an index, so the pull gate answers with one
 * primary-key lookup whichever digest a client asks for.
 */
export const imageVerdicts = sqliteTable('image_verdicts', {
  registry: text('registry').notNull(),
  repository: text('repository').notNull(),
  digest: text('digest').notNull(),
  rootDigest: text('root_digest').notNull(),
  /** pass | warn | fail (for a platform row: that platform's; for the root: combined) */
  verdict: text('verdict').notNull(),
  policyName: text('policy_name').notNull(),
  policyVersion: integer('policy_version').notNull(),
  /** enforce | audit */
  mode: text('mode').notNull(),
  dbVersion: text('db_version'),
  /** the first reasons as text, for the gate's error message */
  summary: text('summary').notNull(),
  /** Verdict JSON (reasons, exceptions applied) */
  details: text('details').notNull(),
  scanId: text('scan_id'),
  evaluatedAt: integer('evaluated_at', { mode: 'timestamp_ms' }).notNull(),
  /** none | quarantined | released */
  quarantine: text('quarantine').notNull().default('none'),
  /** the gate refuses pulls: quarantined under a policy whose fail actions include gate */
  gated: integer('gated', { mode: 'boolean' }).notNull().default(false),
  releasedAt: integer('released_at', { mode: 'timestamp_ms' }),
  releasedBy: text('released_by'),
  releaseReason: text('release_reason'),
}, (t) => [primaryKey({ columns: [t.registry, t.repository, t.digest] }), index('image_verdicts_root').on(t.rootDigest),
  // what changed since a time: the admission webhook's in-memory index polls for other processes' writes
  index('image_verdicts_evaluated').on(t.evaluatedAt), index('image_verdicts_released').on(t.releasedAt)]);

/** What quarantine actions did in a registry, so a release can undo exactly that. */
export const quarantineActions = sqliteTable('quarantine_actions', {
  id: integer('id').primaryKey({ autoIncrement: true }),
  registry: text('registry').notNull(),
  repository: text('repository').notNull(),
  digest: text('digest').notNull(),
  /** fail | pass: which verdict triggered it */
  trigger: text('trigger').notNull(),
  type: text('type').notNull(),
  ok: integer('ok', { mode: 'boolean' }).notNull(),
  detail: text('detail').notNull(),
  /** JSON: what undoing needs */
  undo: text('undo'),
  createdAt: integer('created_at', { mode: 'timestamp_ms' }).notNull(),
  undoneAt: integer('undone_at', { mode: 'timestamp_ms' }),
}, (t) => [index('quarantine_actions_image').on(t.registry, t.repository, t.digest)]);

/** OpenVEX documents imported as exceptions (the statements are parsed again when evaluating). */
export const vexDocuments = sqliteTable('vex_documents', {
  id: integer('id').primaryKey({ autoIncrement: true }),
  /** the document's @id */
  docId: text('doc_id').notNull(),
  content: text('content').notNull(),
  importedAt: integer('imported_at', { mode: 'timestamp_ms' }).notNull(),
  importedBy: text('imported_by').notNull(),
}, (t) => [index('vex_documents_doc').on(t.docId)]);
