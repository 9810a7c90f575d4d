// The database lease two Customs processes share: two separate connections to one libsql file stand
// for two replicas; their read-modify-write sections must not interleave, and a dead holder's
// lease expires by itself.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config/load.ts';
import { openDatabase, type Database } from '../src/db/client.ts';
import { withLease } from '../src/db/leases.ts';
import { leases } from '../src/db/schema.ts';
import { caught } from './helpers/util.ts';

let a: Database;
let b: Database;

beforeAll(async () => {
  const cfg = loadConfig({ env: { CUSTOMS_DATA: mkdtempSync(join(tmpdir(), 'customs-leases-')) } });
  a = await openDatabase(cfg);
  b = await openDatabase(cfg);
});
afterAll(() => { a?.close(); b?.close(); });

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('withLease', () => {
  it('serialises read-modify-write sections across connections (no lost update)', async () => {
    let shared = 0;
    const section = async () => { const v = shared; await sleep(20); shared = v + 1; };
    // without the lease the same interleaving loses updates: the test can fail
    shared = 0;
    await Promise.all(Array.from({ length: 6 }, () => section()));
    expect(shared).toBeLessThan(6);
    shared = 0;
    await Promise.all(Array.from({ length: 6 }, (_, i) => withLease(i % 2 ? a : b, 'att:image', section)));
    expect(shared).toBe(6);
    expect(await a.db.select().from(leases)).toEqual([]); // released
  });

  it('a holder that died is overtaken after its ttl; a holder that stays blocks others until waitMs', async () => {
    const now = Date.now();
    await a.db.insert(leases).values({ key: 'dead', owner: 'gone', expiresAt: new Date(now + 300) });
    const t0 = Date.now();
    expect(await withLease(b, 'dead', async () => 'mine', { waitMs: 5_000 })).toBe('mine');
    expect(Date.now() - t0).toBeGreaterThanOrEqual(250);

    let release!: () => void;
    const held = withLease(a, 'busy', () => new Promise<void>((r) => { release = r; }), { ttlMs: 60_000 });
    await sleep(50);
    const e = await caught(withLease(b, 'busy', async () => 'never', { waitMs: 300 }));
    expect(e.message).toMatch(/lock busy still held by another Customs process after 300 ms/);
    release();
    await held;
    expect(await withLease(b, 'busy', async () => 'now', { waitMs: 1_000 })).toBe('now');
  });
});
