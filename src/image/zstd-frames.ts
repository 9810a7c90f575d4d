// zstd layers of several frames. A zstd stream may be any number of frames back to back (RFC 8878
// §3.1), and real layers are: pzstd writes one frame per input chunk, zstd:chunked (podman, buildah)
// one per file plus skippable frames holding its table of contents. Node's native decoder
// (zlib.createZstdDecompress, libzstd) stops at the end of the first frame and silently drops the
// rest, so the stream is split at frame boundaries here and each frame decoded by a fresh native
// decoder. Finding a boundary only needs the frame and block headers (a few bytes per block of up
// to 128 KiB): block contents are never looked at. Skippable frames are dropped.
import { once } from 'node:events';
import { Transform, type TransformCallback } from 'node:stream';
import * as zlib from 'node:zlib';
import { CustomsError } from '../errors.ts';

const ZSTD_MAGIC = 0xfd2fb528;
const SKIPPABLE_MASK = 0xfffffff0;
const SKIPPABLE_MAGIC = 0x184d2a50;
const EMPTY = Buffer.alloc(0);

type State =
  | 'magic' | 'skipSize' | 'skip'      // between frames; a skippable frame
  | 'fhd' | 'header'                    // frame header descriptor, then the rest of the frame header
  | 'blockHeader' | 'blockBody' | 'checksum';

/** A run of bytes of a zstd frame (to the decoder); `end` when the frame is complete with it. */
export interface FrameBytes { data: Buffer; end: boolean }

/** Splits a zstd stream into the bytes of its frames; skippable frames are dropped. */
export class ZstdFrameSplitter {
  private state: State = 'magic';
  private readonly acc = Buffer.alloc(4);
  private accN = 0;
  /** bytes still wanted in the current state */
  private need = 4;
  private lastBlock = false;
  private checksum = false;
  /** compressed bytes seen so far (offsets in messages) */
  private offset = 0;

  /** true between frames: the stream may end here */
  get atBoundary(): boolean { return this.state === 'magic' && this.accN === 0; }

  split(chunk: Buffer): FrameBytes[] {
    const out: FrameBytes[] = [];
    let runStart = this.inFrame() ? 0 : -1; // where the current frame's bytes start in this chunk
    let i = 0;
    const endFrame = (at: number) => {
      out.push({ data: runStart >= 0 && at > runStart ? chunk.subarray(runStart, at) : EMPTY, end: true });
      runStart = -1;
      this.to('magic', 4);
    };
    while (i < chunk.length) {
      if (this.state === 'skip' || this.state === 'blockBody') {
        const n = Math.min(this.need, chunk.length - i);
        i += n; this.need -= n;
        if (this.need > 0) continue;
        if (this.state === 'skip') this.to('magic', 4);
        else if (!this.lastBlock) this.to('blockHeader', 3);
        else if (this.checksum) this.to('checksum', 4);
        else endFrame(i);
        continue;
      }
      this.acc[this.accN++] = chunk[i++]!;
      if (this.accN < this.need) continue;
      this.accN = 0;
      switch (this.state) {
        case 'magic': {
          const magic = this.acc.readUInt32LE(0);
          if (magic === ZSTD_MAGIC) {
            // the magic may have come in over two chunks: hand it over on its own
            out.push({ data: Buffer.from(this.acc), end: false });
            runStart = i;
            this.to('fhd', 1);
          } else if ((magic & SKIPPABLE_MASK) >>> 0 === SKIPPABLE_MAGIC) {
            this.to('skipSize', 4);
          } else {
            throw new CustomsError('corrupt', `not a zstd frame at byte ${this.offset + i - 4} (magic 0x${magic.toString(16).padStart(8, '0')})`);
          }
          break;
        }
        case 'skipSize': this.to('skip', this.acc.readUInt32LE(0)); if (this.need === 0) this.to('magic', 4); break;
        case 'fhd': {
          const d = this.acc[0]!;
          if (d & 0x08) throw new CustomsError('corrupt', `zstd frame header at byte ${this.offset + i - 5}: reserved bit set`);
          const single = (d & 0x20) !== 0;
          const fcs = [single ? 1 : 0, 2, 4, 8][d >> 6]!;
          const did = [0, 1, 2, 4][d & 3]!;
          this.checksum = (d & 0x04) !== 0;
          const rest = (single ? 0 : 1) + did + fcs;
          this.state = 'header';
          this.need = rest;
          if (rest === 0) this.to('blockHeader', 3);
          break;
        }
        case 'header': this.to('blockHeader', 3); break;
        case 'blockHeader': {
          const h = this.acc[0]! | (this.acc[1]! << 8) | (this.acc[2]! << 16);
          this.lastBlock = (h & 1) === 1;
          const type = (h >> 1) & 3, size = h >>> 3;
          if (type === 3) throw new CustomsError('corrupt', `zstd block at byte ${this.offset + i - 3}: reserved block type`);
          this.to('blockBody', type === 1 ? 1 : size);
          if (this.need === 0) {
            if (!this.lastBlock) this.to('blockHeader', 3);
            else if (this.checksum) this.to('checksum', 4);
            else endFrame(i);
          }
          break;
        }
        case 'checksum': endFrame(i); break;
      }
    }
    if (runStart >= 0 && chunk.length > runStart) out.push({ data: chunk.subarray(runStart), end: false });
    this.offset += chunk.length;
    return out;
  }

