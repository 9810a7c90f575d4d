// Read a zip archive front to back from its local file headers, for archives too big to hold:
// entries are skipped as they pass, and only the few the caller wants (metadata files, nested
// archives) are kept, compressed, up to a cap. Entries written in streaming mode (bit 3: sizes in a
// data descriptor after the data, as Java's ZipOutputStream does for deflated entries) end where a
// descriptor signature is followed by the compressed size actually seen. Everything is synchronous,
// so it fits a FileSink; the central directory at the end is not needed.
import { inflateRawSync } from 'node:zlib';
import { CustomsError } from '../../errors.ts';

const LFH = 0x04034b50;
const DD_SIG = Buffer.from([0x50, 0x4b, 0x07, 0x08]);

export interface StreamedEntry { name: string; method: number; compressed: Buffer; size: number }

export interface ZipStreamOptions {
  wanted(name: string): boolean;
  /** a wanted entry bigger than this (compressed or not) is skipped and reported */
  maxEntryBytes(name: string): number;
  /** all kept entries together (they are held until the end of the archive) */
  maxKeptBytes: number;
  maxEntries: number;
}

export interface ZipStream {
  /** false once the local entries are over (central directory reached) or the archive is unreadable */
  write(chunk: Buffer): boolean;
  /** entries: the kept ones; count: all local entries seen (0: not a zip archive) */
  finish(): { entries: StreamedEntry[]; problems: string[]; count: number };
}

type State =
  | { kind: 'header' }
  | { kind: 'sized'; left: number; keep: Buffer[] | null; name: string; method: number; size: number; max: number }
  | { kind: 'scan'; seen: number; keep: Buffer[] | null; name: string; method: number; max: number }
  | { kind: 'descriptor'; left: number }
  | { kind: 'done' };

