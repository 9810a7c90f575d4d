// The workload store on both databases: an import replaces one cluster's inventory (what left keeps
// its row with 0 replicas), admission upserts keep the stored exposure and a digest they could not
// resolve, a DELETE removes the workload.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openDatabase, type Database } from '../src/db/client.ts';
import type { WorkloadContainer } from '../src/workloads/inventory.ts';
import { importWorkloads, listWorkloads, removeWorkload, upsertWorkload } from '../src/workloads/store.ts';
import { testConfig } from './helpers/registry.ts';
import { freshPgDatabase } from './helpers/postgres.ts';

const D1 = 'sha256:' + '1'.repeat(64);
const D2 = 'sha256:' + '2'.repeat(64);
const c = (name: string, extra: Partial<WorkloadContainer> = {}): WorkloadContainer => ({
  namespace: 'shop', kind: 'Deployment', name, container: 'app', image: `r.example/${name}:1`, digest: D1, replicas: 2,
  labels: { app: name }, serviceAccount: 'default', exposure: 'internal', exposedBy: [], criticality: null, ...extra,
});

describe.each(['sqlite', 'postgres'] as const)('workload store (%s)', (dialect) => {
  let dir: string;
  let database: Database;
  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'customs-wl-store-'));
    database = await openDatabase(testConfig({ dataDir: dir, database: { url: dialect === 'postgres' ? await freshPgDatabase() : `file:${join(dir, 'c.db')}` } }));
  });
  afterEach(() => { database.close(); rmSync(dir, { recursive: true, force: true }); });

  it('import, upsert from admission, delete', async () => {
    await importWorkloads(database, 'prod', [c('web', { exposure: 'internet', exposedBy: ['Service/web (LoadBalancer)'], criticality: 'high' }), c('queue')]);
    await importWorkloads(database, 'other', [c('web')]);
    // a second import of prod without the queue: the queue stays, with 0 replicas
    await importWorkloads(database, 'prod', [c('web', { exposure: 'internet', exposedBy: ['Service/web (LoadBalancer)'], replicas: 3 })]);
    let prod = await listWorkloads(database, { cluster: 'prod' });
    expect(prod.map((w) => `${w.name} ${w.replicas} ${w.exposure}`)).toEqual(['queue 0 internal', 'web 3 internet']);
    expect((await listWorkloads(database, { cluster: 'other' })).map((w) => w.replicas)).toEqual([2]);
    // admission: a new image with an unresolved digest keeps nothing; the same image keeps the stored digest; exposure stays
    await upsertWorkload(database, 'prod', { namespace: 'shop', kind: 'Deployment', name: 'web' }, [c('web', { digest: null, replicas: 5, exposure: 'internal' })]);
    prod = await listWorkloads(database, { cluster: 'prod' });
    expect(prod.find((w) => w.name === 'web')).toMatchObject({ digest: D1, replicas: 5, exposure: 'internet', exposedBy: ['Service/web (LoadBalancer)'] });
    await upsertWorkload(database, 'prod', { namespace: 'shop', kind: 'Deployment', name: 'web' }, [c('web', { image: 'r.example/web:2', digest: D2 }), c('web', { container: 'sidecar', digest: null })]);
    prod = await listWorkloads(database, { cluster: 'prod' });
    expect(prod.filter((w) => w.name === 'web').map((w) => `${w.container} ${w.digest}`)).toEqual([`app ${D2}`, 'sidecar null']);
    expect((await listWorkloads(database, { digest: D2 })).map((w) => w.cluster)).toEqual(['prod']);
    expect(await removeWorkload(database, 'prod', { namespace: 'shop', kind: 'Deployment', name: 'web' })).toBe(2);
    expect((await listWorkloads(database, { cluster: 'prod' })).map((w) => w.name)).toEqual(['queue']);
  });
});
