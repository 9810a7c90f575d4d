// Read-only reader of the BerkeleyDB hash file rpm used until 4.16 (/var/lib/rpm/Packages): returns
// the stored values (RPM header blobs). Page layouts from BerkeleyDB's dbinc/db_page.h, walked the
// way knqyf263/go-rpmdb (Trivy, Syft) does: every hash page, every value item, overflow chains
// followed page by page. Every page number, offset and length is checked; chains are bounded.

const HASH_MAGIC = 0x061561;
const PAGE_HEADER = 26;
const P_HASH_UNSORTED = 2;
const P_OVERFLOW = 7;
const P_HASHMETA = 8;
const P_HASH = 13;
const H_KEYDATA = 1;
const H_OFFPAGE = 3;
const VALID_PAGE_SIZES = new Set([512, 1024, 2048, 4096, 8192, 16384, 32768, 65536]);

export class BdbError extends Error {}

export interface DbValues { values: Buffer[]; warnings: string[] }

/** true when the bytes start like a BerkeleyDB hash database (either byte order) */
export function isBdbHash(buf: Buffer): boolean {
  return buf.length >= 512 && (buf.readUInt32LE(12) === HASH_MAGIC || buf.readUInt32BE(12) === HASH_MAGIC);
}

/**
 * `skipKey`: values stored under keys it returns true for are left out (rpm keeps a 4-byte counter,
 * not a header, under key 0).
 */
export function readBdbHashValues(buf: Buffer, maxValueBytes: number, skipKey?: (key: Buffer) => boolean): DbValues {
  if (!isBdbHash(buf)) throw new BdbError('not a BerkeleyDB hash database (bad magic)');
  const le = buf.readUInt32LE(12) === HASH_MAGIC;
  const u32 = (o: number) => (le ? buf.readUInt32LE(o) : buf.readUInt32BE(o));
  const u16 = (o: number) => (le ? buf.readUInt16LE(o) : buf.readUInt16BE(o));
  const pageSize = u32(20);
  if (!VALID_PAGE_SIZES.has(pageSize)) throw new BdbError(`unexpected page size ${pageSize}`);
  if (buf[24] !== 0) throw new BdbError('encrypted database');
  if (buf[25] !== P_HASHMETA) throw new BdbError(`first page has type ${buf[25]}, not hash metadata`);
  const pages = Math.floor(buf.length / pageSize);
  const lastPage = Math.min(u32(32), pages - 1);
  const warnings: string[] = [];
  if (u32(32) >= pages) warnings.push(`database is truncated: last page ${u32(32)}, file holds ${pages} pages`);

  // an overflow page belongs to one value only: a page met twice (a loop, or two items sharing a
  // chain) is corrupt, which also keeps the values' total size below the file's
  const used = new Set<number>();
  const readOverflow = (first: number, total: number): Buffer => {
    if (total > maxValueBytes) throw new BdbError(`value of ${total} bytes is above the ${maxValueBytes} byte cap`);
    const parts: Buffer[] = [];
    let got = 0;
    for (let pg = first; pg !== 0;) {
      if (pg >= pages) throw new BdbError(`overflow page ${pg} is past the end of the file`);
      if (used.has(pg)) throw new BdbError(`overflow page ${pg} is used twice`);
      used.add(pg);
      const at = pg * pageSize;
      if (buf[at + 25] !== P_OVERFLOW) throw new BdbError(`page ${pg} in an overflow chain has type ${buf[at + 25]}`);
      const next = u32(at + 16);
      // hf_offset (bytes used on this page) sits where hash pages keep their free-area offset
      const len = u16(at + 22);
      if (len > pageSize - PAGE_HEADER) throw new BdbError(`overflow page ${pg} claims ${len} bytes`);
      const take = Math.min(len, total - got);
      parts.push(buf.subarray(at + PAGE_HEADER, at + PAGE_HEADER + take));
      got += take;
      if (got >= total) break;
      pg = next;
    }
    if (got !== total) throw new BdbError(`overflow chain from page ${first} holds ${got} of ${total} bytes`);
    return Buffer.concat(parts, total);
  };

  const values: Buffer[] = [];
  let inPageBytes = 0;
  for (let pg = 1; pg <= lastPage; pg++) {
    const at = pg * pageSize;
    const type = buf[at + 25];
    if (type !== P_HASH && type !== P_HASH_UNSORTED) continue;
    const n = u16(at + 20);
    if (PAGE_HEADER + 2 * n > pageSize) { warnings.push(`hash page ${pg} claims ${n} items`); continue; }
    // items alternate key, value; each index slot is a 2-byte offset into the page
    for (let i = 1; i < n; i += 2) {
      const off = u16(at + PAGE_HEADER + 2 * i);
      if (off < PAGE_HEADER + 2 * n || off >= pageSize) { warnings.push(`hash page ${pg}: item ${i} at offset ${off} is outside the page`); continue; }
      const itemType = buf[at + off];
      // the key item (i - 1) sits just above its value on the page, ending where item i - 2 begins
      if (skipKey) {
        const koff = u16(at + PAGE_HEADER + 2 * (i - 1));
        const kend = i - 1 === 0 ? pageSize : u16(at + PAGE_HEADER + 2 * (i - 2));
        if (buf[at + koff] === H_KEYDATA && koff < kend && kend <= pageSize && skipKey(buf.subarray(at + koff + 1, at + kend))) continue;
      }
      try {
        if (itemType === H_OFFPAGE) {
          if (off + 12 > pageSize) throw new BdbError(`hash page ${pg}: off-page item ${i} is cut`);
          values.push(readOverflow(u32(at + off + 4), u32(at + off + 8)));
        } else if (itemType === H_KEYDATA) {
          // an on-page item ends where the previous item (in index order) begins
          const end = i === 0 ? pageSize : u16(at + PAGE_HEADER + 2 * (i - 1));
          if (end <= off || end > pageSize) throw new BdbError(`hash page ${pg}: item ${i} has a bad length`);
          // items of a sound page do not overlap: the page's values cannot add up to more than the file
          if ((inPageBytes += end - off) > buf.length) throw new BdbError(`hash page ${pg}: on-page items add up to more than the file`);
          values.push(Buffer.from(buf.subarray(at + off + 1, at + end)));
        }
      } catch (e) {
        if (!(e instanceof BdbError)) throw e;
        warnings.push(e.message);
      }
    }
  }
  return { values, warnings };
}
