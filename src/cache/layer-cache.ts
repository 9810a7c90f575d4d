import { and, eq } from 'drizzle-orm';
import type { Db } from '../db/client.ts';
import { layerAnalysis } from '../db/schema.ts';
import type { LayerResult } from '../types.ts';
import { log } from '../log.ts';

/** Per-layer analysis results, keyed by layer digest + analyzer versions. */
export class LayerCache {
  private readonly db: Db;
  private readonly analyzersKey: string;
  constructor(db: Db, analyzersKey: string) { this.db = db; this.analyzersKey = analyzersKey; }

  async get(layerDigest: string): Promise<LayerResult | undefined> {
    const rows = await this.db.select({ result: layerAnalysis.result }).from(layerAnalysis)
      .where(and(eq(layerAnalysis.layerDigest, layerDigest), eq(layerAnalysis.analyzersKey, this.analyzersKey))).limit(1);
    if (!rows[0]) return undefined;
    try {
      const result = JSON.parse(rows[0].result) as LayerResult;
      await this.db.update(layerAnalysis).set({ lastUsedAt: new Date() })
        .where(and(eq(layerAnalysis.layerDigest, layerDigest), eq(layerAnalysis.analyzersKey, this.analyzersKey)));
      return result;
    } catch {
      log.warn({ layer: layerDigest }, 'unreadable layer cache entry ignored');
      return undefined;
    }
  }

  async put(result: LayerResult): Promise<void> {
    const now = new Date();
    await this.db.insert(layerAnalysis)
      .values({ layerDigest: result.digest, analyzersKey: this.analyzersKey, result: JSON.stringify(result), createdAt: now, lastUsedAt: now })
      .onConflictDoUpdate({ target: [layerAnalysis.layerDigest, layerAnalysis.analyzersKey], set: { result: JSON.stringify(result), lastUsedAt: now } });
  }
}
