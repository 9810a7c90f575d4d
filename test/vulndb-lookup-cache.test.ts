// The store keeps package lookups between calls (re-evaluating thousands of inventories reads each
// advisory once), but never across imports: a new database version is seen at once.
import { describe, expect, it } from 'vitest';
import { matchPackage } from '../src/vulndb/match.ts';
import { freshStore, GO_DIR, PYPI_DIR } from './vulndb-helpers.ts';

describe('lookup cache', () => {
  it('answers repeated lookups from one import and forgets them when the import changes', async () => {
    const { store, db } = await freshStore();
    try {
      await store.importFrom([GO_DIR]);
      const first = await matchPackage(store, 'Go', 'github.com/gin-gonic/gin', 'v1.5.0');
      expect(first.map((m) => m.advisories).flat()).toContain('GO-2020-0001');
      expect(await matchPackage(store, 'Go', 'github.com/gin-gonic/gin', 'v1.5.0')).toEqual(first);
      expect(await matchPackage(store, 'Go', 'example.com/nothing', 'v1.0.0')).toEqual([]);
      await store.importFrom([PYPI_DIR]); // another source: the Go data stays
      expect(await matchPackage(store, 'Go', 'github.com/gin-gonic/gin', 'v1.5.0')).toEqual(first);
      await store.removeSource(GO_DIR); // the generation moves: the cached Go answers are forgotten
      expect(await matchPackage(store, 'Go', 'github.com/gin-gonic/gin', 'v1.5.0')).toEqual([]);
      expect((await matchPackage(store, 'PyPI', 'aiohttp', '3.7.3')).length).toBeGreaterThan(0);
    } finally {
      db.close();
    }
  });
});
