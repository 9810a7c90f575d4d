// Reads an RPM header blob as rpm stores it in its databases (no lead, no magic): index length and
// data length (big-endian u32), `il` index entries of 16 bytes (tag, type, offset, count), then `dl`
// bytes of data. The layout is rpm's lib/header.c; every offset and count is checked against the
// blob, because the bytes come from an image.

const TAG = {
  NAME: 1000, VERSION: 1001, RELEASE: 1002, EPOCH: 1003, VENDOR: 1011, LICENSE: 1014, ARCH: 1022,
  OLDFILENAMES: 1027, SOURCERPM: 1044, DIRINDEXES: 1116, BASENAMES: 1117, DIRNAMES: 1118,
  MODULARITYLABEL: 5096,
} as const;

const TYPE = { INT32: 4, STRING: 6, STRING_ARRAY: 8, I18NSTRING: 9 } as const;

/** rpm refuses headers with more tags or data than this (hdrchkTags / HEADER_DATA_MAX) */
const MAX_TAGS = 0xffff;
const MAX_DATA = 256 * 1024 * 1024;
/** more files than any real package (texlive's largest hold tens of thousands): a header of zeros
 *  claiming millions of empty names would otherwise cost gigabytes of strings */
const MAX_ARRAY = 1_000_000;
/** name, version, license…: real ones are short; a megabyte "name" only bloats every report */
const MAX_FIELD = 64 * 1024;
const ENTRY_SIZE = 16;

export interface RpmHeader {
  name: string;
  version: string;
  release: string;
  epoch?: number;
  arch?: string;
  sourceRpm?: string;
  vendor?: string;
  license?: string;
  modularityLabel?: string;
  /** absolute paths of the files the package installed (only when asked for) */
  files?: string[];
}

interface Entry { type: number; offset: number; count: number }

export class RpmHeaderError extends Error {}

/** Parse one header blob; throws RpmHeaderError when it is malformed or lacks name/version/release. */
/** `files`: true for the whole file list, or a test on each file's base name to keep only some
 *  (cheaper: a full RHEL header lists thousands of files). */
