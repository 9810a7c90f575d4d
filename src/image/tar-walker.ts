// Walk one layer's tar: stream the blob through the decompressor into a strict tar parser and decide,
// entry by entry, what to read. This is where hostile input is met: the entry cap, unsafe paths,
// whiteouts and opaque dirs, hard links (to content kept, within bounds, earlier in the layer),
// symlinks, entries longer or shorter than their header, and the decompression caps (decompress.ts).
// Which analyzers read what, and what they found, is the analyzer group's (analyzer-group.ts).
import { once } from 'node:events';
import type { Readable } from 'node:stream';
import * as tar from 'tar-stream';
import { CustomsError, isCustomsError } from '../errors.ts';
import type { Limits } from '../config/schema.ts';
import type { Descriptor, EntryInfo, FileFinding } from '../types.ts';
import { decompressLayer } from './decompress.ts';
import { strictTarExtract } from './tar-extract.ts';
import { layerCompression, mayBeTarLayer } from './media-types.ts';
import { basename, dirname, normalizeEntryPath, resolveLinkTarget } from '../util/paths.ts';
import { MAX_WARNINGS, unreadInputs, type AnalyzerGroup, type OpenSink } from './analyzer-group.ts';

const WH_PREFIX = '.wh.';
const WH_OPAQUE = '.wh..wh..opq';
/** wanted files kept for hard links to them: each up to, and all together */
export const CAPTURE_MAX_FILE = 4 * 1024 * 1024;
export const CAPTURE_BUDGET = 16 * 1024 * 1024;

interface EntryStream {
  on(ev: string, fn: (...a: any[]) => void): unknown;
  resume(): unknown;
  destroy(err?: Error): unknown;
}

/** What the walk itself learnt of a layer (the analyzer group holds the files and symlinks). */
export interface LayerWalk {
  whiteouts: string[];
  opaqueDirs: string[];
  stats: { entries: number; bytesRead: number; uncompressedBytes: number };
}

/**
 * Walk one layer blob, handing files to the analyzer group. The blob stream is read to its very end
 * on success (so a DigestVerifier upstream checks the digest); on failure it is destroyed. Throws
 * CustomsError: 'corrupt' (bad gzip/zstd/tar), 'limit' (caps), 'unsupported' (unknown media type),
 * or the blob's own error.
 */