  private inFrame(): boolean {
    return this.state !== 'magic' && this.state !== 'skipSize' && this.state !== 'skip';
  }

  private to(state: State, need: number): void {
    this.state = state; this.need = need; this.accN = 0;
  }
}

/** What a native decoder error means: a window larger than libzstd's default cap (128 MiB) is a limit. */
function decoderError(e: unknown): CustomsError {
  const err = e as NodeJS.ErrnoException;
  if (err?.code === 'ZSTD_error_frameParameter_windowTooLarge') {
    return new CustomsError('limit', `zstd frame needs a window above 128 MiB of memory to decode (${err.message})`, { cause: e });
  }
  return new CustomsError('corrupt', `corrupt zstd stream (${err?.message ?? String(e)})`, { cause: e });
}

/**
 * zstd bytes in, decompressed bytes out, every frame decoded (see the file comment). `bytesWritten`
 * counts compressed bytes taken in, like a zlib stream's. Errors are CustomsErrors whose messages
 * do not name the layer (the caller adds it).
 */
export class ZstdMultiFrameDecompress extends Transform {
  private readonly splitter = new ZstdFrameSplitter();
  private readonly chunkSize: number;
  private dec: zlib.ZstdDecompress | null = null;
  /** the first error of a frame decoder (it may fail while nothing awaits it) */
  private decError: unknown;
  bytesWritten = 0;

  constructor(chunkSize: number) {
    super({ highWaterMark: chunkSize });
    this.chunkSize = chunkSize;
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    this.feed(chunk).then(() => cb(), (e: unknown) => cb(e instanceof CustomsError ? e : decoderError(e)));
  }

  override _flush(cb: TransformCallback): void {
    if (this.decError !== undefined) { cb(decoderError(this.decError)); return; }
    if (!this.splitter.atBoundary) { cb(new CustomsError('corrupt', 'zstd stream truncated inside a frame')); return; }
    cb();
  }

  override _read(size: number): void {
    this.dec?.resume(); // output was paused while the consumer was full
    super._read(size);
  }

  override _destroy(err: Error | null, cb: (error?: Error | null) => void): void {
    this.dec?.destroy();
    this.dec = null;
    cb(err);
  }

  private async feed(chunk: Buffer): Promise<void> {
    this.bytesWritten += chunk.length; // skippable frames included: all of the blob was read
    for (const run of this.splitter.split(chunk)) {
      const dec = this.dec ?? this.open();
      if (run.data.length && !dec.write(run.data)) await this.until(dec, 'drain');
      if (run.end) {
        dec.end();
        await this.until(dec, 'end'); // the frame's output is all pushed before the next frame starts
        this.dec = null;
      }
    }
    if (this.decError !== undefined) throw this.decError;
  }

  /** once(dec, event), failing at once when the decoder already failed */
  private async until(dec: zlib.ZstdDecompress, event: string): Promise<void> {
    if (this.decError !== undefined) throw this.decError;
    await once(dec, event);
  }

  private open(): zlib.ZstdDecompress {
    const dec = zlib.createZstdDecompress({ chunkSize: this.chunkSize });
    dec.on('data', (c: Buffer) => { if (!this.push(c)) dec.pause(); });
    dec.on('error', (e) => { this.decError ??= e; });
    this.dec = dec;
    return dec;
  }
}
