// Layer decompression: compressed blob bytes in, tar bytes out, with size and ratio caps.
// Everything streams; nothing is buffered beyond zlib's own windows and one chunk of sniffing.
import { Readable, Transform, type TransformCallback } from 'node:stream';
import * as zlib from 'node:zlib';
import { CustomsError, isCustomsError } from '../errors.ts';
import type { Limits } from '../config/schema.ts';
import type { LayerCompression } from './media-types.ts';
import { ZstdMultiFrameDecompress } from './zstd-frames.ts';

/** Output chunk size of the decompressors: bigger chunks mean fewer callbacks downstream. */
const CHUNK = 64 * 1024;

export interface DecompressStats {
  /** compressed bytes consumed so far */
  compressedBytes: number;
  /** uncompressed (tar) bytes produced so far */
  uncompressedBytes: number;
  /** what the magic bytes said (may differ from the media type) */
  compression: LayerCompression;
}

export interface DecompressedLayer {
  /** tar bytes; errors with CustomsError ('corrupt' | 'limit', or whatever the input failed with) */
  stream: Readable;
  stats: DecompressStats;
}

/** Sniff the compression from the first bytes: gzip 1f 8b, zstd 28 b5 2f fd (or a skippable frame), anything else tar. */
export function sniffCompression(head: Buffer): LayerCompression | undefined {
  if (head.length >= 2 && head[0] === 0x1f && head[1] === 0x8b) return 'gzip';
  if (head.length >= 4 && head[0] === 0x28 && head[1] === 0xb5 && head[2] === 0x2f && head[3] === 0xfd) return 'zstd';
  // a zstd skippable frame first (pzstd, zstd:chunked): 0x184D2A50..5F little-endian
  if (head.length >= 4 && (head[0]! & 0xf0) === 0x50 && head[1] === 0x2a && head[2] === 0x4d && head[3] === 0x18) return 'zstd';
  if (head.length < 4) return undefined; // not enough bytes to tell
  return 'none';
}

/**
 * Compressions a layer may arrive in that Customs does not read (docker load once took bzip2 and
 * xz layer tarballs; no OCI media type names them): told by magic bytes, so they are 'unsupported'
 * rather than a "corrupt tar".
 */
export function foreignCompression(head: Buffer): string | undefined {
  // bzip2: "BZh" + block size digit + the block (or end-of-stream) magic
  if (head.length >= 10 && head.toString('latin1', 0, 3) === 'BZh' && head[3]! >= 0x31 && head[3]! <= 0x39
      && (head.subarray(4, 10).equals(Buffer.from([0x31, 0x41, 0x59, 0x26, 0x53, 0x59])) || head.subarray(4, 10).equals(Buffer.from([0x17, 0x72, 0x45, 0x38, 0x50, 0x90])))) return 'bzip2';
  if (head.length >= 6 && head.subarray(0, 6).equals(Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]))) return 'xz';
  if (head.length >= 4 && head.readUInt32LE(0) === 0x184d2204) return 'lz4';
  return undefined;
}

function toReadable(input: NodeJS.ReadableStream | AsyncIterable<Buffer>): Readable {
  if (input instanceof Readable) return input;
  if (typeof (input as NodeJS.ReadableStream).pipe === 'function' && typeof (input as NodeJS.ReadableStream).on === 'function') {
    return new Readable({ highWaterMark: CHUNK }).wrap(input as NodeJS.ReadableStream);
  }
  return Readable.from(input as AsyncIterable<Buffer>, { objectMode: false });
}

/**
 * Counts what leaves the decompressor and enforces maxLayerBytes and the ratio cap (checked once
 * more than ratioGraceBytes were produced). Compressed bytes are read from the decompressor's own
 * `bytesWritten`, so no extra stage is needed on the compressed side.
 */
class LayerGuard extends Transform {
  private readonly limits: Limits;
  private readonly what: string;
  readonly stats: DecompressStats;
  private readonly compressedCount: () => number;
  constructor(limits: Limits, what: string, stats: DecompressStats, compressedCount: () => number) {
    super({ highWaterMark: CHUNK });
    this.limits = limits; this.what = what; this.stats = stats; this.compressedCount = compressedCount;
  }
  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    const s = this.stats;
    s.uncompressedBytes += chunk.length;
    s.compressedBytes = this.compressedCount();
    if (s.uncompressedBytes > this.limits.maxLayerBytes) {
      cb(new CustomsError('limit', `${this.what}: uncompressed layer larger than ${this.limits.maxLayerBytes} bytes (maxLayerBytes)`));
      return;
    }
    if (s.compression !== 'none' && s.uncompressedBytes > this.limits.ratioGraceBytes
        && s.uncompressedBytes > this.limits.maxCompressionRatio * Math.max(1, s.compressedBytes)) {
      cb(new CustomsError('limit', `${this.what}: decompression ratio above ${this.limits.maxCompressionRatio}:1 — possible decompression bomb`));
      return;
    }
    cb(null, chunk);
  }
  override _flush(cb: TransformCallback): void {
    this.stats.compressedBytes = this.compressedCount();
    cb();
  }
}

