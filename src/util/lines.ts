// Lines of a byte buffer without decoding it: package databases can be tens of MB (a hostile one a
// single 60 MB field), and turning the whole file into a string, then into an array of lines,
// costs several copies of it. Callers decode only the lines, or parts, they keep.

/** [start, end) of each line of buf: end excludes the "\n" and a "\r" before it. */
export function* lineRanges(buf: Buffer): Generator<[number, number]> {
  let start = 0;
  while (start < buf.length) {
    let nl = buf.indexOf(0x0a, start);
    if (nl === -1) nl = buf.length;
    yield [start, nl > start && buf[nl - 1] === 0x0d ? nl - 1 : nl];
    start = nl + 1;
  }
}

/** true when buf[start, end) is only spaces and tabs (or empty) */
export function isBlank(buf: Buffer, start: number, end: number): boolean {
  for (let i = start; i < end; i++) if (buf[i] !== 0x20 && buf[i] !== 0x09) return false;
  return true;
}
