import { is } from 'drizzle-orm';
import { bigint, doublePrecision, index, pgTable, primaryKey, text, uniqueIndex, type PgColumnBuilderBase } from 'drizzle-orm/pg-core';
import { getTableConfig, SQLiteTable, type SQLiteColumn } from 'drizzle-orm/sqlite-core';
import * as sqlite from './schema.ts';

// The PostgreSQL schema is derived from the SQLite one (src/db/schema.ts, the one place tables are
// declared), so the two cannot drift by hand: `npm run db:generate:pg` writes migrations-pg/ from it,
// and test/db-dialects.test.ts compares both databases as migrated. The stores read and write the
// same values on both: integers (timestamps in ms, booleans as 0/1) become BIGINT, text stays TEXT.

/** The PostgreSQL table for one SQLite table: same name, columns, keys and indexes. */
export function pgTwin(table: SQLiteTable) {
  const cfg = getTableConfig(table);
  const columns: Record<string, PgColumnBuilderBase> = {};
  for (const col of cfg.columns) columns[col.name] = pgColumn(col);
  return pgTable(cfg.name, columns, (t) => [
    ...cfg.primaryKeys.map((pk) => primaryKey({ name: pk.getName(), columns: pk.columns.map((c) => t[c.name]!) as [any, ...any[]] })),
    ...cfg.indexes.map((ix) => {
      const cols = ix.config.columns.map((c) => t[(c as SQLiteColumn).name]!) as [any, ...any[]];
      return (ix.config.unique ? uniqueIndex(ix.config.name) : index(ix.config.name)).on(...cols);
    }),
  ]);
}

function pgColumn(col: SQLiteColumn): PgColumnBuilderBase {
  let b: any;
  switch (col.columnType) {
    case 'SQLiteText': b = text(col.name); break;
    case 'SQLiteReal': b = doublePrecision(col.name); break;
    case 'SQLiteInteger': case 'SQLiteTimestamp': case 'SQLiteBoolean':
      b = bigint(col.name, { mode: 'number' });
      if ((col as any).autoIncrement) b = b.generatedByDefaultAsIdentity();
      break;
    default: throw new Error(`pg-schema: no PostgreSQL type for ${col.columnType} (${col.name})`);
  }
  if (col.primary) b = b.primaryKey();
  if (col.notNull && !col.primary) b = b.notNull();
  if (col.default !== undefined) b = b.default(typeof col.default === 'boolean' ? Number(col.default) : col.default);
  return b;
}

/** Every SQLite table, by its exported name (the drift test checks none is missing below). */
export const sqliteTables: Record<string, SQLiteTable> = Object.fromEntries(
  Object.entries(sqlite).filter(([, v]) => is(v, SQLiteTable)) as [string, SQLiteTable][],
);

// drizzle-kit finds tables by module export, so each is exported by name.
export const layerAnalysis = pgTwin(sqlite.layerAnalysis);
export const vulnImport = pgTwin(sqlite.vulnImport);
export const vulnCurrent = pgTwin(sqlite.vulnCurrent);
export const vulnSource = pgTwin(sqlite.vulnSource);
export const vulnSeverity = pgTwin(sqlite.vulnSeverity);
export const vulnAdvisory = pgTwin(sqlite.vulnAdvisory);
export const vulnAffected = pgTwin(sqlite.vulnAffected);
export const webhookEvents = pgTwin(sqlite.webhookEvents);
export const jobs = pgTwin(sqlite.jobs);
export const scans = pgTwin(sqlite.scans);
export const images = pgTwin(sqlite.images);
export const tags = pgTwin(sqlite.tags);
export const leases = pgTwin(sqlite.leases);
export const policyVersions = pgTwin(sqlite.policyVersions);
export const auditLog = pgTwin(sqlite.auditLog);
export const publications = pgTwin(sqlite.publications);
export const imageSignatures = pgTwin(sqlite.imageSignatures);
export const imageVerdicts = pgTwin(sqlite.imageVerdicts);
export const quarantineActions = pgTwin(sqlite.quarantineActions);
export const vexDocuments = pgTwin(sqlite.vexDocuments);
export const vulnFeed = pgTwin(sqlite.vulnFeed);
export const vulnEpss = pgTwin(sqlite.vulnEpss);
export const vulnKev = pgTwin(sqlite.vulnKev);
export const workloads = pgTwin(sqlite.workloads);
