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

// ---- Vulnerability database (OSV and severity sources), one source at a time. Readers go through
// vuln_source: an import fills rows under its own import id, then one transaction points the source
// at it and moves vuln_current (the database generation); replaced rows are deleted after.

/** One import run of one source (or, before per-source imports, of several paths at once). */
export const vulnImport = sqliteTable('vuln_import', {
  id: integer('id').primaryKey({ autoIncrement: true }),
  /** JSON array of the sources (paths) imported */
  sources: text('sources').notNull(),
  /** the source name this import replaces (null for imports made before per-source imports) */
  source: text('source'),
  /** running | complete | failed | superseded | deleted | removal */
  status: text('status').notNull(),
  startedAt: integer('started_at', { mode: 'timestamp_ms' }).notNull(),
  finishedAt: integer('finished_at', { mode: 'timestamp_ms' }),
  advisories: integer('advisories').notNull().default(0),
  /** severity records (NVD, CVE 5, GHSA ratings) */
  severities: integer('severities').notNull().default(0),
  withdrawn: integer('withdrawn').notNull().default(0),
  skipped: integer('skipped').notNull().default(0),
  /** JSON: reason → count */
  skipReasons: text('skip_reasons').notNull().default('{}'),
  /** JSON: ecosystem base name → advisories */
  ecosystems: text('ecosystems').notNull().default('{}'),
  maxModified: text('max_modified'),
  error: text('error'),
});

/** Single row (id = 1): the database generation — the id of the last import or removal switched in.
 *  Scans record it in their database version, so any source changing makes stored scans re-match. */
export const vulnCurrent = sqliteTable('vuln_current', {
  id: integer('id').primaryKey(),
  importId: integer('import_id').notNull(),
  switchedAt: integer('switched_at', { mode: 'timestamp_ms' }).notNull(),
});

/** The sources loaded now: each points at the import readers use for it. */
export const vulnSource = sqliteTable('vuln_source', {
  /** a configured feed URL (without credentials) or an imported path's canonical name */
  name: text('name').primaryKey(),
  importId: integer('import_id').notNull(),
  advisories: integer('advisories').notNull().default(0),
  severities: integer('severities').notNull().default(0),
  /** JSON: severity kind (nvd, nvd-secondary, ghsa, cve5-cna, cve5-adp) → records */
  severityKinds: text('severity_kinds').notNull().default('{}'),
  /** JSON: ecosystem base name → advisories */
  ecosystems: text('ecosystems').notNull().default('{}'),
  maxModified: text('max_modified'),
  updatedAt: integer('updated_at', { mode: 'timestamp_ms' }).notNull(),
});

/** Ratings of one vulnerability id (CVE-… / GHSA-…) by one kind of source, per import. */
export const vulnSeverity = sqliteTable('vuln_severity', {
  importId: integer('import_id').notNull(),
  id: text('id').notNull(),
  /** nvd | nvd-secondary | ghsa | cve5-cna | cve5-adp */
  kind: text('kind').notNull(),
  /** Severity as JSON (rating, score, vector, provider, record) */
  severity: text('severity').notNull(),
  modified: text('modified'),
}, (t) => [primaryKey({ columns: [t.importId, t.id, t.kind] })]);

/** One advisory of one import. */
export const vulnAdvisory = sqliteTable('vuln_advisory', {
  importId: integer('import_id').notNull(),
  id: text('id').notNull(),
  /** JSON array */
  aliases: text('aliases').notNull(),
  /** JSON array (OSV `upstream`) */
  upstream: text('upstream').notNull().default('[]'),
  summary: text('summary'),
  /** the record's own rating as JSON: {cvss, word} (a single Severity in rows written before per-source imports) */
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
export * from './tables-workloads.ts';
