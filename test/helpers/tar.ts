// Builders for test layers: real tar bytes from tar-stream's packer, gzip/zstd from node:zlib.
import * as zlib from 'node:zlib';
import { Readable } from 'node:stream';
import * as tar from 'tar-stream';

export interface TarEntry {
  path: string;
  content?: Buffer | string;
  type?: 'file' | 'dir' | 'symlink' | 'link';
  linkname?: string;
  mode?: number;
}

/** Build a tar archive in memory. Names are written exactly as given (so "../x" or "/abs" stay hostile). */
export async function makeTar(entries: TarEntry[]): Promise<Buffer> {
  const pack = tar.pack();
  const chunks: Buffer[] = [];
  const done = (async () => { for await (const c of pack) chunks.push(c as Buffer); })();
  for (const e of entries) {
    const type = e.type ?? 'file';
    const mtime = new Date(0);
    if (type === 'dir') {
      await entry(pack, { name: e.path, type: 'directory', mode: e.mode ?? 0o755, mtime });
    } else if (type === 'symlink' || type === 'link') {
      await entry(pack, { name: e.path, type, linkname: e.linkname ?? '', mode: e.mode ?? 0o777, mtime });
    } else {
      const body = typeof e.content === 'string' ? Buffer.from(e.content) : (e.content ?? Buffer.alloc(0));
      await entry(pack, { name: e.path, type: 'file', size: body.length, mode: e.mode ?? 0o644, mtime }, body);
    }
  }
  pack.finalize();
  await done;
  return Buffer.concat(chunks);
}

function entry(pack: tar.Pack, header: Partial<tar.Header> & { name: string }, body?: Buffer): Promise<void> {
  return new Promise((resolve, reject) => {
    const cb = (err?: Error | null) => (err ? reject(err) : resolve());
    if (body) pack.entry(header, body, cb);
    else pack.entry(header, cb);
  });
}

export function gzip(buf: Buffer): Buffer {
  return zlib.gzipSync(buf);
}

export function zstd(buf: Buffer): Buffer {
  return zlib.zstdCompressSync(buf);
}

/** An async iterable over `buf` in chunks of `size` bytes (to feed analyzeLayer like a network stream). */
export async function* chunked(buf: Buffer, size = 64 * 1024): AsyncGenerator<Buffer> {
  for (let i = 0; i < buf.length; i += size) yield buf.subarray(i, Math.min(buf.length, i + size));
}

/** A ustar header block for a regular file (for streaming huge synthetic entries without building them). */
export function tarFileHeader(name: string, size: number): Buffer {
  const h = Buffer.alloc(512);
  h.write(name, 0, 100, 'utf8');
  h.write('0000644\0', 100, 'ascii');
  h.write('0000000\0', 108, 'ascii');
  h.write('0000000\0', 116, 'ascii');
  h.write(size.toString(8).padStart(11, '0') + '\0', 124, 'ascii');
  h.write('00000000000\0', 136, 'ascii');
  h.write('        ', 148, 'ascii');
  h[156] = 0x30; // '0' regular file
  h.write('ustar\0', 257, 'ascii');
  h.write('00', 263, 'ascii');
  let sum = 0;
  for (let i = 0; i < 512; i++) sum += h[i]!;
  h.write(sum.toString(8).padStart(6, '0') + '\0 ', 148, 'ascii');
  return h;
}

/**
 * A gzip stream of a tar holding one file of `size` zero bytes, generated lazily (never held in
 * memory): a decompression bomb when size is large.
 */
export function zeroTarGzipStream(size: number, name = 'zeros.bin'): NodeJS.ReadableStream & AsyncIterable<Buffer> {
  const zero = Buffer.alloc(1024 * 1024);
  async function* gen(): AsyncGenerator<Buffer> {
    yield tarFileHeader(name, size);
    let left = size;
    while (left > 0) {
      const n = Math.min(left, zero.length);
      yield n === zero.length ? zero : zero.subarray(0, n);
      left -= n;
    }
    const pad = (512 - (size % 512)) % 512;
    yield Buffer.alloc(pad + 1024);
  }
  return Readable.from(gen()).pipe(zlib.createGzip({ level: 1 }));
}
