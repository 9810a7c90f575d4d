import { analyzersKey } from '../analyzers/index.ts';
import { configuredAnalyzers } from '../analyzers/configured.ts';
import { LayerCache } from '../cache/layer-cache.ts';
import { inventoryAnalyzers } from '../ecosystems/index.ts';
import type { Config } from '../config/schema.ts';
import { openDatabase, type Database } from '../db/client.ts';
import { parsePlatform } from '../image/manifest.ts';
import { parseReference } from '../image/reference.ts';
import { openImageSource } from './sources.ts';
import { inventoryImage } from '../pipeline.ts';
import { RegistryClient } from '../registry/client.ts';
import type { Credentials } from '../registry/credentials.ts';
import type { ImageInventory, ImageRef } from '../types.ts';
import { narrowInventory, type Narrowing } from './narrow.ts';
import { readSbomFile } from '../sbom/read.ts';

/** A display of download progress (the CLI's bar on a terminal); a service scan has none. */
export interface Progress { onPlan: (p: { layers: number; cachedLayers: number; bytesToFetch: number }) => void; onBytes: (n: number) => void; done: () => void }
/** Makes a progress display for one image, or none (not a terminal, --quiet). */
export type ProgressFactory = (label: string) => Progress | undefined;

export interface InventoryRun { ref: ImageRef; inventories: ImageInventory[]; startedAt: string; finishedAt: string }

/** What `scan` and `sbom` share: parse the reference, open the source and the cache, take the inventory. */
export async function takeInventory(refText: string, cfg: Config, opts: { platform?: string; cache: boolean; database?: Database; signal?: AbortSignal; narrow?: Narrowing; credentials?: Record<string, Credentials>; progress?: ProgressFactory; client?: RegistryClient }): Promise<InventoryRun> {
  const ref = parseReference(refText);
  const platform = opts.platform ? parsePlatform(opts.platform) : undefined;
  const narrow = (inventories: ImageInventory[]) => (opts.narrow ? inventories.map((inv) => narrowInventory(inv, opts.narrow!)) : inventories);
  if (ref.kind === 'sbom') {
    // an SBOM names packages: nothing to pull or analyse
    const startedAt = new Date().toISOString();
    return { ref, inventories: narrow(await readSbomFile(ref.path, cfg.limits)), startedAt, finishedAt: new Date().toISOString() };
  }
  // a directory has no content digest: its listing is never cached
  const cache = opts.cache && ref.kind !== 'rootfs' && ref.kind !== 'fs';
  // a database handed in (the service's, or a scan's) stays open; one opened here is closed here
  const ownDb = cache && !opts.database ? await openDatabase(cfg) : undefined;
  const database = cache ? opts.database ?? ownDb : undefined;
  // the caller's deadline (--timeout, workers.scanTimeoutMs) aborts every registry request of this run
  // (a view of the process's client shares its pools and token cache; closing a view closes nothing)
  const clientOpts = { ...(opts.signal ? { signal: opts.signal } : {}), ...(opts.credentials ? { credentials: opts.credentials } : {}) };
  const client = opts.client ? opts.client.scoped(clientOpts) : new RegistryClient(cfg, clientOpts);
  const source = openImageSource(ref, cfg, client, opts.signal ? { signal: opts.signal } : {});
  const progress = opts.progress?.(ref.original);
  const startedAt = new Date().toISOString();
  const { analyzers, scanConfig } = configuredAnalyzers(cfg, inventoryAnalyzers());
  try {
    const inventories = await inventoryImage(source, {
      analyzers,
      limits: cfg.limits,
      concurrency: cfg.scan.layerConcurrency,
      ...(database ? { cache: new LayerCache(database.db, analyzersKey(analyzers)) } : {}),
      ...(platform ? { platform } : {}),
      ...(scanConfig ? { scanConfig } : {}),
      ...(progress ? { onBytes: progress.onBytes, onPlan: progress.onPlan } : {}),
    });
    return { ref, inventories: narrow(inventories), startedAt, finishedAt: new Date().toISOString() };
  } finally {
    progress?.done();
    await source.close?.();
    await client.close();
    ownDb?.close();
  }
}
