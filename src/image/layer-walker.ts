// Walk one layer: stream the blob through the decompressor into a tar parser, hand the few files
// analyzers want to them, record whiteouts, opaque dirs and wanted symlinks. Nothing touches disk;
// unwanted entries are drained as they pass, so memory stays bounded whatever the layer size.
import { once } from 'node:events';
import type { Readable } from 'node:stream';
import * as tar from 'tar-stream';
import { CustomsError, isCustomsError } from '../errors.ts';
import type { Limits } from '../config/schema.ts';
import type { Analyzer } from '../analyzers/analyzer.ts';
import type { Descriptor, FileFinding, LayerResult } from '../types.ts';
import { decompressLayer } from './decompress.ts';
import { layerCompression } from './media-types.ts';
import { basename, dirname, normalizeEntryPath, resolveLinkTarget } from './paths.ts';

const WH_PREFIX = '.wh.';
const WH_OPAQUE = '.wh..wh..opq';
/** warnings kept per layer; more are counted, not stored */
const MAX_WARNINGS = 200;

interface EntryStream {
  on(ev: string, fn: (...a: any[]) => void): unknown;
  resume(): unknown;
  destroy(err?: Error): unknown;
}

/**
 * Analyse one layer blob. The blob stream is read to its very end on success (so a DigestVerifier
 * upstream checks the digest); on failure it is destroyed. Throws CustomsError: 'corrupt' (bad
 * gzip/zstd/tar), 'limit' (caps), 'unsupported' (unknown media type), or the blob's own error.
 */
