import { sqliteTable, text, integer, real } from 'drizzle-orm/sqlite-core';

// Vulnerability feed downloads and enrichment data (EPSS, CISA KEV).

/** One configured feed (OSV zip, EPSS, KEV): what the last download returned, for conditional GETs. */
export const vulnFeed = sqliteTable('vuln_feed', {
  /** the URL (or path) as configured */
  source: text('source').primaryKey(),
  /** osv | epss | kev */
  kind: text('kind').notNull(),
  etag: text('etag'),
  lastModified: text('last_modified'),
  /** the last good download, kept so an unchanged (304) feed is imported again from disk */
  file: text('file'),
  bytes: integer('bytes'),
  checkedAt: integer('checked_at', { mode: 'timestamp_ms' }),
  changedAt: integer('changed_at', { mode: 'timestamp_ms' }),
  /** why the last attempt failed (null when it worked) */
  lastError: text('last_error'),
});

/** EPSS scores per CVE (FIRST). Replaced as a whole in one transaction by each import. */
export const vulnEpss = sqliteTable('vuln_epss', {
  cve: text('cve').primaryKey(),
  score: real('score').notNull(),
  percentile: real('percentile').notNull(),
  /** score_date of the file (model version and date header) */
  date: text('date'),
});

/** CISA Known Exploited Vulnerabilities catalog, per CVE. Replaced as a whole by each import. */
export const vulnKev = sqliteTable('vuln_kev', {
  cve: text('cve').primaryKey(),
  dateAdded: text('date_added').notNull(),
  dueDate: text('due_date'),
  ransomware: text('ransomware'),
  vendorProject: text('vendor_project'),
  product: text('product'),
  name: text('name'),
  requiredAction: text('required_action'),
});
