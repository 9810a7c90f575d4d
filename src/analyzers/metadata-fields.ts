// Reading fields of untrusted JSON metadata (package.json, installed.json, ...): strings only,
// bounded, trimmed — anything else counts as absent.

const MAX_LICENSE = 200;

/** A trimmed, non-empty string of at most `max` characters without control characters, else undefined. */
export function stringField(v: unknown, max = 512): string | undefined {
  if (typeof v !== 'string') return undefined;
  const s = v.trim();
  if (s.length === 0 || s.length > max || /[\u0000-\u001f\u007f]/.test(s)) return undefined;
  return s;
}

/** License as declared: "MIT", {type: "MIT"}, ["MIT", "BSD"] or [{type: "MIT"}, …] → "MIT" / "MIT OR BSD". */
export function licenseText(v: unknown): string | undefined {
  if (Array.isArray(v)) {
    const parts = v.slice(0, 16).map((x) => licenseText(x)).filter((x): x is string => !!x);
    return parts.length ? joinLicenses(parts) : undefined;
  }
  if (v && typeof v === 'object') return stringField((v as Record<string, unknown>).type, MAX_LICENSE);
  return stringField(v, MAX_LICENSE);
}

/** Several declared licenses: the user may pick any (npm licenses[], composer license[]). */
export function joinLicenses(parts: string[]): string {
  return [...new Set(parts)].join(' OR ');
}

/** Bytes of a metadata file as text: UTF-8 (BOM dropped — .NET and Windows tools write one) or
 *  UTF-16 with a BOM; invalid UTF-8 sequences become U+FFFD rather than failing. */
export function metadataText(buf: Buffer): string {
  if (buf.length >= 3 && buf[0] === 0xef && buf[1] === 0xbb && buf[2] === 0xbf) return buf.subarray(3).toString('utf8');
  if (buf.length >= 2 && buf[0] === 0xff && buf[1] === 0xfe) return buf.subarray(2).toString('utf16le');
  if (buf.length >= 2 && buf[0] === 0xfe && buf[1] === 0xff) {
    const le = Buffer.from(buf.subarray(2, 2 + ((buf.length - 2) & ~1)));
    return le.swap16().toString('utf16le');
  }
  return buf.toString('utf8');
}
