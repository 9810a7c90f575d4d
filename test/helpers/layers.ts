// Real directory trees → tar layers → analyzeLayer + mergeLayers, for analyzer tests on real files.
import { lstatSync, readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import type { Analyzer } from '../../src/analyzers/analyzer.ts';
import { configSchema, type Limits } from '../../src/config/schema.ts';
import { analyzeLayer } from '../../src/image/layer-walker.ts';
import { mergeLayers, type MergedImage } from '../../src/image/merge.ts';
import type { Descriptor, LayerResult } from '../../src/types.ts';
import { chunked, gzip, makeTar, type TarEntry } from './tar.ts';

export const LIMITS: Limits = configSchema.parse({}).limits;

/** Tar entries for the real directory `dir`, placed at `at` inside the image ("usr/lib/x"); `skip` prunes paths. */
export function treeEntries(dir: string, at: string, skip: (rel: string) => boolean = () => false): TarEntry[] {
  const out: TarEntry[] = [];
  const walk = (rel: string) => {
    const abs = join(dir, rel);
    const st = lstatSync(abs);
    const path = rel ? `${at}/${rel}` : at;
    if (st.isSymbolicLink()) out.push({ path, type: 'symlink', linkname: readlinkSync(abs) });
    else if (st.isDirectory()) {
      out.push({ path: path + '/', type: 'dir' });
      for (const n of readdirSync(abs).sort()) {
        const r = rel ? `${rel}/${n}` : n;
        if (!skip(r)) walk(r);
      }
    } else if (st.isFile()) out.push({ path, content: readFileSync(abs), mode: st.mode & 0o7777 });
  };
  walk('');
  return out;
}

export function layerDesc(gz: Buffer): Descriptor {
  return { mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', digest: `sha256:${createHash('sha256').update(gz).digest('hex')}`, size: gz.length };
}

/** Analyse layers (each a list of tar entries) with `analyzers` and merge them like the pipeline does. */
export async function inventoryLayers(layers: TarEntry[][], analyzers: Analyzer[], limits: Limits = LIMITS): Promise<{ merged: MergedImage; results: LayerResult[]; descs: Descriptor[] }> {
  const results: LayerResult[] = [];
  const descs: Descriptor[] = [];
  for (const entries of layers) {
    const gz = gzip(await makeTar(entries));
    const d = layerDesc(gz);
    descs.push(d);
    results.push(await analyzeLayer(chunked(gz), d, analyzers, limits));
  }
  return { merged: mergeLayers(results, descs), results, descs };
}