export async function analyzeLayer(
  blob: NodeJS.ReadableStream | AsyncIterable<Buffer>,
  desc: Descriptor,
  analyzers: Analyzer[],
  limits: Limits,
): Promise<LayerResult> {
  const what = `layer ${desc.digest}`;
  const declared = layerCompression(desc.mediaType);
  if (declared === undefined && desc.mediaType !== '' && !/\btar\b/.test(desc.mediaType)) {
    destroyInput(blob);
    throw new CustomsError('unsupported', `${what}: unsupported layer media type "${desc.mediaType.slice(0, 200)}"`);
  }

  const result: LayerResult = {
    digest: desc.digest, files: {}, whiteouts: [], opaqueDirs: [], symlinks: {},
    stats: { entries: 0, bytesRead: 0, uncompressedBytes: 0 }, warnings: [],
  };
  let droppedWarnings = 0;
  const warn = (msg: string) => {
    if (result.warnings.length < MAX_WARNINGS) result.warnings.push(`${what}: ${msg}`);
    else droppedWarnings++;
  };
  // Content of wanted files seen in this layer, for hard links to them (bounded total).
  const captured = new Map<string, Buffer>();
  let capturedBytes = 0;
  const capturedBudget = Math.max(limits.maxFileBytes * 4, 16 * 1024 * 1024);

  const wantedBy = (path: string, size: number): Analyzer[] => {
    let out: Analyzer[] | undefined;
    for (const a of analyzers) {
      let w = false;
      try { w = a.wants(path, size); } catch (e) { warn(`analyzer ${a.name} failed on wants(${path}): ${(e as Error)?.message ?? e}`); }
      if (w) (out ??= []).push(a);
    }
    return out ?? [];
  };

  const runAnalyzers = async (path: string, content: Buffer, which: Analyzer[]) => {
    const findings: FileFinding[] = [];
    for (const a of which) {
      try {
        const f = await a.analyze(path, content);
        if (f && (f.os || (f.packages && f.packages.length > 0))) findings.push({ analyzer: a.name, ...f });
      } catch (e) {
        warn(`analyzer ${a.name} failed on ${path}: ${(e as Error)?.message ?? e}`);
      }
    }
    delete result.symlinks[path];
    result.files[path] = findings;
  };

  const drain = (stream: EntryStream) => new Promise<void>((resolve, reject) => {
    stream.on('end', () => resolve());
    stream.on('error', reject);
    stream.resume();
  });

  const readAll = (stream: EntryStream, size: number) => new Promise<Buffer>((resolve, reject) => {
    const parts: Buffer[] = [];
    let got = 0;
    stream.on('data', (c: Buffer) => {
      got += c.length;
      if (got > size) { reject(new CustomsError('corrupt', `${what}: tar entry longer than its header says`)); return; }
      parts.push(c);
    });
    stream.on('end', () => resolve(parts.length === 1 ? parts[0]! : Buffer.concat(parts, got)));
    stream.on('error', reject);
  });

  const handleEntry = async (header: tar.Header, stream: EntryStream): Promise<void> => {
    if (++result.stats.entries > limits.maxEntriesPerLayer) {
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
      if (base === WH_OPAQUE) result.opaqueDirs.push(dir);
      else if (base.startsWith('.wh..wh.')) { /* aufs internals (.wh..wh.plnk etc.): ignore */ }
      else {
        const victim = (dir === '/' ? '' : dir) + '/' + base.slice(WH_PREFIX.length);
        if (victim !== '/') result.whiteouts.push(victim);
      }
      return drain(stream);
    }
    const type = header.type ?? 'file';
    const size = header.size ?? 0;

    if (type === 'file' || type === 'contiguous-file') {
      const which = wantedBy(path, size);
      if (which.length === 0) return drain(stream);
      if (size > limits.maxFileBytes) {
        warn(`${path} is ${size} bytes, above maxFileBytes ${limits.maxFileBytes}: not analysed`);
        delete result.symlinks[path];
        result.files[path] = [];
        captured.delete(path);
        return drain(stream);
      }
      const content = await readAll(stream, size);
      if (content.length !== size) throw new CustomsError('corrupt', `${what}: tar entry ${path} truncated`);
      const prev = captured.get(path);
      if (prev) { capturedBytes -= prev.length; captured.delete(path); }
      if (capturedBytes + content.length <= capturedBudget) { captured.set(path, content); capturedBytes += content.length; }
      await runAnalyzers(path, content, which);
      return;
    }

    if (type === 'symlink') {
      await drain(stream);
      if (wantedBy(path, 0).length === 0) return;
      const target = header.linkname ?? '';
      if (!target) { warn(`symlink ${path} has an empty target`); return; }
      delete result.files[path];
      result.symlinks[path] = resolveLinkTarget(path, target);
      return;
    }

    if (type === 'link') {
      await drain(stream);
      const which = wantedBy(path, 0);
      if (which.length === 0) return;
      const target = normalizeEntryPath(header.linkname ?? '');
      if (target === null) { warn(`hard link ${path} points outside the image (${JSON.stringify((header.linkname ?? '').slice(0, 300))}): ignored`); return; }
      const content = captured.get(target);
      if (!content) { warn(`hard link ${path} → ${target}: target content not captured earlier in this layer; not analysed`); return; }
      const real = wantedBy(path, content.length);
      await runAnalyzers(path, content, real.length ? real : which);
      return;
    }

    // directories, devices, fifos, ...: a non-file at a wanted path replaces what was there
    if (type === 'directory' && (result.files[path] || result.symlinks[path])) {
      delete result.files[path];
      delete result.symlinks[path];
    }
    return drain(stream);
  };

  const decompressed = await decompressLayer(blob, declared, limits, what);
  const tarIn: Readable = decompressed.stream;
  const extract = tar.extract();
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
  result.stats.bytesRead = decompressed.stats.compressedBytes;
  result.stats.uncompressedBytes = decompressed.stats.uncompressedBytes;
  if (droppedWarnings > 0) result.warnings.push(`${what}: ${droppedWarnings} more warnings not shown`);
  return result;
}

function destroyInput(blob: NodeJS.ReadableStream | AsyncIterable<Buffer>): void {
  const d = (blob as { destroy?: (e?: Error) => void }).destroy;
  if (typeof d === 'function') {
    try { d.call(blob); } catch { /* ignore */ }
  }
}
