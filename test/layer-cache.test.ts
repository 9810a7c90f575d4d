import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { LayerCache } from '../src/cache/layer-cache.ts';
import { loadConfig } from '../src/config/load.ts';
import { openDatabase } from '../src/db/client.ts';
import type { LayerResult } from '../src/types.ts';

const result = (digest: string, n: number): LayerResult => ({
  digest, files: { '/var/lib/dpkg/status': [{ analyzer: 'dpkg', packages: [{ type: 'deb', name: 'p', version: String(n), foundIn: '/var/lib/dpkg/status' }] }] },
  whiteouts: [], opaqueDirs: [], symlinks: {}, stats: { entries: 1, bytesRead: 10, uncompressedBytes: 10 }, warnings: [],
});

describe('per-layer cache on a real libsql file', () => {
  it('stores, survives a reopen, and is keyed by analyzer versions', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'customs-db-'));
    const cfg = loadConfig({ env: { CUSTOMS_DATA: dataDir } });
    const d = 'sha256:' + 'a'.repeat(64);
    let db = await openDatabase(cfg);
    await new LayerCache(db.db, 'dpkg@1').put(result(d, 1));
    await new LayerCache(db.db, 'dpkg@1').put(result(d, 2)); // replaces, no duplicate-key error
    db.close();

    db = await openDatabase(cfg); // migrations are idempotent
    expect((await new LayerCache(db.db, 'dpkg@1').get(d))?.files['/var/lib/dpkg/status']![0]!.packages![0]!.version).toBe('2');
    expect(await new LayerCache(db.db, 'dpkg@2').get(d)).toBeUndefined();
    expect(await new LayerCache(db.db, 'dpkg@1').get('sha256:' + 'b'.repeat(64))).toBeUndefined();
    db.close();
  });

  it('explains a database it cannot open', async () => {
    const cfg = loadConfig({ env: { CUSTOMS_DB_URL: 'file:/etc/passwd/not-a-dir/x.db' } });
    await expect(openDatabase(cfg)).rejects.toThrow(/cannot open database file:\/etc\/passwd.*ENOTDIR/);
  });
});