export function parseRpmHeader(blob: Buffer, opts: { files?: boolean | ((basename: string) => boolean) } = {}): RpmHeader {
  if (blob.length < 8) throw new RpmHeaderError(`header of ${blob.length} bytes is too short`);
  const il = blob.readUInt32BE(0);
  const dl = blob.readUInt32BE(4);
  if (il < 1 || il > MAX_TAGS) throw new RpmHeaderError(`header has ${il} index entries`);
  if (dl > MAX_DATA) throw new RpmHeaderError(`header data of ${dl} bytes is too large`);
  const dataStart = 8 + il * ENTRY_SIZE;
  const dataEnd = dataStart + dl;
  if (dataEnd > blob.length) throw new RpmHeaderError(`header needs ${dataEnd} bytes, blob has ${blob.length}`);

  // later entries win: rpm appends "dribble" entries after the immutable region
  const entries = new Map<number, Entry>();
  const wanted = new Set<number>(Object.values(TAG));
  for (let i = 0; i < il; i++) {
    const at = 8 + i * ENTRY_SIZE;
    const tag = blob.readInt32BE(at);
    if (!wanted.has(tag)) continue;
    entries.set(tag, { type: blob.readUInt32BE(at + 4), offset: blob.readInt32BE(at + 8), count: blob.readUInt32BE(at + 12) });
  }

  const where = (tag: number, e: Entry) => {
    if (e.offset < 0 || e.offset >= dl) throw new RpmHeaderError(`tag ${tag}: offset ${e.offset} outside data of ${dl} bytes`);
    return dataStart + e.offset;
  };
  /** NUL-terminated strings starting at `pos`, at most `count`, never past the data */
  const strings = (tag: number, pos: number, count: number): string[] => {
    if (count > dl) throw new RpmHeaderError(`tag ${tag}: ${count} strings cannot fit in ${dl} bytes`);
    if (count > MAX_ARRAY) throw new RpmHeaderError(`tag ${tag}: ${count} strings are too many`);
    const out: string[] = [];
    for (let k = 0; k < count; k++) {
      const nul = blob.indexOf(0, pos);
      if (nul < 0 || nul >= dataEnd) throw new RpmHeaderError(`tag ${tag}: string runs past the header data`);
      out.push(blob.toString('utf8', pos, nul));
      pos = nul + 1;
    }
    return out;
  };
  const str = (tag: number): string | undefined => {
    const e = entries.get(tag);
    if (!e) return undefined;
    if (e.type !== TYPE.STRING && e.type !== TYPE.I18NSTRING && e.type !== TYPE.STRING_ARRAY) {
      throw new RpmHeaderError(`tag ${tag}: type ${e.type} is not a string`);
    }
    if (e.count < 1) throw new RpmHeaderError(`tag ${tag}: no value`);
    const s = strings(tag, where(tag, e), 1)[0]!;
    if (s.length > MAX_FIELD) throw new RpmHeaderError(`tag ${tag}: value of ${s.length} characters is too long`);
    return s;
  };
  const strArray = (tag: number): string[] | undefined => {
    const e = entries.get(tag);
    if (!e) return undefined;
    if (e.type !== TYPE.STRING_ARRAY) throw new RpmHeaderError(`tag ${tag}: type ${e.type} is not a string array`);
    return strings(tag, where(tag, e), e.count);
  };
  const int32s = (tag: number): number[] | undefined => {
    const e = entries.get(tag);
    if (!e) return undefined;
    if (e.type !== TYPE.INT32) throw new RpmHeaderError(`tag ${tag}: type ${e.type} is not int32`);
    const pos = where(tag, e);
    if (e.count > (dataEnd - pos) / 4) throw new RpmHeaderError(`tag ${tag}: ${e.count} int32 values run past the header data`);
    if (e.count > MAX_ARRAY) throw new RpmHeaderError(`tag ${tag}: ${e.count} values are too many`);
    const out: number[] = new Array(e.count);
    for (let k = 0; k < e.count; k++) out[k] = blob.readInt32BE(pos + 4 * k);
    return out;
  };

  const name = str(TAG.NAME), version = str(TAG.VERSION), release = str(TAG.RELEASE);
  if (!name || version === undefined || release === undefined) throw new RpmHeaderError('header lacks name, version or release');
  const h: RpmHeader = { name, version, release };
  const epoch = int32s(TAG.EPOCH)?.[0];
  if (epoch !== undefined && epoch >= 0) h.epoch = epoch;
  const arch = str(TAG.ARCH); if (arch) h.arch = arch;
  // rpm writes "(none)" for unset optional strings in some headers
  const opt = (tag: number) => { const v = str(tag); return v && v !== '(none)' ? v : undefined; };
  const sourceRpm = opt(TAG.SOURCERPM); if (sourceRpm) h.sourceRpm = sourceRpm;
  const vendor = opt(TAG.VENDOR); if (vendor) h.vendor = vendor;
  const license = opt(TAG.LICENSE); if (license) h.license = license;
  const modularityLabel = opt(TAG.MODULARITYLABEL); if (modularityLabel) h.modularityLabel = modularityLabel;
  if (opts.files) {
    const keep = typeof opts.files === 'function' ? opts.files : undefined;
    h.files = fileList(strArray(TAG.BASENAMES), strArray(TAG.DIRNAMES), int32s(TAG.DIRINDEXES), strArray(TAG.OLDFILENAMES), keep);
  }
  return h;
}

/** Paths from the compressed file list (dirnames[dirindexes[i]] + basenames[i]) or the old flat one. */
function fileList(base?: string[], dirs?: string[], idx?: number[], old?: string[], keep?: (basename: string) => boolean): string[] {
  if (!base) return (old ?? []).filter((p) => !keep || keep(p.slice(p.lastIndexOf('/') + 1)));
  if (!dirs || !idx || idx.length !== base.length) throw new RpmHeaderError('file list: basenames, dirnames and dirindexes disagree');
  const out: string[] = [];
  for (let i = 0; i < base.length; i++) {
    const d = dirs[idx[i]!];
    if (d === undefined) throw new RpmHeaderError(`file list: dir index ${idx[i]} out of range`);
    if (!keep || keep(base[i]!)) out.push(d + base[i]);
  }
  return out;
}

/** "name-version-release.src.rpm" → name and version-release (the last two dashes split it). */
export function splitSourceRpm(s: string): { name: string; version: string } | undefined {
  const m = /^(.+)-([^-]+)-([^-]+)\.(?:no)?src\.rpm$/.exec(s);
  return m ? { name: m[1]!, version: `${m[2]}-${m[3]}` } : undefined;
}
