// Conditional, capped, streaming HTTP download to a file (feeds: OSV zips, EPSS, KEV).
import { createWriteStream } from 'node:fs';
import { rm } from 'node:fs/promises';
import { pipeline } from 'node:stream/promises';
import { Transform } from 'node:stream';
import { request, interceptors, Agent } from 'undici';
import { CustomsError } from '../errors.ts';
import { safeUrl } from './safe-url.ts';

export interface Validators { etag?: string; lastModified?: string }
export type DownloadResult =
  | { status: 'unchanged' }
  | { status: 'downloaded'; bytes: number; etag?: string; lastModified?: string };

export interface DownloadOptions {
  /** If-None-Match / If-Modified-Since: send only when the previous download is still on disk */
  validators?: Validators;
  maxBytes: number;
  timeoutMs: number;
  bodyTimeoutMs: number;
  /** progress: bytes so far and Content-Length when known */
  onBytes?: (got: number, total: number | undefined) => void;
}

// feeds live behind CDNs that redirect (EPSS); a few hops at most
const agent = new Agent().compose(interceptors.redirect({ maxRedirections: 5 }));

/**
 * GET `url` into `dest` (written completely or removed). 304 → unchanged. Fails with a CustomsError
 * on connection errors (unreachable), non-200 answers (registry / not-found), a body over maxBytes
 * (limit) and a body shorter than its Content-Length (corrupt).
 */
export async function downloadToFile(url: string, dest: string, o: DownloadOptions): Promise<DownloadResult> {
  const shown = safeUrl(url);
  const headers: Record<string, string> = { 'user-agent': 'customs-vulndb', 'accept-encoding': 'identity' };
  if (o.validators?.etag) headers['if-none-match'] = o.validators.etag;
  if (o.validators?.lastModified) headers['if-modified-since'] = o.validators.lastModified;
  let res;
  try {
    res = await request(url, { headers, headersTimeout: o.timeoutMs, bodyTimeout: o.bodyTimeoutMs, dispatcher: agent });
  } catch (e: any) {
    throw new CustomsError('unreachable', `cannot reach ${shown}: ${e.code ?? e.message}`, { cause: e, transient: true });
  }
  if (res.statusCode === 304) { await res.body.dump(); return { status: 'unchanged' }; }
  if (res.statusCode !== 200) {
    await res.body.dump().catch(() => {});
    throw new CustomsError(res.statusCode === 404 ? 'not-found' : 'registry', `${shown}: HTTP ${res.statusCode}`, { transient: res.statusCode >= 500 || res.statusCode === 429 });
  }
  const lenHeader = Number(res.headers['content-length']);
  const total = Number.isFinite(lenHeader) && lenHeader >= 0 ? lenHeader : undefined;
  if (total !== undefined && total > o.maxBytes) {
    res.body.destroy();
    throw new CustomsError('limit', `${shown}: ${total} bytes is over the ${o.maxBytes}-byte download cap`);
  }
  let got = 0;
  const count = new Transform({
    transform(chunk: Buffer, _enc, cb) {
      got += chunk.length;
      if (got > o.maxBytes) return cb(new CustomsError('limit', `${shown}: more than ${o.maxBytes} bytes (download cap)`));
      o.onBytes?.(got, total);
      cb(null, chunk);
    },
  });
  try {
    await pipeline(res.body, count, createWriteStream(dest));
  } catch (e: any) {
    await rm(dest, { force: true });
    if (e instanceof CustomsError) throw e;
    throw new CustomsError('corrupt', `${shown}: download interrupted after ${got} bytes (${e.code ?? e.message})`, { cause: e, transient: true });
  }
  if (total !== undefined && got !== total) {
    await rm(dest, { force: true });
    throw new CustomsError('corrupt', `${shown}: truncated body (${got} of ${total} bytes)`, { transient: true });
  }
  const h = (k: string) => (typeof res.headers[k] === 'string' ? (res.headers[k] as string) : undefined);
  const etag = h('etag'), lastModified = h('last-modified');
  return { status: 'downloaded', bytes: got, ...(etag ? { etag } : {}), ...(lastModified ? { lastModified } : {}) };
}
