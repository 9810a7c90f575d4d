// Checks of the formats that carry their own checksum or a decodable structure: a value that fails
// them was typed, truncated or made up (documentation, tests), not issued by the provider.
import { crc32 } from 'node:zlib';

const B62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

export function base62(n: number, width: number): string {
  let s = '';
  while (n > 0) { s = B62[n % 62] + s; n = Math.floor(n / 62); }
  return s.padStart(width, '0');
}

/**
 * GitHub (2021) and npm (2021) tokens: prefix `_`, 30 random base62 characters, then the CRC32
 * of those 30 characters in base62, 6 characters wide (github.blog "Behind GitHub's new
 * authentication token formats"; npm's "new access token format" uses the same scheme).
 */
export function base62Crc32Ok(token: string): boolean {
  const body = token.slice(token.indexOf('_') + 1);
  if (body.length !== 36) return false;
  return base62(crc32(body.slice(0, 30)), 6) === body.slice(30);
}

/** Read one base-128 varint (macaroon v2 field lengths); [value, next offset] or null. */
function varint(b: Buffer, at: number): [number, number] | null {
  let v = 0, shift = 0;
  for (let i = at; i < b.length && i < at + 5; i++) {
    v |= (b[i]! & 0x7f) << shift;
    if ((b[i]! & 0x80) === 0) return [v >>> 0, i + 1];
    shift += 7;
  }
  return null;
}

/**
 * A PyPI API token is `pypi-` + a macaroon (libmacaroons v2 binary format, base64url): version
 * byte 2, location "pypi.org" (or test.pypi.org), an identifier, caveat packets, and a 32-byte
 * signature. A random tail after the well-known prefix does not decode to that structure.
 */
export function pypiMacaroonOk(token: string): boolean {
  const b = Buffer.from(token.slice('pypi-'.length), 'base64url');
  if (b[0] !== 2) return false;
  let at = 1;
  // fields are (type, length, bytes); a section ends with a 0 byte; the first section is the
  // macaroon's own (location, identifier), then one section per caveat, then an empty one, then
  // the signature field (type 6, 32 bytes)
  let sections = 0;
  for (let guard = 0; guard < 200 && at < b.length; guard++) {
    const type = b[at]!;
    if (type === 0) {
      at++; sections++;
      if (sections >= 2 && b[at] === 0) { at++; break; } // end of caveats
      if (sections >= 2 && b[at] === 6) break;
      continue;
    }
    if (type > 6) return false;
    const len = varint(b, at + 1);
    if (!len || len[1] + len[0] > b.length) return false;
    if (type === 1 && sections === 0 && !/^(?:test\.)?pypi\.org$/.test(b.subarray(len[1], len[1] + len[0]).toString('latin1'))) return false;
    at = len[1] + len[0];
  }
  if (b[at] !== 6) return false;
  const sig = varint(b, at + 1);
  return sig !== null && sig[0] === 32 && sig[1] + 32 === b.length;
}

export const BECH32 = 'qpzry9x8gf2tvdw0s3jn54khce6mua7l';

/** BIP-173's checksum polynomial over 5-bit values (exported for the tests' key generator). */
export function bech32Polymod(values: number[]): number {
  const G = [0x3b6a57b2, 0x26508e6d, 0x1ea119fa, 0x3d4233dd, 0x2a1462b3];
  let chk = 1;
  for (const v of values) {
    const top = chk >>> 25;
    chk = ((chk & 0x1ffffff) << 5) ^ v;
    for (let i = 0; i < 5; i++) if ((top >>> i) & 1) chk ^= G[i]!;
  }
  return chk >>> 0;
}

/** Bech32 (BIP-173) checksum, as age's `AGE-SECRET-KEY-1…` keys are encoded. */
export function bech32Ok(s: string): boolean {
  const lower = s.toLowerCase();
  const sep = lower.lastIndexOf('1');
  if (sep < 1 || lower.length - sep < 7) return false;
  const hrp = lower.slice(0, sep);
  const data: number[] = [];
  for (const ch of lower.slice(sep + 1)) {
    const v = BECH32.indexOf(ch);
    if (v === -1) return false;
    data.push(v);
  }
  const expanded = [...[...hrp].map((c) => c.charCodeAt(0) >> 5), 0, ...[...hrp].map((c) => c.charCodeAt(0) & 31)];
  return bech32Polymod([...expanded, ...data]) === 1;
}

/** A JSON object in base64url (a JWT's header or payload, a Sentry org token's claims). */
export function base64JsonObject(s: string): Record<string, unknown> | null {
  try {
    const v: unknown = JSON.parse(Buffer.from(s, 'base64url').toString('utf8'));
    return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}

/** `user:password` in base64 (HTTP Basic, docker `auth`, npm `_auth`): both parts present and printable. */
export function basicAuthOk(b64: string): boolean {
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(b64) || b64.length % 4 !== 0) return false;
  const s = Buffer.from(b64, 'base64').toString('latin1');
  const i = s.indexOf(':');
  return i > 0 && i < s.length - 1 && /^[\x20-\x7e]+$/.test(s);
}
