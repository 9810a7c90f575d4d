// Index of an uncompressed tar file on disk: one pass over the headers only (seeking past member
// data), then members are served as byte ranges of the file. Shared by oci-archive: and
// docker-archive:. Nothing is ever extracted.
import { createReadStream, promises as fsp } from 'node:fs';
import { Readable } from 'node:stream';
import { CustomsError } from '../errors.ts';
import { normalizeEntryPath, resolveLinkTarget } from '../util/paths.ts';
import { parsePaxRecords } from './pax.ts';

export interface TarMember {
  /** normalised relative name, no leading "/" or "./" (e.g. "blobs/sha256/abc...") */
  name: string;
  type: 'file' | 'dir' | 'symlink' | 'link' | 'other';
  /** byte offset of the member's data in the file */
  offset: number;
  size: number;
  linkname?: string;
}

const BLOCK = 512;
const MAX_META = 1024 * 1024; // pax / GNU long-name payloads
const MAX_MEMBERS = 1_000_000;
const MAX_LINK_HOPS = 16;

function cstr(buf: Buffer, start: number, len: number): string {
  const end = buf.indexOf(0, start);
  return buf.toString('utf8', start, end === -1 || end > start + len ? start + len : end);
}

function parseNumeric(buf: Buffer, start: number, len: number): number {
  if (buf[start]! & 0x80) {
    // base-256 (GNU): big-endian two's complement, positive only here
    let v = 0;
    for (let i = start + 1; i < start + len; i++) v = v * 256 + buf[i]!;
    if (buf[start] === 0xff || !Number.isSafeInteger(v)) return NaN;
    return (buf[start]! & 0x7f) * 256 ** (len - 1) + v;
  }
  const s = cstr(buf, start, len).trim();
  if (s === '') return 0;
  if (!/^[0-7]+$/.test(s)) return NaN;
  return parseInt(s, 8);
}

function checksumOk(h: Buffer): boolean {
  let sum = 0;
  for (let i = 0; i < BLOCK; i++) sum += i >= 148 && i < 156 ? 32 : h[i]!;
  const want = parseNumeric(h, 148, 8);
  return sum === want;
}

export class TarFileIndex {
  readonly path: string;
  readonly fileSize: number;
  private readonly members: Map<string, TarMember>;

  private constructor(path: string, fileSize: number, members: Map<string, TarMember>) {
    this.path = path; this.fileSize = fileSize; this.members = members;
  }