/** Read at least `n` bytes (or up to the end) from `r`, then put them back. */
async function peek(r: Readable, n: number): Promise<Buffer> {
  const parts: Buffer[] = [];
  let have = 0;
  while (have < n) {
    const chunk = r.read() as Buffer | null;
    if (chunk !== null) { parts.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk)); have += chunk.length; continue; }
    if (r.readableEnded || r.destroyed) break;
    const ended = await new Promise<boolean>((resolve, reject) => {
      const onReadable = () => { cleanup(); resolve(false); };
      const onEnd = () => { cleanup(); resolve(true); };
      const onError = (e: unknown) => { cleanup(); reject(e); };
      const onClose = () => { cleanup(); resolve(true); };
      const cleanup = () => { r.off('readable', onReadable); r.off('end', onEnd); r.off('error', onError); r.off('close', onClose); };
      r.on('readable', onReadable); r.on('end', onEnd); r.on('error', onError); r.on('close', onClose);
    });
    if (ended) {
      const last = r.read() as Buffer | null;
      if (last !== null) { parts.push(last); have += last.length; }
      break;
    }
  }
  const head = parts.length === 1 ? parts[0]! : Buffer.concat(parts);
  if (head.length > 0) r.unshift(head);
  return head;
}

/**
 * Turn compressed layer bytes into tar bytes. `declared` is what the media type says
 * (layerCompression); the magic bytes win when they disagree. `what` names the layer in messages
 * (e.g. "layer sha256:..."). Errors from the input pass through unchanged (a DigestVerifier's
 * 'digest-mismatch' stays one); decompressor errors become 'corrupt'; caps become 'limit'.
 */
export async function decompressLayer(
  input: NodeJS.ReadableStream | AsyncIterable<Buffer>,
  declared: LayerCompression | undefined,
  limits: Limits,
  what: string,
): Promise<DecompressedLayer> {
  const src = toReadable(input);
  // An error listener stays attached from here on: the input (e.g. a DigestVerifier) may fail at
  // any tick, also between peeking and piping.
  let earlyError: unknown;
  const onEarlyError = (e: unknown) => { earlyError ??= e; };
  src.on('error', onEarlyError);
  let head: Buffer;
  try {
    head = await peek(src, 10);
    if (earlyError !== undefined) throw earlyError;
    const foreign = foreignCompression(head);
    if (foreign) throw new CustomsError('unsupported', `${what}: ${foreign}-compressed layer: not supported (Customs reads tar, gzip and zstd layers)`);
  } catch (e) {
    src.off('error', onEarlyError);
    src.on('error', () => { /* already reported */ });
    src.destroy();
    throw isCustomsError(e) ? e : new CustomsError('corrupt', `${what}: cannot read layer: ${(e as Error)?.message ?? e}`, { cause: e });
  }
  const compression: LayerCompression = sniffCompression(head) ?? (head.length === 0 ? 'none' : (declared ?? 'none'));
  const stats: DecompressStats = { compressedBytes: 0, uncompressedBytes: 0, compression };

  let decoder: zlib.Gunzip | ZstdMultiFrameDecompress | undefined;
  if (compression === 'gzip') decoder = zlib.createGunzip({ chunkSize: CHUNK }); // every gzip member
  else if (compression === 'zstd') decoder = new ZstdMultiFrameDecompress(CHUNK); // every zstd frame
  const dec = decoder;

  let inBytes = 0;
  const guard = new LayerGuard(limits, what, stats, dec ? () => dec.bytesWritten : () => inBytes);
  let failed = false;
  const fail = (err: unknown, from: 'input' | 'decoder' | 'guard') => {
    if (failed) return;
    failed = true;
    let e: unknown = err;
    if (isCustomsError(err) && from === 'decoder') {
      e = new CustomsError(err.kind, `${what}: ${err.message}`, { cause: err });
    } else if (!isCustomsError(err)) {
      const msg = (err as Error)?.message ?? String(err);
      e = from === 'decoder'
        ? new CustomsError('corrupt', `${what}: corrupt ${compression} stream (${msg})`, { cause: err })
        : new CustomsError('corrupt', `${what}: ${msg}`, { cause: err });
    }
    if (from !== 'input') src.destroy();
    if (dec && from !== 'decoder') dec.destroy();
    guard.destroy(e as Error);
  };
  src.on('error', (e) => fail(e, 'input'));
  src.off('error', onEarlyError);
  guard.on('error', () => { /* surfaced to the consumer through its own listener */ });
  if (dec) {
    dec.on('error', (e) => fail(e, 'decoder'));
    src.pipe(dec).pipe(guard);
  } else {
    src.on('data', (c: Buffer) => { inBytes += c.length; });
    src.pipe(guard);
  }
  // When the consumer gives up early, stop reading the input.
  guard.on('close', () => {
    if (!guard.writableFinished) { src.destroy(); dec?.destroy(); }
  });
  if (earlyError !== undefined) fail(earlyError, 'input');
  return { stream: guard, stats };
}