export function createZipStream(o: ZipStreamOptions): ZipStream {
  let state: State = { kind: 'header' };
  let pending: Buffer = Buffer.alloc(0);
  let entries = 0, kept = 0;
  const out: StreamedEntry[] = [];
  const problems: string[] = [];

  const fail = (msg: string) => { problems.push(msg); state = { kind: 'done' }; };

  /** start of an entry: header complete in `pending`? returns bytes consumed, 0 when more needed */
  const header = (buf: Buffer): number => {
    if (buf.length < 4) return 0;
    const sig = buf.readUInt32LE(0);
    if (sig !== LFH) { state = { kind: 'done' }; return buf.length; } // central directory or end
    if (buf.length < 30) return 0;
    const flags = buf.readUInt16LE(6), method = buf.readUInt16LE(8);
    let csize = buf.readUInt32LE(18), usize = buf.readUInt32LE(22);
    const nameLen = buf.readUInt16LE(26), extraLen = buf.readUInt16LE(28);
    if (buf.length < 30 + nameLen + extraLen) return 0;
    if (++entries > o.maxEntries) { fail(`more than ${o.maxEntries} zip entries`); return buf.length; }
    const name = buf.toString('utf8', 30, 30 + nameLen);
    // zip64: real sizes in extra field 0x0001 when the 32-bit ones are saturated
    for (let p = 30 + nameLen; p + 4 <= 30 + nameLen + extraLen;) {
      const id = buf.readUInt16LE(p), len = buf.readUInt16LE(p + 2);
      if (id === 1 && len >= 16 && p + 4 + 16 <= buf.length) {
        if (usize === 0xffffffff) usize = Number(buf.readBigUInt64LE(p + 4));
        if (csize === 0xffffffff) csize = Number(buf.readBigUInt64LE(p + 12));
      }
      p += 4 + len;
    }
    const want = !name.endsWith('/') && o.wanted(name);
    let keep: Buffer[] | null = want ? [] : null;
    const max = want ? o.maxEntryBytes(name) : 0;
    const streaming = (flags & 8) !== 0;
    if (keep && !streaming && (csize > max || usize > max)) {
      problems.push(`${name}: ${usize} bytes, not read`);
      keep = null;
    }
    if ((flags & 1) !== 0) keep = null; // encrypted
    state = streaming
      ? { kind: 'scan', seen: 0, keep, name, method, max }
      : { kind: 'sized', left: csize, keep, name, method, size: usize, max };
    return 30 + nameLen + extraLen;
  };

  const finishEntry = (name: string, method: number, keep: Buffer[] | null, size: number) => {
    if (keep) out.push({ name, method, compressed: Buffer.concat(keep), size });
  };

  const keepBytes = (s: { keep: Buffer[] | null; name: string; max: number }, bytes: Buffer, total: number) => {
    if (!s.keep) return;
    if (total > s.max) { problems.push(`${s.name}: more than ${s.max} compressed bytes, not read`); s.keep = null; return; }
    if (kept + bytes.length > o.maxKeptBytes) {
      problems.push(`${s.name}: not read, the archive's kept entries would exceed ${o.maxKeptBytes} bytes`);
      kept -= s.keep.reduce((n, b) => n + b.length, 0);
      s.keep = null;
      return;
    }
    kept += bytes.length;
    s.keep.push(Buffer.from(bytes));
  };

  /** consume from buf; returns bytes used */
  const step = (buf: Buffer): number => {
    switch (state.kind) {
      case 'header': return header(buf);
      case 'sized': {
        const n = Math.min(state.left, buf.length);
        keepBytes(state, buf.subarray(0, n), 0);
        state.left -= n;
        if (state.left === 0) {
          finishEntry(state.name, state.method, state.keep, state.size);
          state = { kind: 'header' };
        }
        return n;
      }
      case 'scan': {
        // a descriptor: signature, crc, then the compressed size equal to the bytes seen so far
        for (let i = buf.indexOf(DD_SIG); i >= 0; i = buf.indexOf(DD_SIG, i + 1)) {
          if (i + 24 > buf.length) {
            // cannot judge yet: consume up to i, keep the rest pending
            keepBytes(state, buf.subarray(0, i), state.seen + i);
            state.seen += i;
            return i;
          }
          const at = state.seen + i;
          const c32 = buf.readUInt32LE(i + 8), c64 = Number(buf.readBigUInt64LE(i + 8));
          if (c32 === at || c64 === at) {
            keepBytes(state, buf.subarray(0, i), at);
            const size = c32 === at ? buf.readUInt32LE(i + 12) : Number(buf.readBigUInt64LE(i + 16));
            finishEntry(state.name, state.method, state.keep, size);
            state = { kind: 'descriptor', left: c32 === at ? 16 : 24 };
            return i;
          }
        }
        // no descriptor here; keep the last 23 bytes (a signature could start there)
        const n = Math.max(0, buf.length - 23);
        keepBytes(state, buf.subarray(0, n), state.seen + n);
        state.seen += n;
        return n;
      }
      case 'descriptor': {
        const n = Math.min(state.left, buf.length);
        state.left -= n;
        if (state.left === 0) state = { kind: 'header' };
        return n;
      }
      case 'done': return buf.length;
    }
  };

  return {
    write(chunk) {
      if (state.kind === 'done') return false;
      let buf = pending.length ? Buffer.concat([pending, chunk]) : chunk;
      for (;;) {
        if ((state as State).kind === 'done') { pending = Buffer.alloc(0); return false; }
        const n = step(buf);
        if (n === 0) break;
        buf = buf.subarray(n);
        if (buf.length === 0) break;
      }
      // what is left is small (an incomplete header, or the tail a descriptor may start in)
      pending = Buffer.from(buf);
      if (pending.length > 1 << 20) fail('zip local header larger than 1 MiB');
      return (state as State).kind !== 'done';
    },
    finish() {
      if (state.kind === 'scan' || state.kind === 'sized') problems.push(`${state.name}: archive ends inside this entry`);
      return { entries: out, problems, count: entries };
    },
  };
}

/** The uncompressed bytes of a kept entry (stored or deflated), at most `max`. */
export function inflateEntry(e: StreamedEntry, max: number): Buffer {
  if (e.method === 0) return e.compressed;
  if (e.method !== 8) throw new CustomsError('unsupported', `${e.name}: compression method ${e.method}`);
  try {
    return inflateRawSync(e.compressed, { maxOutputLength: max });
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new CustomsError(code === 'ERR_BUFFER_TOO_LARGE' ? 'limit' : 'corrupt', `${e.name}: ${code === 'ERR_BUFFER_TOO_LARGE' ? `inflates beyond ${max} bytes` : (err as Error).message}`);
  }
}
