// Builders for test layers: real tar bytes from tar-stream's packer, gzip/zstd from node:zlib.
import * as zlib from 'node:zlib';
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
