import type { Config } from '../config/schema.ts';
import { openDatabase, type Database } from '../db/client.ts';
import { CustomsError } from '../errors.ts';
import { renderTable } from './table.ts';
import { VulnStore } from '../vulndb/store.ts';
import type { DbStatus, ImportResult } from '../vulndb/types.ts';

export interface DbFlags { format?: string; db?: string }

/** `customs db update | import <path>... | status`. Returns the exit code. */
export async function dbCommand(args: string[], cfg: Config, flags: DbFlags): Promise<number> {
  const [sub, ...paths] = args;
  const database = await openDb(cfg, flags.db);
  try {
    const store = new VulnStore(database);
    switch (sub) {
      case 'status': {
        if (paths.length) throw new CustomsError('usage', 'customs db status takes no arguments');
        const st = await store.status();
        process.stdout.write(flags.format === 'json' ? JSON.stringify(st, null, 2) + '\n' : statusText(st));
        return 0;
      }
      case 'import': {
        if (!paths.length) throw new CustomsError('usage', 'customs db import needs at least one path (OSV all.zip, directory or JSON file)');
        const res = await store.importFrom(paths);
        process.stdout.write(importText(res));
        return 0;
      }
      default:
        throw new CustomsError('usage', `customs db needs a subcommand: update, import <path>..., status${sub ? ` (not "${sub}")` : ''}`);
    }
  } finally {
    database.close();
  }
}

/** --db: operate on that database (a path or a libsql URL) instead of the configured one. */
async function openDb(cfg: Config, spec: string | undefined): Promise<Database> {
  if (!spec) return openDatabase(cfg);
  const url = /^(file:|libsql:\/\/|https?:\/\/|wss?:\/\/)/.test(spec) ? spec : `file:${spec}`;
  return openDatabase({ ...cfg, database: { ...cfg.database, url } });
}

export function importText(r: ImportResult): string {
  const ecos = Object.entries(r.ecosystems).sort((a, b) => b[1] - a[1]).map(([e, n]) => `${e} ${n}`).join(', ');
  const reasons = Object.entries(r.skipReasons).map(([k, n]) => `  ${n} × ${k}\n`).join('');
  return `imported ${r.imported} advisories (${ecos || 'none'}) in ${r.ms} ms; ${r.withdrawn} withdrawn, ${r.duplicates} duplicates, ${r.skipped} skipped\n${reasons}`;
}

export function statusText(st: DbStatus): string {
  if (st.importId === undefined) return 'vulnerability database: empty (run "customs db update" or "customs db import <path>")\n';
  const rows = Object.entries(st.ecosystems).sort((a, b) => a[0].localeCompare(b[0])).map(([e, n]) => [e, String(n)]);
  return `database version ${st.version}\nlast update ${st.updatedAt}; newest advisory ${st.maxModified ?? '-'}\n${st.advisories} advisories from:\n${st.sources.map((s) => `  ${s}\n`).join('')}\n`
    + renderTable(['ECOSYSTEM', 'ADVISORIES'], rows);
}
