import PQueue from 'p-queue';
import { UNREAD_INPUT, type Analyzer } from './analyzers/analyzer.ts';
import { ArchiveBudget } from './analyzers/archive-budget.ts';
import type { LayerCache } from './cache/layer-cache.ts';
import { CustomsError } from './errors.ts';
import type { Limits } from './config/schema.ts';
import { analyzeLayer } from './image/layer-walker.ts';
import { mergeLayers } from './image/merge.ts';
import { joinDebLicenses } from './analyzers/dpkg-copyright.ts';
import { log } from './log.ts';
import type { Descriptor, ImageConfigSummary, ImageInventory, ImageSource, LayerResult, LocatedSecret, Platform, ResolvedImage } from './types.ts';

export interface InventoryOptions {
  analyzers: Analyzer[];
  limits: Limits;
  cache?: LayerCache;
  platform?: Platform;
  /** layers fetched and analysed at once */
  concurrency: number;
  /** called as compressed layer bytes arrive (for progress displays) */
  onBytes?: (n: number) => void;
  /** called once resolution knows the total compressed bytes to fetch (cache misses only) */
  onPlan?: (p: { layers: number; cachedLayers: number; bytesToFetch: number }) => void;
  /** secrets in the image config and history (src/secrets/config-scan.ts): added to the inventory's,
   *  and the config kept in the inventory is the returned one (values masked) */
  scanConfig?: (img: ResolvedImage) => { secrets: LocatedSecret[]; config: ImageConfigSummary };
}

/**
 * The inventory half of the flow: resolve the reference to one image per platform, analyse each
 * distinct layer once (from the cache when it was seen before), merge layers per platform.
 */
export async function inventoryImage(source: ImageSource, opts: InventoryOptions): Promise<ImageInventory[]> {
  const started = Date.now();
  const images = await source.resolve(opts.platform ? { platform: opts.platform } : {});

  // Layers shared between platforms (or repeated in one image) are analysed once.
  const unique = new Map<string, Descriptor>();
  for (const img of images) for (const l of img.layers) if (!unique.has(l.digest)) unique.set(l.digest, l);

  const results = new Map<string, { result: LayerResult; cached: boolean }>();
  const misses: Descriptor[] = [];
  // one archive budget for the image: a cached layer counts what its analysis took, so the answer
  // does not depend on which layers were seen before
  const archives = new ArchiveBudget('image', opts.limits);
  for (const desc of unique.values()) {
    const hit = opts.cache ? await opts.cache.get(desc.digest) : undefined;
    if (hit) {
      results.set(desc.digest, { result: hit, cached: true });
      if (hit.stats.archives) chargeImage(archives, hit.stats.archives, source.name);
    } else misses.push(desc);
  }
  opts.onPlan?.({ layers: unique.size, cachedLayers: unique.size - misses.length, bytesToFetch: misses.reduce((a, d) => a + d.size, 0) });

  const queue = new PQueue({ concurrency: opts.concurrency });
  const controller = new AbortController();
  await Promise.all(misses.map((desc) => queue.add(async () => {
    if (controller.signal.aborted) return;
    try {
      const result = await analyzeOne(source, desc, opts, archives);
      results.set(desc.digest, { result, cached: false });
      await opts.cache?.put(result);
    } catch (e) {
      controller.abort(); // the first failure fails the image; queued layers are not fetched
      throw e;
    }
  })));

  const out = images.map((img) => assemble(source.name, img, results, opts.scanConfig));
  log.info({ image: source.name, platforms: out.length, layers: unique.size, cachedLayers: unique.size - misses.length, ms: Date.now() - started }, 'inventory taken');
  return out;
}

function chargeImage(archives: ArchiveBudget, use: LayerResult['stats']['archives'] & object, image: string): void {
  try {
    archives.charge(use);
  } catch (e) {
    throw new CustomsError('limit', `${image}: Java archives: ${(e as Error).message}`, { cause: e });
  }
}

async function analyzeOne(source: ImageSource, desc: Descriptor, opts: InventoryOptions, archives: ArchiveBudget): Promise<LayerResult> {
  const t0 = Date.now();
  const blob = await source.openBlob(desc);
  const counted = opts.onBytes ? countBytes(blob, opts.onBytes) : blob;
  let result: LayerResult;
  try {
    result = await analyzeLayer(counted, desc, opts.analyzers, opts.limits, archives);
  } finally {
    // release the connection whatever happened (a wrapping generator does not forward destroy)
    if (!blob.destroyed) blob.destroy();
  }
  log.debug({ layer: desc.digest, bytes: desc.size, entries: result.stats.entries, ms: Date.now() - t0 }, 'layer analysed');
  return result;
}

async function* countBytes(src: AsyncIterable<Buffer>, onBytes: (n: number) => void): AsyncIterable<Buffer> {
  for await (const chunk of src) {
    onBytes(chunk.length);
    yield chunk;
  }
}

function assemble(sourceName: string, img: ResolvedImage, results: Map<string, { result: LayerResult; cached: boolean }>, scanConfig?: InventoryOptions['scanConfig']): ImageInventory {
  const layerResults = img.layers.map((l) => results.get(l.digest)!.result);
  const merged = mergeLayers(layerResults, img.layers);
  const scanned = scanConfig?.(img);
  const licensed = joinDebLicenses(merged.packages, merged.facts);
  const incomplete = licensed.facts.filter((f) => f.id === UNREAD_INPUT).map((f) => ({ path: f.path, reason: f.detail ?? 'not analysed' }));
  return {
    source: sourceName,
    rootDigest: img.rootDigest,
    manifestDigest: img.manifestDigest,
    platform: img.platform,
    configDigest: img.configDigest,
    config: scanned?.config ?? img.config,
    layers: img.layers.map((l, i) => ({
      digest: l.digest, size: l.size, mediaType: l.mediaType,
      ...(img.config.diffIds?.[i] ? { diffId: img.config.diffIds[i] } : {}),
      cached: results.get(l.digest)!.cached,
    })),
    ...(merged.os ? { os: merged.os } : {}),
    packages: licensed.packages,
    secrets: scanned ? [...merged.secrets, ...scanned.secrets] : merged.secrets,
    facts: licensed.facts,
    ...(incomplete.length ? { incomplete } : {}),
    warnings: [...layerResults.flatMap((r) => r.warnings), ...merged.warnings],
  };
}
