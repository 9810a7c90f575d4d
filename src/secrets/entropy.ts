// Shannon entropy of a value: random credentials score high, words and repeated characters low.
// Its own module because both the scanner and rules' value checks use it.

/** Shannon entropy in bits per character. */
export function shannonEntropy(s: string): number {
  if (!s) return 0;
  const counts = new Map<string, number>();
  for (const c of s) counts.set(c, (counts.get(c) ?? 0) + 1);
  let h = 0;
  for (const n of counts.values()) { const p = n / s.length; h -= p * Math.log2(p); }
  return h;
}

/**
 * Enough entropy for a value of its alphabet: hex has at most 4 bits a character, and a random
 * 40-character hex string scores about 3.7 (often under 3.5), so hex gets a lower bar.
 */
export function randomEnough(v: string, bits: number, hexBits = bits - 0.5): boolean {
  return shannonEntropy(v) >= (/^[a-fA-F0-9]+$/.test(v) ? hexBits : bits);
}