export async function walkLayer(
  blob: NodeJS.ReadableStream | AsyncIterable<Buffer>,
  desc: Descriptor,
  limits: Limits,
  group: AnalyzerGroup,
  warn: (msg: string) => void,
  what = `layer ${desc.digest}`,
): Promise<LayerWalk> {
  const declared = layerCompression(desc.mediaType);
  if (declared === undefined && !mayBeTarLayer(desc.mediaType)) {
    destroyInput(blob);
    throw new CustomsError('unsupported', `${what}: unsupported layer media type "${desc.mediaType.slice(0, 200)}"`);
  }

  const walk: LayerWalk = { whiteouts: [], opaqueDirs: [], stats: { entries: 0, bytesRead: 0, uncompressedBytes: 0 } };
  // Content of wanted files seen in this layer, for hard links to them (bounded: a few big wanted
  // files must not stay in memory for the rest of the layer). Wanted files too big to keep are
  // remembered, so a hard link to one is an unread input rather than a silent gap.
  const captured = new Map<string, Buffer>();
  let capturedBytes = 0;
  const uncaptured = new Set<string>();

  const drain = (stream: EntryStream) => new Promise<void>((resolve, reject) => {
    stream.on('end', () => resolve());
    stream.on('error', reject);
    stream.resume();
  });

  /** Read an entry once: keep its bytes when `keep`, feed them to sinks as they pass. */
  const consume = (stream: EntryStream, path: string, size: number, keep: boolean, sinks: OpenSink[]) => new Promise<Buffer | null>((resolve, reject) => {
    // a kept file (≤ maxFileBytes) is copied once into a buffer of its declared size: collecting
    // the chunks and concatenating them would hold it twice at the peak
    const kept = keep ? Buffer.allocUnsafeSlow(size) : null;
    let got = 0;
    stream.on('data', (c: Buffer) => {
      if (got + c.length > size) { reject(new CustomsError('corrupt', `${what}: tar entry longer than its header says`)); return; }
      if (kept) c.copy(kept, got);
      got += c.length;
      group.feed(sinks, path, c);
    });
    stream.on('end', () => {
      if (got !== size) { reject(new CustomsError('corrupt', `${what}: tar entry truncated`)); return; }
      resolve(kept);
    });
    stream.on('error', reject);
  });

  /** keep a wanted file's content for hard links to it, within the caps */
  const capture = (path: string, content: Buffer) => {
    const prev = captured.get(path);
    if (prev) { capturedBytes -= prev.length; captured.delete(path); }
    uncaptured.delete(path);
    if (content.length <= CAPTURE_MAX_FILE && capturedBytes + content.length <= CAPTURE_BUDGET) { captured.set(path, content); capturedBytes += content.length; }
    else if (uncaptured.size < MAX_WARNINGS) uncaptured.add(path);
  };

  const file = async (path: string, size: number, entry: EntryInfo, inspected: FileFinding[], stream: EntryStream): Promise<void> => {
    let which = group.wantedBy(path, size, entry);
    const wanted = which.length > 0;
    const sinks = group.hasSinks ? group.openSinks(entry) : [];
    if (which.length === 0 && sinks.length === 0) {
      if (inspected.length) group.record(path, inspected);
      return drain(stream);
    }
    if (which.length > 0 && size > limits.maxFileBytes) {
      warn(`${path} is ${size} bytes, above maxFileBytes ${limits.maxFileBytes}: not analysed`);
      inspected.push(...unreadInputs(which, 'size', `${size} bytes, above limits.maxFileBytes (${limits.maxFileBytes}): not analysed`));
      which = [];
      captured.delete(path);
    }
    const content = await consume(stream, path, size, which.length > 0, sinks);
    if (content) capture(path, content);
    const found = await group.run(path, content, which, entry, sinks, inspected);
    group.checkBudget(path);
    // a wanted path always records (an empty list replaces what lower layers said about it); a
    // sink-only file records only findings, else every executable would be stored
    if (found.length || wanted) group.record(path, found);
  };

  const symlink = async (path: string, header: tar.Header, entry: EntryInfo, inspected: FileFinding[], stream: EntryStream): Promise<void> => {
    await drain(stream);
    if (inspected.length) group.record(path, inspected);
    if (group.wantedBy(path, 0, entry).length === 0) return;
    const target = header.linkname ?? '';
    if (!target) { warn(`symlink ${path} has an empty target`); return; }
    group.recordSymlink(path, resolveLinkTarget(path, target));
  };

  const hardLink = async (path: string, header: tar.Header, entry: EntryInfo, inspected: FileFinding[], stream: EntryStream): Promise<void> => {
    await drain(stream);
    const which = group.wantedBy(path, 0, entry);
    const target = normalizeEntryPath(header.linkname ?? '');
    const content = target === null ? undefined : captured.get(target);
    const sinks = content && group.hasSinks ? group.openSinks({ ...entry, type: 'file', size: content.length }) : [];
    if (which.length === 0 && sinks.length === 0) {
      if (inspected.length) group.record(path, inspected);
      return;
    }
    if (target === null) { warn(`hard link ${path} points outside the image (${JSON.stringify((header.linkname ?? '').slice(0, 300))}): ignored`); return; }
    if (!content && uncaptured.has(target)) {
      warn(`hard link ${path} → ${target}: the target is over the ${CAPTURE_MAX_FILE}-byte cap of content kept for hard links; not analysed`);
      group.record(path, [...inspected, ...unreadInputs(which, 'size', `hard link to ${target}, whose content was not kept (over ${CAPTURE_MAX_FILE} bytes): not analysed`)]);
      return;
    }
    if (!content) { warn(`hard link ${path} → ${target}: target content not captured earlier in this layer; not analysed`); return; }
    group.feedAll(sinks, path, content);
    const real = group.wantedBy(path, content.length, { ...entry, type: 'file', size: content.length });
    group.record(path, await group.run(path, content, real.length ? real : which, entry, sinks, inspected));
    group.checkBudget(path);
  };

  const handleEntry = async (header: tar.Header, stream: EntryStream): Promise<void> => {
    if (++walk.stats.entries > limits.maxEntriesPerLayer) {
      throw new CustomsError('limit', `${what}: more than ${limits.maxEntriesPerLayer} entries (maxEntriesPerLayer)`);
    }
    const rawName = header.name ?? '';
    const path = normalizeEntryPath(rawName);
    if (path === null) {
      warn(`skipped entry with unsafe path ${JSON.stringify(rawName.slice(0, 300))}`);
      return drain(stream);
    }
    const base = basename(path);
    if (base.startsWith(WH_PREFIX)) {
      const dir = dirname(path);
      if (base === WH_OPAQUE) walk.opaqueDirs.push(dir);
      else if (base.startsWith('.wh..wh.')) { /* aufs internals (.wh..wh.plnk etc.): ignore */ }
      else {
        const victim = (dir === '/' ? '' : dir) + '/' + base.slice(WH_PREFIX.length);
        if (victim !== '/') walk.whiteouts.push(victim);
      }
      return drain(stream);
    }
    const type = header.type ?? 'file';
    const size = header.size ?? 0;
    const entry: EntryInfo = {
      path, size, mode: header.mode ?? 0, uid: header.uid ?? 0, gid: header.gid ?? 0,
      type: type === 'file' || type === 'contiguous-file' ? 'file' : type === 'symlink' || type === 'link' || type === 'directory' ? type : 'other',
      ...(header.linkname ? { linkname: header.linkname } : {}),
    };
    const inspected = group.inspect(entry);

    if (entry.type === 'file') return file(path, size, entry, inspected, stream);
    if (entry.type === 'symlink') return symlink(path, header, entry, inspected, stream);
    if (entry.type === 'link') return hardLink(path, header, entry, inspected, stream);

    // directories, devices, fifos, ...: a non-file at a wanted path replaces what was there
    if (entry.type === 'directory') group.replaceByDirectory(path);
    if (inspected.length) group.record(path, inspected);
    return drain(stream);
  };

  const decompressed = await decompressLayer(blob, declared, limits, what);
  const tarIn: Readable = decompressed.stream;
  const extract = strictTarExtract();
  let entryError: unknown;
  extract.on('entry', (header, stream, next) => {
    handleEntry(header, stream).then(() => next(), (err: unknown) => {
      entryError ??= err;
      stream.destroy();
      next(err instanceof Error ? err : new Error(String(err)));
    });
  });
  let tarFinished = false;
  const finished = new Promise<void>((resolve, reject) => {
    extract.on('finish', () => { tarFinished = true; resolve(); });
    extract.on('error', (e: unknown) => reject(e));
    extract.on('close', () => resolve()); // only after finish or error
  });
  finished.catch(() => { /* observed below */ });

  const mapError = (e: unknown): unknown => {
    const err = entryError ?? e;
    if (isCustomsError(err)) return err;
    return new CustomsError('corrupt', `${what}: corrupt tar (${(err as Error)?.message ?? err})`, { cause: err });
  };

  try {
    for await (const chunk of tarIn) {
      if (!extract.write(chunk)) {
        await Promise.race([once(extract, 'drain'), finished]);
      }
      if (entryError) throw entryError;
    }
    extract.end(null);
    await finished;
    if (entryError) throw entryError;
    if (!tarFinished) {
      // closed without finishing: an error surfaced somewhere
      throw new CustomsError('corrupt', `${what}: tar stream ended unexpectedly`);
    }
  } catch (e) {
    tarIn.destroy();
    extract.destroy();
    destroyInput(blob);
    throw mapError(e);
  }
  walk.stats.bytesRead = decompressed.stats.compressedBytes;
  walk.stats.uncompressedBytes = decompressed.stats.uncompressedBytes;
  return walk;
}

function destroyInput(blob: NodeJS.ReadableStream | AsyncIterable<Buffer>): void {
  const d = (blob as { destroy?: (e?: Error) => void }).destroy;
  if (typeof d === 'function') {
    try { d.call(blob); } catch { /* ignore */ }
  }
}
