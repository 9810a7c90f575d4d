// rootfs:DIR / fs:DIR — an unpacked filesystem (a chroot, a container's merged rootfs, a project
// checkout) read as an image of one layer: the directory is streamed as a tar, so every analyzer
// sees it exactly as it sees a registry layer. Nothing is followed out of the directory: symlinks
// are packed as symlinks, other file systems below it are not entered (like `find -xdev`, so a
// live system's /proc and /sys are left alone), sockets, fifos and devices are skipped.
import { createHash } from 'node:crypto';
import type { Stats } from 'node:fs';
import { lstat, open, opendir, readlink } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import tar from 'tar-stream';
import type { Limits } from '../config/schema.ts';
import { CustomsError } from '../errors.ts';
import { log } from '../log.ts';
import type { Descriptor, ImageSource, ResolvedImage } from '../types.ts';

interface Entry { rel: string; st: Stats }
type Header = Parameters<tar.Pack['entry']>[0];

const LAYER_MT = 'application/vnd.oci.image.layer.v1.tar';

export class DirectorySource implements ImageSource {
  readonly name: string;
  private readonly dir: string;
  private readonly limits: Limits;
  private entries: Entry[] | undefined;

  constructor(kind: 'rootfs' | 'fs', dir: string, limits: Limits) {
    this.dir = resolve(dir);
    this.limits = limits;
    this.name = `${kind}:${dir}`;
  }

  async resolve(): Promise<ResolvedImage[]> {
    let top: Stats;
    try {
      top = await lstat(this.dir);
    } catch (e: any) {
      throw new CustomsError(e.code === 'ENOENT' ? 'not-found' : 'usage', `${this.name}: ${e.code === 'ENOENT' ? 'no such directory' : e.message}`);
    }
    if (!top.isDirectory()) throw new CustomsError('usage', `${this.name}: not a directory`);
    this.entries = await this.list(top.dev);
    // an identity for the listing (names, sizes, times, modes): the layer's "digest" in reports; never cached
    const h = createHash('sha256');
    let size = 0;
    for (const { rel, st } of this.entries) {
      h.update(`${rel}\0${st.size}\0${st.mtimeMs}\0${st.mode}\0${st.ino}\n`);
      if (st.isFile()) size += st.size;
    }
    const digest = `sha256:${h.digest('hex')}`;
    const layer: Descriptor = { mediaType: LAYER_MT, digest, size };
    return [{
      rootDigest: digest, manifestDigest: digest, manifestMediaType: 'application/vnd.oci.image.manifest.v1+json',
      platform: { os: 'linux', architecture: 'unknown' },
      // no image config: the configuration checks (USER, HEALTHCHECK, history) do not apply to a directory
      config: {}, configDigest: '', layers: [layer],
    }];
  }

  /** Every entry below the directory, parents before children, bounded by limits.maxEntriesPerLayer. */
  private async list(dev: number): Promise<Entry[]> {
    const out: Entry[] = [];
    const stack = [''];
    while (stack.length) {
      const rel = stack.pop()!;
      let dir;
      try {
        dir = await opendir(join(this.dir, rel));
      } catch (e: any) {
        log.warn({ source: this.name, path: `/${rel}`, code: e.code }, 'directory not readable; left out');
        continue;
      }
      for await (const d of dir) {
        const child = rel ? `${rel}/${d.name}` : d.name;
        let st: Stats;
        try { st = await lstat(join(this.dir, child)); } catch { continue; }
        if (!(st.isFile() || st.isDirectory() || st.isSymbolicLink())) continue;
        if (out.length >= this.limits.maxEntriesPerLayer) throw new CustomsError('limit', `${this.name}: more than limits.maxEntriesPerLayer (${this.limits.maxEntriesPerLayer}) entries`);
        out.push({ rel: child, st });
        if (st.isDirectory() && st.dev === dev) stack.push(child);
      }
    }
    return out;
  }

  async openBlob(desc: Descriptor): Promise<Readable> {
    if (!this.entries) await this.resolve();
    const pack = tar.pack();
    const out = new PassThrough();
    pack.pipe(out);
    void this.fill(pack).catch((e) => out.destroy(e));
    log.debug({ source: this.name, layer: desc.digest }, 'packing directory');
    return out;
  }

  private async fill(pack: tar.Pack): Promise<void> {
    for (const { rel, st } of this.entries!) {
      const base = { name: rel, mode: st.mode & 0o7777, uid: st.uid, gid: st.gid, mtime: st.mtime };
      if (st.isDirectory()) {
        await entry(pack, { ...base, type: 'directory' });
      } else if (st.isSymbolicLink()) {
        let target: string;
        try { target = await readlink(join(this.dir, rel)); } catch { continue; }
        await entry(pack, { ...base, type: 'symlink', linkname: target });
      } else {
        await this.file(pack, rel, st, base);
      }
    }
    pack.finalize();
  }

  /** A file as it was listed: exactly st.size bytes (a file that grew is cut, one that shrank is padded), so the tar stays valid. */
  private async file(pack: tar.Pack, rel: string, st: Stats, base: Header): Promise<void> {
    let src: Readable;
    try {
      src = await openExact(join(this.dir, rel), st.size);
    } catch (e: any) {
      log.warn({ source: this.name, path: `/${rel}`, code: e.code }, 'file not readable; left out');
      return;
    }
    const sink = pack.entry({ ...base, type: 'file', size: st.size });
    await pipeline(src, sink);
  }
}

function entry(pack: tar.Pack, header: Header): Promise<void> {
  return new Promise((res, rej) => pack.entry(header, (err) => (err ? rej(err) : res())));
}

/** A stream of exactly `size` bytes of the file; opening errors surface before the tar entry starts. */
async function openExact(path: string, size: number): Promise<Readable> {
  const fh = await open(path, 'r');
  if (size === 0) { await fh.close(); return Readable.from([]); }
  const src = fh.createReadStream({ start: 0, end: size - 1 });
  const out = new PassThrough();
  let seen = 0;
  src.on('data', (c: string | Buffer) => { seen += c.length; if (!out.write(c)) src.pause(); });
  out.on('drain', () => src.resume());
  src.on('error', (e) => out.destroy(e));
  src.on('end', () => {
    if (seen < size) out.write(Buffer.alloc(size - seen)); // the file shrank while it was read
    out.end();
  });
  return out;
}
