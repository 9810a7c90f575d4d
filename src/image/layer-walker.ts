// Walk one layer: stream the blob through the decompressor into a tar parser, hand the few files
// analyzers want to them, record whiteouts, opaque dirs and wanted symlinks. Nothing touches disk;
// unwanted entries are drained as they pass, so memory stays bounded whatever the layer size.
import { once } from 'node:events';
import type { Readable } from 'node:stream';
import * as tar from 'tar-stream';
import { CustomsError, isCustomsError } from '../errors.ts';
import type { Limits } from '../config/schema.ts';
import { UNREAD_INPUT, type Analyzer, type AnalyzerFinding, type FileSink, type SinkContext } from '../analyzers/analyzer.ts';
import { ArchiveBudget } from '../analyzers/archive-budget.ts';
import type { Descriptor, EntryInfo, FileFinding, LayerResult } from '../types.ts';
import { decompressLayer } from './decompress.ts';
import { strictTarExtract } from './tar-extract.ts';
import { layerCompression, mayBeTarLayer } from './media-types.ts';
import { basename, dirname, normalizeEntryPath, resolveLinkTarget } from '../util/paths.ts';

const WH_PREFIX = '.wh.';
const WH_OPAQUE = '.wh..wh..opq';
/** warnings kept per layer; more are counted, not stored */
const MAX_WARNINGS = 200;
/** wanted files kept for hard links to them: each up to, and all together */
const CAPTURE_MAX_FILE = 4 * 1024 * 1024;
const CAPTURE_BUDGET = 16 * 1024 * 1024;

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
  /** the image's archive budget (pipeline); a layer analysed alone gets its own */
  imageBudget: ArchiveBudget = new ArchiveBudget('image', limits),
): Promise<LayerResult> {
  const what = `layer ${desc.digest}`;
  const declared = layerCompression(desc.mediaType);
  if (declared === undefined && !mayBeTarLayer(desc.mediaType)) {
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
  // Content of wanted files seen in this layer, for hard links to them (bounded: a few big wanted
  // files must not stay in memory for the rest of the layer). Wanted files too big to keep are
  // remembered, so a hard link to one is an unread input rather than a silent gap.
  const captured = new Map<string, Buffer>();
  let capturedBytes = 0;
  const uncaptured = new Set<string>();

  const sinkAnalyzers = analyzers.filter((a) => typeof a.openSink === 'function');
  // archives read by sinks (Java) draw from this layer's budget, and it from the image's
  const archives = imageBudget.child('layer');
  const sinkContext: SinkContext = { limits, archives };
  /** a layer or image cap passed inside a sink (which the sink's own error handling cannot swallow) */
  const checkBudget = (path: string) => {
    const e = archives.failure();
    if (e) throw new CustomsError('limit', `${what}: Java archives: ${e.message} (at ${path})`, { cause: e });
  };
  const inspectors = analyzers.filter((a) => typeof a.inspect === 'function');
  const failed = (a: Analyzer, what: string, e: unknown) => warn(`analyzer ${a.name} failed on ${what}: ${(e as Error)?.message ?? e}`);

  const wantedBy = (path: string, size: number, entry: EntryInfo): Analyzer[] => {
    let out: Analyzer[] | undefined;
    for (const a of analyzers) {
      let w = false;
      try { w = a.wants(path, size, entry); } catch (e) { failed(a, `wants(${path})`, e); }
      if (w) (out ??= []).push(a);
    }
    return out ?? [];
  };

  const openSinks = (entry: EntryInfo): { a: Analyzer; sink: FileSink; done: boolean }[] => {
    const out: { a: Analyzer; sink: FileSink; done: boolean }[] = [];
    for (const a of sinkAnalyzers) {
      try {
        const sink = a.openSink!(entry, sinkContext);
        if (sink) out.push({ a, sink, done: false });
      } catch (e) { failed(a, `openSink(${entry.path})`, e); }
    }
    return out;
  };

  const inspect = (entry: EntryInfo): FileFinding[] => {
    const out: FileFinding[] = [];
    for (const a of inspectors) {
      try {
        const f = a.inspect!(entry);
        if (f && hasContent(f)) out.push({ analyzer: a.name, ...f });
      } catch (e) { failed(a, `inspect(${entry.path})`, e); }
    }
    return out;
  };

  /** Record what this layer says about a path; an empty list still replaces lower layers' view. */
  const record = (path: string, findings: FileFinding[]) => {
    delete result.symlinks[path];
    result.files[path] = findings;
  };

  /** an analyzer's own warnings go to the layer's warnings, the rest is the finding */
  const withoutWarnings = (a: Analyzer, path: string, f: AnalyzerFinding | null): AnalyzerFinding | null => {
    if (!f?.warnings) return f;
    const { warnings, ...rest } = f;
    for (const w of warnings) warn(`analyzer ${a.name} on ${path}: ${w}`);
    return rest;
  };

  const runAnalyzers = async (path: string, content: Buffer | null, which: Analyzer[], entry: EntryInfo, sinks: { a: Analyzer; sink: FileSink; done: boolean }[], found: FileFinding[]) => {
    if (content) {
      for (const a of which) {
        try {
          const f = withoutWarnings(a, path, await a.analyze(path, content, entry));
          if (f && hasContent(f)) found.push({ analyzer: a.name, ...f });
        } catch (e) {
          failed(a, path, e);
          found.push(...unreadInputs([a], 'failure', `analyzer failed: ${String((e as Error)?.message ?? e).slice(0, 200)}`));
        }
      }
    }
    for (const s of sinks) {
      try {
        const f = withoutWarnings(s.a, path, await s.sink.end());
        if (f && hasContent(f)) found.push({ analyzer: s.a.name, ...f });
      } catch (e) { failed(s.a, path, e); }
    }
    return found;
  };

  const drain = (stream: EntryStream) => new Promise<void>((resolve, reject) => {
    stream.on('end', () => resolve());
    stream.on('error', reject);
    stream.resume();
  });

  /** Read an entry once: keep its bytes when `keep`, feed them to sinks as they pass. */
  const consume = (stream: EntryStream, path: string, size: number, keep: boolean, sinks: { a: Analyzer; sink: FileSink; done: boolean }[]) => new Promise<Buffer | null>((resolve, reject) => {
    // a kept file (≤ maxFileBytes) is copied once into a buffer of its declared size: collecting
    // the chunks and concatenating them would hold it twice at the peak
    const kept = keep ? Buffer.allocUnsafeSlow(size) : null;
    let got = 0;
    stream.on('data', (c: Buffer) => {
      if (got + c.length > size) { reject(new CustomsError('corrupt', `${what}: tar entry longer than its header says`)); return; }
      if (kept) c.copy(kept, got);
      got += c.length;
      for (const s of sinks) {
        if (s.done) continue;
        try { if (s.sink.write(c) === false) s.done = true; } catch (e) { s.done = true; failed(s.a, path, e); }
      }
    });
    stream.on('end', () => {
      if (got !== size) { reject(new CustomsError('corrupt', `${what}: tar entry truncated`)); return; }
      resolve(kept);
    });
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
    const entry: EntryInfo = {
      path, size, mode: header.mode ?? 0, uid: header.uid ?? 0, gid: header.gid ?? 0,
      type: type === 'file' || type === 'contiguous-file' ? 'file' : type === 'symlink' || type === 'link' || type === 'directory' ? type : 'other',
      ...(header.linkname ? { linkname: header.linkname } : {}),
    };
    const inspected = inspectors.length ? inspect(entry) : [];

    if (entry.type === 'file') {
      let which = wantedBy(path, size, entry);
      const wanted = which.length > 0;
      const sinks = sinkAnalyzers.length ? openSinks(entry) : [];
      if (which.length === 0 && sinks.length === 0) {
        if (inspected.length) record(path, inspected);
        return drain(stream);
      }
      if (which.length > 0 && size > limits.maxFileBytes) {
        warn(`${path} is ${size} bytes, above maxFileBytes ${limits.maxFileBytes}: not analysed`);
        inspected.push(...unreadInputs(which, 'size', `${size} bytes, above limits.maxFileBytes (${limits.maxFileBytes}): not analysed`));
        which = [];
        captured.delete(path);
      }
      const content = await consume(stream, path, size, which.length > 0, sinks);
      if (content) {
        const prev = captured.get(path);
        if (prev) { capturedBytes -= prev.length; captured.delete(path); }
        uncaptured.delete(path);
        if (content.length <= CAPTURE_MAX_FILE && capturedBytes + content.length <= CAPTURE_BUDGET) { captured.set(path, content); capturedBytes += content.length; }
        else if (uncaptured.size < MAX_WARNINGS) uncaptured.add(path);
      }
      const found = await runAnalyzers(path, content, which, entry, sinks, inspected);
      checkBudget(path);
      // a wanted path always records (an empty list replaces what lower layers said about it); a
      // sink-only file records only findings, else every executable would be stored
      if (found.length || wanted) record(path, found);
      return;
    }

    if (entry.type === 'symlink') {
      await drain(stream);
      if (inspected.length) record(path, inspected);
      if (wantedBy(path, 0, entry).length === 0) return;
      const target = header.linkname ?? '';
      if (!target) { warn(`symlink ${path} has an empty target`); return; }
      delete result.files[path];
      result.symlinks[path] = resolveLinkTarget(path, target);
      return;
    }

    if (entry.type === 'link') {
      await drain(stream);
      const which = wantedBy(path, 0, entry);
      const target = normalizeEntryPath(header.linkname ?? '');
      const content = target === null ? undefined : captured.get(target);
      const sinks = content && sinkAnalyzers.length ? openSinks({ ...entry, type: 'file', size: content.length }) : [];
      if (which.length === 0 && sinks.length === 0) {
        if (inspected.length) record(path, inspected);
        return;
      }
      if (target === null) { warn(`hard link ${path} points outside the image (${JSON.stringify((header.linkname ?? '').slice(0, 300))}): ignored`); return; }
      if (!content && uncaptured.has(target)) {
        warn(`hard link ${path} → ${target}: the target is over the ${CAPTURE_MAX_FILE}-byte cap of content kept for hard links; not analysed`);
        record(path, [...inspected, ...unreadInputs(which, 'size', `hard link to ${target}, whose content was not kept (over ${CAPTURE_MAX_FILE} bytes): not analysed`)]);
        return;
      }
      if (!content) { warn(`hard link ${path} → ${target}: target content not captured earlier in this layer; not analysed`); return; }
      for (const s of sinks) {
        try { s.sink.write(content); } catch (e) { failed(s.a, path, e); }
      }
      const real = wantedBy(path, content.length, { ...entry, type: 'file', size: content.length });
      record(path, await runAnalyzers(path, content, real.length ? real : which, entry, sinks, inspected));
      checkBudget(path);
      return;
    }

    // directories, devices, fifos, ...: a non-file at a wanted path replaces what was there
    if (entry.type === 'directory' && (result.files[path] || result.symlinks[path])) {
      delete result.files[path];
      delete result.symlinks[path];
    }
    if (inspected.length) record(path, inspected);
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
  result.stats.bytesRead = decompressed.stats.compressedBytes;
  result.stats.uncompressedBytes = decompressed.stats.uncompressedBytes;
  result.stats.archives = { ...archives.used };
  if (droppedWarnings > 0) result.warnings.push(`${what}: ${droppedWarnings} more warnings not shown`);
  return result;
}

function destroyInput(blob: NodeJS.ReadableStream | AsyncIterable<Buffer>): void {
  const d = (blob as { destroy?: (e?: Error) => void }).destroy;
  if (typeof d === 'function') {
    try { d.call(blob); } catch { /* ignore */ }
  }
}

/** true when a finding says anything (an empty finding is not stored) */
export function hasContent(f: Omit<FileFinding, 'analyzer'>): boolean {
  return !!(f.os || f.packages?.length || f.secrets?.length || f.facts?.length || f.ownedFiles?.length);
}

/** The `unread-input` facts a file that could not be analysed leaves (see Analyzer.completeness). */
function unreadInputs(analyzers: Analyzer[], cause: 'size' | 'failure', detail: string): FileFinding[] {
  return analyzers
    .filter((a) => (a.completeness ?? 'size') !== 'none' && (cause === 'size' || a.completeness === 'strict'))
    .map((a) => ({ analyzer: a.name, facts: [{ id: UNREAD_INPUT, detail: `${a.name}: ${detail}` }] }));
}
