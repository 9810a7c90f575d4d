// Find a structure inside a file streamed in chunks (build info, an embedded section) by a marker,
// without holding the file: only a small carry between chunks and, once a candidate is accepted,
// the captured bytes of that structure (bounded by the target's cap) are kept.

export interface MarkerTarget {
  /** index of the next candidate start at or after `from` in buf, or -1 */
  find(buf: Buffer, from: number): number;
  /** longest marker in bytes (a marker cut by a chunk boundary is found in the next chunk) */
  markerBytes: number;
  /** bytes from a candidate's start needed to judge it */
  probeBytes: number;
  /**
   * Judge a candidate from its first bytes (probeBytes of them, fewer only at the end of the file):
   * 0 rejects it (scanning goes on), otherwise the number of bytes to capture from its start.
   */
  probe(head: Buffer, offset: number): number;
  /** called when the capture reached the asked length: true when complete, or a larger length */
  complete?(captured: Buffer): true | number;
  /** hard cap on captured bytes */
  maxCapture: number;
}

export interface Captured {
  offset: number;
  bytes: Buffer;
  /** false when the file ended (or the cap was hit) before the capture was complete */
  complete: boolean;
}

export interface MarkerScanner {
  /** false once a capture is complete: the caller may stop feeding */
  write(chunk: Buffer): boolean;
  /** the capture, if any candidate was accepted */
  finish(): Captured | null;
}

export function createMarkerScanner(t: MarkerTarget): MarkerScanner {
  let carry: Buffer = Buffer.alloc(0);
  let pos = 0;                  // file offset of the next chunk
  let parts: Buffer[] | null = null;
  let capturedLen = 0, need = 0, captureOffset = 0;
  let done = false, whole = false;

  const startCapture = (buf: Buffer, i: number, offset: number, n: number) => {
    captureOffset = offset;
    need = Math.min(n, t.maxCapture);
    parts = [Buffer.from(buf.subarray(i, Math.min(buf.length, i + need)))];
    capturedLen = parts[0]!.length;
    carry = Buffer.alloc(0);
    checkComplete();
  };

  const checkComplete = () => {
    while (!done && capturedLen >= need) {
      const r = t.complete ? t.complete(joined()) : true;
      if (r === true) { done = whole = true; break; }
      if (need >= t.maxCapture) { done = true; break; }
      need = Math.min(Math.max(r, need + 1), t.maxCapture);
    }
  };

  const joined = (): Buffer => {
    if (parts!.length > 1) parts = [Buffer.concat(parts!, capturedLen)];
    return parts![0]!;
  };

  /** scan buf for candidates; eof: judge even candidates with fewer than probeBytes */
  const scan = (buf: Buffer, base: number, eof: boolean) => {
    let from = 0;
    for (;;) {
      const i = t.find(buf, from);
      if (i < 0) break;
      if (i + t.probeBytes > buf.length && !eof) {
        carry = Buffer.from(buf.subarray(i));
        return;
      }
      const n = t.probe(buf.subarray(i, i + t.probeBytes), base + i);
      if (n > 0) { startCapture(buf, i, base + i, n); return; }
      from = i + 1;
    }
    const keep = Math.min(buf.length, t.markerBytes - 1);
    carry = Buffer.from(buf.subarray(buf.length - keep));
  };

  return {
    write(chunk) {
      if (done) return false;
      if (parts) {
        const take = chunk.subarray(0, Math.max(0, need - capturedLen));
        if (take.length) { parts.push(Buffer.from(take)); capturedLen += take.length; }
        checkComplete();
        return !done;
      }
      const buf = carry.length ? Buffer.concat([carry, chunk]) : chunk;
      const base = pos - carry.length;
      pos += chunk.length;
      scan(buf, base, false);
      return !done;
    },
    finish() {
      if (!parts && carry.length) scan(carry, pos - carry.length, true);
      if (!parts) return null;
      return { offset: captureOffset, bytes: joined(), complete: whole };
    },
  };
}
