import { sqliteTable, text, integer, primaryKey } from 'drizzle-orm/sqlite-core';

/**
 * Per-layer analysis results. Keyed by the layer's (compressed) digest and the analyzer set with
 * versions, so a new analyzer version invalidates exactly what it must.
 */
export const layerAnalysis = sqliteTable('layer_analysis', {
  layerDigest: text('layer_digest').notNull(),
  analyzersKey: text('analyzers_key').notNull(),
  /** LayerResult as JSON */
  result: text('result').notNull(),
  createdAt: integer('created_at', { mode: 'timestamp_ms' }).notNull(),
  lastUsedAt: integer('last_used_at', { mode: 'timestamp_ms' }).notNull(),
}, (t) => [primaryKey({ columns: [t.layerDigest, t.analyzersKey] })]);

// ---- Vulnerability database (OSV). Readers always go through vuln_current: a new import fills rows
// under its own import id, then one transaction switches the pointer; old rows are deleted after.

/** One import run of advisories from one or more sources. */
export const vulnImport = sqliteTable('vuln_import', {
  id: integer('id').primaryKey({ autoIncrement: true }),
  /** JSON array of the sources (paths) imported */
  sources: text('sources').notNull(),
  /** running | complete | failed | superseded */
  status: text('status').notNull(),
  startedAt: integer('started_at', { mode: 'timestamp_ms' }).notNull(),
  finishedAt: integer('finished_at', { mode: 'timestamp_ms' }),
  advisories: integer('advisories').notNull().default(0),
  withdrawn: integer('withdrawn').notNull().default(0),
  skipped: integer('skipped').notNull().default(0),
  /** JSON: reason → count */
  skipReasons: text('skip_reasons').notNull().default('{}'),
  /** JSON: ecosystem base name → advisories */
  ecosystems: text('ecosystems').notNull().default('{}'),
  maxModified: text('max_modified'),
  error: text('error'),
});

/** Single row (id = 1): the import readers use. */
export const vulnCurrent = sqliteTable('vuln_current', {
  id: integer('id').primaryKey(),
  importId: integer('import_id').notNull(),
  switchedAt: integer('switched_at', { mode: 'timestamp_ms' }).notNull(),
});

/** One advisory of one import. */
export const vulnAdvisory = sqliteTable('vuln_advisory', {
  importId: integer('import_id').notNull(),
  id: text('id').notNull(),
  /** JSON array */
  aliases: text('aliases').notNull(),
  /** JSON array (OSV `upstream`) */
  upstream: text('upstream').notNull().default('[]'),
  summary: text('summary'),
  /** Severity as JSON */
  severity: text('severity').notNull(),
  modified: text('modified').notNull(),
  published: text('published'),
  /** OSV affected[] as JSON */
  affected: text('affected').notNull(),
}, (t) => [primaryKey({ columns: [t.importId, t.id] })]);

/** Lookup index: which advisories of an import name a package (ecosystem base + normalised name). */
export const vulnAffected = sqliteTable('vuln_affected', {
  importId: integer('import_id').notNull(),
  /** "Debian", "Go", "PyPI" (release suffix stripped) */
  ecosystem: text('ecosystem').notNull(),
  /** normalised package name (PEP 503 for PyPI) */
  name: text('name').notNull(),
  advisoryId: text('advisory_id').notNull(),
}, (t) => [primaryKey({ columns: [t.importId, t.ecosystem, t.name, t.advisoryId] })]);
export * from './tables-jobs.ts';
export * from './tables-policy.ts';
export * from './tables-verdicts.ts';
export * from './tables-vulnfeeds.ts';
export * from './tables-signing.ts';
export * from './tables-leases.ts';
export * from './tables-publications.ts';
