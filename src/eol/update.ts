// Refresh the end-of-life data from the endoflife.date API, one product file at a time, with
// conditional GETs (If-None-Match / If-Modified-Since): unchanged products cost a 304.
import { randomUUID } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { downloadToFile, type Validators } from '../util/download.ts';
import { CustomsError } from '../errors.ts';
import { parseUntrustedJson } from '../util/json.ts';
import { EOL_PRODUCTS, loadEolData, productCyclesSchema, type EolData } from './data.ts';

const MAX_BYTES = 4 * 1024 * 1024;

export interface EolUpdateResult { file: string; updated: string[]; unchanged: string[]; failed: { product: string; error: string }[] }

/** One product's release list, or null when unchanged (304): the shared conditional, capped download. */
async function fetchProduct(url: string, validators: Validators | undefined, timeoutMs: number) {
  const tmp = join(tmpdir(), `customs-eol-${randomUUID()}.json`);
  try {
    const got = await downloadToFile(url, tmp, { ...(validators ? { validators } : {}), maxBytes: MAX_BYTES, timeoutMs, bodyTimeoutMs: timeoutMs });
    if (got.status === 'unchanged') return null;
    const parsed = productCyclesSchema.safeParse(parseUntrustedJson(readFileSync(tmp), url, 8));
    if (!parsed.success) throw new CustomsError('corrupt', `${url}: not an endoflife.date release list (${parsed.error.issues[0]?.message})`);
    return { cycles: parsed.data, etag: got.etag, lastModified: got.lastModified };
  } finally {
    rmSync(tmp, { force: true });
  }
}

/**
 * Fetch every product from `baseUrl` (e.g. https://endoflife.date/api) into `file`. Products that
 * fail keep their previous data; the file is replaced atomically.
 */
export async function updateEolData(baseUrl: string, file: string, opts: { products?: string[]; timeoutMs?: number } = {}): Promise<EolUpdateResult> {
  const prev: EolData = loadEolData(file);
  const next: EolData = { ...prev, products: { ...prev.products }, validators: { ...(prev.validators ?? {}) }, source: `${baseUrl.replace(/\/$/, '')}/<product>.json` };
  const result: EolUpdateResult = { file, updated: [], unchanged: [], failed: [] };
  for (const product of opts.products ?? EOL_PRODUCTS) {
    const url = `${baseUrl.replace(/\/$/, '')}/${encodeURIComponent(product)}.json`;
    try {
      const got = await fetchProduct(url, prev.products[product] ? prev.validators?.[product] : undefined, opts.timeoutMs ?? 30_000);
      if (!got) { result.unchanged.push(product); continue; }
      next.products[product] = got.cycles;
      next.validators![product] = { ...(got.etag ? { etag: got.etag } : {}), ...(got.lastModified ? { lastModified: got.lastModified } : {}) };
      result.updated.push(product);
    } catch (e) {
      result.failed.push({ product, error: (e as Error).message });
    }
  }
  if (result.updated.length === 0 && result.failed.length > 0 && result.unchanged.length === 0) {
    throw new CustomsError('unreachable', `end-of-life update: every product failed (first: ${result.failed[0]!.product}: ${result.failed[0]!.error})`);
  }
  if (result.updated.length > 0) {
    next.updatedAt = new Date().toISOString();
    delete next.note;
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file + '.tmp', JSON.stringify(next, null, 1) + '\n');
    renameSync(file + '.tmp', file);
  }
  return result;
}
