// A cheap test whether bytes could start a zlib stream (RFC 1950/1951), so that a scan of a large
// binary calls the real inflater only for plausible candidates: the header checksum, then the first
// deflate block's header — a stored block's LEN/NLEN, a fixed block's first literal, or a dynamic
// block's code-length code, which zlib accepts only when it is a complete prefix code.

/** The bytes at `at` begin a zlib stream whose first byte of output is `firstByte`, as far as a
 *  header check can tell (false positives possible, no false negatives). */
export function plausibleZlibStart(buf: Buffer, at: number, firstByte: number): boolean {
  if (at + 8 > buf.length) return false;
  const cmf = buf[at]!, flg = buf[at + 1]!;
  if ((cmf & 0x0f) !== 8 || (cmf >> 4) > 7 || ((cmf << 8) | flg) % 31 !== 0 || (flg & 0x20) !== 0) return false;
  const base = (at + 2) * 8;
  let pos = base;
  const bits = (n: number): number => {
    let v = 0;
    for (let i = 0; i < n; i++, pos++) {
      const byte = buf[pos >> 3];
      if (byte === undefined) return -1;
      v |= ((byte >> (pos & 7)) & 1) << i;
    }
    return v;
  };
  bits(1); // BFINAL
  const type = bits(2);
  if (type === 0) {
    const p = (at + 3); // stored: LEN, NLEN after the byte holding the 3 header bits
    if (p + 5 > buf.length) return false;
    const len = buf.readUInt16LE(p), nlen = buf.readUInt16LE(p + 2);
    return len === (~nlen & 0xffff) && len > 0 && buf[p + 4] === firstByte;
  }
  if (type === 1) {
    // fixed Huffman: literals 0..143 have 8-bit codes 0x30 + literal, sent most significant bit first
    if (firstByte > 143) return true;
    let code = 0;
    for (let i = 0; i < 8; i++) { const b = bits(1); if (b < 0) return false; code = (code << 1) | b; }
    return code === 0x30 + firstByte;
  }
  if (type !== 2) return false;
  const hlit = bits(5), hdist = bits(5), hclen = bits(4);
  if (hlit < 0 || hdist < 0 || hclen < 0 || hlit > 29 || hdist > 29) return false;
  // code lengths of the code-length alphabet (3 bits each); complete prefix code <=> Kraft sum = 1
  let kraft = 0;
  for (let i = 0; i < hclen + 4; i++) {
    const len = bits(3);
    if (len < 0) return false;
    if (len > 0) kraft += 1 << (7 - len);
  }
  return kraft === 128;
}
