// PAX extended header records (POSIX.1-2001 pax format): "LEN key=value\n", LEN counting the whole
// record in bytes, its own digits and the newline included. Read strictly: a record whose length
// overruns or underruns it would otherwise swallow the records (or the entry name) after it — an
// entry such as /etc/os-release silently renamed and never analysed. A malformed header is a
// corrupt archive, as GNU tar says too ("Malformed extended header").
import { CustomsError } from '../errors.ts';

/** keys whose values tar readers use as numbers */
const NUMERIC = new Set(['size', 'uid', 'gid']);

/** Parse the records of a PAX header; throws CustomsError 'corrupt' naming the first bad one. */
export function parsePaxRecords(buf: Buffer): Record<string, string> {
  const out: Record<string, string> = {};
  let pos = 0;
  while (pos < buf.length) {
    // some writers pad the header data with NULs after the last record
    if (buf[pos] === 0 && buf.subarray(pos).every((b) => b === 0)) break;
    const bad = (why: string) => new CustomsError('corrupt', `malformed PAX header: record at byte ${pos} ${why}`);
    const sp = buf.indexOf(0x20, pos);
    const digits = sp === -1 ? '' : buf.toString('latin1', pos, sp);
    if (!/^[1-9][0-9]{0,15}$/.test(digits)) throw bad('does not start with its length');
    const len = Number(digits);
    if (pos + len > buf.length) throw bad(`claims ${len} bytes, only ${buf.length - pos} are left`);
    if (len < digits.length + 4 || buf[pos + len - 1] !== 0x0a) throw bad(`claims ${len} bytes but does not end with a newline there`);
    const rec = buf.toString('utf8', sp + 1, pos + len - 1);
    const eq = rec.indexOf('=');
    if (eq <= 0) throw bad('has no key=value');
    const key = rec.slice(0, eq), value = rec.slice(eq + 1);
    if (NUMERIC.has(key) && !/^[0-9]{1,16}$/.test(value)) throw bad(`has a non-numeric ${key}`);
    out[key] = value;
    pos += len;
  }
  return out;
}
