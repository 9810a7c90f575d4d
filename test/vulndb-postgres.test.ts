// The vulnerability store on PostgreSQL: the same sources imported into the embedded file and into a
// PostgreSQL database give the same counts, status, lookups, severities and removals (the import's SQL
// is portable: ON CONFLICT and insertRows, no SQLite-only syntax).
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase, type Database } from '../src/db/client.ts';
import { VulnStore } from '../src/vulndb/store.ts';
import { freshPgDatabase } from './helpers/postgres.ts';
import { testConfig } from './helpers/registry.ts';
import { GO_DIR, PYPI_DIR } from './vulndb-helpers.ts';

const SEVERITY = fileURLToPath(new URL('./fixtures/severity/', import.meta.url));

let lite: Database, pg: Database;
beforeAll(async () => {
  const dir = mkdtempSync(join(tmpdir(), 'customs-vulndb-pg-'));
  lite = await openDatabase(testConfig({ dataDir: dir, database: { url: `file:${join(dir, 'c.db')}` } }));
  pg = await openDatabase(testConfig({ dataDir: dir, database: { url: await freshPgDatabase() } }));
}, 60_000);
afterAll(async () => { await lite?.close(); await pg?.close(); });

const withoutTimes = (s: any) => JSON.parse(JSON.stringify(s, (k, v) => (k === 'updatedAt' || k === 'ageSeconds' || k === 'ms' ? undefined : v)));

describe('the vulnerability store on PostgreSQL', () => {
  it('imports, looks up, rates and removes sources as the embedded file does', async () => {
    const sources = [GO_DIR, PYPI_DIR, ...readdirSync(SEVERITY).filter((f) => /\.(json|ya?ml|zip|gz)$/.test(f)).map((f) => join(SEVERITY, f))];
    const goNames = new Set<string>();
    for (const f of readdirSync(GO_DIR).filter((x) => x.endsWith('.json'))) {
      for (const a of JSON.parse(readFileSync(join(GO_DIR, f), 'utf8')).affected ?? []) if (a.package?.name) goNames.add(a.package.name);
    }
    // the PyPI fixtures are YAML, one folder per package
    const names = [{ ecosystem: 'Go', names: [...goNames, 'no-such-package'] }, { ecosystem: 'PyPI', names: [...readdirSync(PYPI_DIR), 'no-such-package'] }];
    const run = async (db: Database) => {
      const store = new VulnStore(db);
      const imported = await store.importFrom(sources, { batchSize: 7, allowEmpty: true });
      const status = await store.status();
      const found = await store.lookupMany(names);
      const ids = found.flatMap((m) => [...m.values()].flatMap((l) => l.flatMap((a) => [a.id, ...a.aliases])));
      const sev = await store.severities(ids);
      const again = await store.lookupMany(names); // from the per-generation cache
      const one = await store.getAdvisory(ids[0]!);
      const removed = await store.removeSource(PYPI_DIR);
      const after = await store.lookupMany(names);
      const norm = (ms: Map<string, { id: string }[]>[]) => ms.map((m) => [...m].map(([n, l]) => [n, l.map((a) => a.id).sort()]).sort());
      return {
        imported: withoutTimes({ ...imported, importId: 0, perSource: imported.perSource.map((p) => ({ ...p, importId: 0 })) }),
        status: withoutTimes({ ...status, importId: 0, version: undefined, sourceDetails: status.sourceDetails?.map((d) => ({ ...d, importId: 0 })) }),
        found: norm(found), again: norm(again), after: norm(after), one,
        sev: [...sev].map(([id, l]) => [id, l.map((r) => r.kind).sort()]).sort(),
        removed: withoutTimes({ ...removed, importId: 0 }),
      };
    };
    const a = await run(lite), b = await run(pg);
    expect(a.found.flat().length).toBeGreaterThan(20);
    expect(a.found[1]!.length).toBeGreaterThan(0);
    expect(a.again).toEqual(a.found);
    expect(a.after).not.toEqual(a.found);
    expect(b).toEqual(a);
  }, 120_000);
});