  /** Index `path`. Missing file → 'not-found' ("archive not found: PATH"); bad headers → 'corrupt'. */
  static async open(path: string): Promise<TarFileIndex> {
    let fh: fsp.FileHandle;
    try {
      fh = await fsp.open(path, 'r');
    } catch (e: any) {
      if (e?.code === 'ENOENT' || e?.code === 'ENOTDIR') throw new CustomsError('not-found', `archive not found: ${path}`);
      throw new CustomsError('usage', `cannot open archive ${path}: ${e?.message ?? e}`, { cause: e });
    }
    try {
      const st = await fh.stat();
      if (!st.isFile()) throw new CustomsError('usage', `archive ${path} is not a regular file`);
      const size = st.size;
      const members = new Map<string, TarMember>();
      const h = Buffer.alloc(BLOCK);
      let pos = 0;
      let longName: string | undefined;
      let longLink: string | undefined;
      let pax: Record<string, string> | undefined;
      let paxGlobal: Record<string, string> = {};
      const what = `archive ${path}`;
      const readAt = async (buf: Buffer, len: number, at: number) => {
        const { bytesRead } = await fh.read(buf, 0, len, at);
        if (bytesRead !== len) throw new CustomsError('corrupt', `${what}: truncated at byte ${at}`);
      };
      if (size >= 4) {
        await readAt(h, 4, 0);
        if ((h[0] === 0x1f && h[1] === 0x8b) || (h[0] === 0x28 && h[1] === 0xb5 && h[2] === 0x2f && h[3] === 0xfd)) {
          throw new CustomsError('unsupported', `${what}: compressed archives are not supported; decompress it first (gunzip / unzstd)`);
        }
      }
      for (let n = 0; ; n++) {
        if (n > MAX_MEMBERS * 2) throw new CustomsError('limit', `${what}: more than ${MAX_MEMBERS} members`);
        if (pos + BLOCK > size) {
          if (pos === size && pos > 0) break; // missing end-of-archive blocks: tolerate
          throw new CustomsError('corrupt', `${what}: truncated tar header at byte ${pos}`);
        }
        await readAt(h, BLOCK, pos);
        if (h.every((b) => b === 0)) break; // end of archive
        if (!checksumOk(h)) throw new CustomsError('corrupt', `${what}: invalid tar header checksum at byte ${pos}`);
        const flag = h[156] === 0 ? '0' : String.fromCharCode(h[156]!);
        let msize = parseNumeric(h, 124, 12);
        if (!Number.isSafeInteger(msize) || msize < 0) throw new CustomsError('corrupt', `${what}: invalid member size at byte ${pos}`);
        const dataAt = pos + BLOCK;
        if (flag === 'x' || flag === 'g' || flag === 'L' || flag === 'K') {
          if (msize > MAX_META) throw new CustomsError('limit', `${what}: tar metadata record of ${msize} bytes`);
          if (dataAt + msize > size) throw new CustomsError('corrupt', `${what}: truncated tar member at byte ${pos}`);
          const meta = Buffer.alloc(msize);
          if (msize > 0) await readAt(meta, msize, dataAt);
          if (flag === 'x' || flag === 'g') {
            let records: Record<string, string>;
            try { records = parsePaxRecords(meta); } catch (e) { throw new CustomsError('corrupt', `${what}: ${(e as Error).message} (member header at byte ${pos})`); }
            if (flag === 'x') pax = { ...paxGlobal, ...records };
            else paxGlobal = { ...paxGlobal, ...records };
          }
          else if (flag === 'L') longName = cstr(meta, 0, meta.length);
          else longLink = cstr(meta, 0, meta.length);
          pos = dataAt + Math.ceil(msize / BLOCK) * BLOCK;
          continue;
        }
        let name = cstr(h, 0, 100);
        const magic = h.toString('latin1', 257, 263);
        if (magic === 'ustar\0' && h[345] !== 0) name = cstr(h, 345, 155) + '/' + name;
        let linkname = cstr(h, 157, 100);
        if (longName !== undefined) name = longName;
        if (longLink !== undefined) linkname = longLink;
        const p = pax ?? paxGlobal;
        if (p.path) name = p.path;
        if (p.linkpath) linkname = p.linkpath;
        if (p.size && /^\d+$/.test(p.size)) msize = Number(p.size);
        longName = longLink = pax = undefined;

        const hasData = flag === '0' || flag === '7' || (flag !== '1' && flag !== '2' && flag !== '5' && flag !== '3' && flag !== '4' && flag !== '6');
        const dataSize = hasData ? msize : 0;
        if (dataAt + dataSize > size) throw new CustomsError('corrupt', `${what}: truncated tar member ${JSON.stringify(name.slice(0, 200))}`);
        const norm = normalizeEntryPath(name);
        if (norm !== null && norm !== '/') {
          const type: TarMember['type'] = flag === '0' || flag === '7' ? 'file' : flag === '5' ? 'dir' : flag === '2' ? 'symlink' : flag === '1' ? 'link' : 'other';
          const m: TarMember = { name: norm.slice(1), type, offset: dataAt, size: dataSize };
          if (type === 'symlink' || type === 'link') m.linkname = linkname;
          members.set(m.name, m);
        }
        pos = dataAt + Math.ceil(dataSize / BLOCK) * BLOCK;
      }
      return new TarFileIndex(path, size, members);
    } finally {
      await fh.close();
    }
  }

  /** The member at `name` (normalised), following symlinks and hard links inside the archive. */
  get(name: string): TarMember | undefined {
    const norm = normalizeEntryPath(name);
    if (norm === null) return undefined;
    let key = norm.slice(1);
    for (let hop = 0; hop <= MAX_LINK_HOPS; hop++) {
      const m = this.members.get(key);
      if (!m) return undefined;
      if (m.type === 'file') return m;
      if (m.type === 'symlink') key = resolveLinkTarget('/' + m.name, m.linkname ?? '').slice(1);
      else if (m.type === 'link') {
        const t = normalizeEntryPath(m.linkname ?? '');
        if (t === null) return undefined;
        key = t.slice(1);
      } else return undefined;
    }
    return undefined;
  }

  names(): string[] { return [...this.members.keys()]; }

  /** Stream a member's bytes straight from the file. */
  open(m: TarMember): Readable {
    if (m.size === 0) return Readable.from([], { objectMode: false });
    return createReadStream(this.path, { start: m.offset, end: m.offset + m.size - 1, highWaterMark: 64 * 1024 });
  }

  /** Read a small member fully; larger than maxBytes → 'limit'. */
  async read(m: TarMember, maxBytes: number, what: string): Promise<Buffer> {
    if (m.size > maxBytes) throw new CustomsError('limit', `${what}: ${m.size} bytes, above the ${maxBytes}-byte cap`);
    const buf = Buffer.alloc(m.size);
    if (m.size === 0) return buf;
    const fh = await fsp.open(this.path, 'r');
    try {
      const { bytesRead } = await fh.read(buf, 0, m.size, m.offset);
      if (bytesRead !== m.size) throw new CustomsError('corrupt', `${what}: truncated`);
    } finally {
      await fh.close();
    }
    return buf;
  }

  /** First bytes of a member (for magic sniffing). */
  async head(m: TarMember, n: number): Promise<Buffer> {
    const len = Math.min(n, m.size);
    const buf = Buffer.alloc(len);
    if (len === 0) return buf;
    const fh = await fsp.open(this.path, 'r');
    try {
      await fh.read(buf, 0, len, m.offset);
    } finally {
      await fh.close();
    }
    return buf;
  }
}
