// Read-only reader of rpm's NDB package database (Packages.db, SUSE's default since rpm 4.16).
// Layout from rpm's lib/backend/ndb/rpmpkg.c: a 32-byte header ("RpmP", version 0, generation,
// slot page count), slot pages of 4096 bytes holding 16-byte slots ("Slot", package index, block
// offset, block count; the header takes the first two), blobs in 16-byte blocks: head ("BlbS",
// package index, timestamp, length), the header blob, zero padding, tail (adler32 of head, blob
// and padding, length, "BlbE"). All little-endian.
import type { DbValues } from './rpm-bdb.ts';

const PAGE = 4096;
const SLOT = 16;
const BLK = 16;
const HEAD = 16;
const TAIL = 12;
const MAGIC = 0x506d7052;      // "RpmP"
const SLOT_MAGIC = 0x746f6c53; // "Slot"
const BLOB_HEAD = 0x53626c42;  // "BlbS"
const BLOB_TAIL = 0x45626c42;  // "BlbE"
/** go-rpmdb's sanity bound: 2048 slot pages are half a million packages */
const MAX_SLOT_PAGES = 2048;

export class NdbError extends Error {}

export function isNdb(buf: Buffer): boolean {
  return buf.length >= 32 && buf.readUInt32LE(0) === MAGIC;
}

/** RFC 1950 adler32, as rpmpkg.c checksums its blobs. */
function adler32(buf: Buffer, start: number, end: number): number {
  let a = 1, b = 0;
  for (let i = start; i < end;) {
    const stop = Math.min(end, i + 5552);
    for (; i < stop; i++) { a += buf[i]!; b += a; }
    a %= 65521; b %= 65521;
  }
  return ((b << 16) | a) >>> 0;
}

export function readNdbValues(buf: Buffer, maxValueBytes: number): DbValues {
  if (!isNdb(buf)) throw new NdbError('not an rpm NDB database (bad magic)');
  const version = buf.readUInt32LE(4);
  if (version !== 0) throw new NdbError(`unsupported NDB version ${version}`);
  const slotPages = buf.readUInt32LE(12);
  if (slotPages < 1 || slotPages > MAX_SLOT_PAGES) throw new NdbError(`NDB header claims ${slotPages} slot pages`);
  if (slotPages * PAGE > buf.length) throw new NdbError(`NDB file of ${buf.length} bytes is shorter than its ${slotPages} slot pages`);
  const firstBlob = slotPages * (PAGE / BLK);
  const fileBlks = Math.floor(buf.length / BLK);
  const values: Buffer[] = [];
  const warnings: string[] = [];
  // blobs never overlap in a sound file: slots pointing at one blob again cannot inflate the output
  let total = 0;
  for (let off = 32; off < slotPages * PAGE; off += SLOT) {
    if (buf.readUInt32LE(off) !== SLOT_MAGIC) { warnings.push(`NDB slot at ${off} has a bad magic`); continue; }
    const pkgIdx = buf.readUInt32LE(off + 4);
    const blkOff = buf.readUInt32LE(off + 8);
    const blkCnt = buf.readUInt32LE(off + 12);
    if (!blkOff) continue; // free slot
    try {
      if (!pkgIdx || blkOff < firstBlob || blkCnt < 2 || blkOff + blkCnt > fileBlks) {
        throw new NdbError(`package ${pkgIdx}: blocks ${blkOff}+${blkCnt} are outside the blob area`);
      }
      const at = blkOff * BLK;
      if (buf.readUInt32LE(at) !== BLOB_HEAD || buf.readUInt32LE(at + 4) !== pkgIdx) throw new NdbError(`package ${pkgIdx}: bad blob head`);
      const len = buf.readUInt32LE(at + 12);
      if (Math.ceil((HEAD + len + TAIL) / BLK) !== blkCnt) throw new NdbError(`package ${pkgIdx}: blob length ${len} does not fill ${blkCnt} blocks`);
      if (len > maxValueBytes) throw new NdbError(`package ${pkgIdx}: blob of ${len} bytes is above the ${maxValueBytes} byte cap`);
      const tail = at + blkCnt * BLK - TAIL;
      if (buf.readUInt32LE(tail + 4) !== len || buf.readUInt32LE(tail + 8) !== BLOB_TAIL) throw new NdbError(`package ${pkgIdx}: bad blob tail`);
      if (adler32(buf, at, tail) !== buf.readUInt32LE(tail)) throw new NdbError(`package ${pkgIdx}: blob checksum mismatch`);
      if (total + len > buf.length) throw new NdbError(`package ${pkgIdx}: blobs add up to more than the file`);
      total += len;
      values.push(Buffer.from(buf.subarray(at + HEAD, at + HEAD + len)));
    } catch (e) {
      if (!(e instanceof NdbError)) throw e;
      warnings.push(e.message);
    }
  }
  return { values, warnings };
}
