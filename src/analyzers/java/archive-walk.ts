// Walk a Java archive held in memory (yauzl reads the central directory), descending into nested
// archives (Spring Boot BOOT-INF/lib, WEB-INF/lib, EAR modules) from their entry bytes, and hand
// back the metadata files that name packages. Only those small files and nested archives are ever
// inflated; every limit below is a guard against hostile archives (zip bombs, nesting bombs).
import yauzl from 'yauzl';
import { CustomsError } from '../../errors.ts';

export const ARCHIVE_EXT = /\.(jar|war|ear|par|jpi|hpi)$/i;
export const POM_PROPERTIES = /^META-INF\/maven\/[^/]+\/[^/]+\/pom\.properties$/;
export const MANIFEST = /^META-INF\/MANIFEST\.MF$/i;

export interface WalkLimits {
  /** nested archives deeper than this are not opened (the top archive is depth 0) */
  maxDepth: number;
  /** a nested archive bigger than this (uncompressed) is not opened */
  maxNestedBytes: number;
  /** metadata files bigger than this are not read */
  maxMetadataBytes: number;
  /** total bytes inflated for one top-level archive, nested ones included */
  maxTotalBytes: number;
  /** total entries listed for one top-level archive, nested ones included */
  maxEntries: number;
}

export const DEFAULT_WALK_LIMITS: WalkLimits = {
  maxDepth: 8,
  // nested archives are held while their children are read: these two bound that chain's memory
  maxNestedBytes: 64 * 1024 * 1024,
  maxMetadataBytes: 1024 * 1024,
  maxTotalBytes: 256 * 1024 * 1024,
  maxEntries: 500_000,
};

/** What one archive (top-level or nested) says about itself. */
export interface ArchiveMeta {
  /** "/app/app.jar" or "/app/app.jar!/BOOT-INF/lib/x.jar" */
  location: string;
  fileName: string;
  manifest?: string;
  pomProperties: string[];
}

export interface WalkResult {
  archives: ArchiveMeta[];
  /** parts not analysed, with the reason (a limit, a corrupt nested archive) */
  problems: string[];
}

interface Budget { entries: number; bytes: number }

async function readEntry(zip: yauzl.ZipFile, e: yauzl.Entry, budget: Budget, limits: WalkLimits): Promise<Buffer> {
  budget.bytes += e.uncompressedSize;
  if (budget.bytes > limits.maxTotalBytes) throw new CustomsError('limit', `more than ${limits.maxTotalBytes} bytes inflated (zip bomb?)`);
  const stream = await zip.openReadStreamPromise(e);
  const parts: Buffer[] = [];
  let got = 0;
  for await (const c of stream as AsyncIterable<Buffer>) {
    got += c.length;
    // yauzl checks the declared size at the end; stop a liar early
    if (got > e.uncompressedSize) { stream.destroy(); throw new CustomsError('corrupt', `${e.fileName}: more bytes than declared`); }
    parts.push(c);
  }
  return Buffer.concat(parts, got);
}

/** Walk an archive and its nested archives; throws CustomsError when the top archive is unreadable
 *  or a global limit is hit; problems in nested archives are collected instead. */
export async function walkArchive(bytes: Buffer, location: string, limits: WalkLimits = DEFAULT_WALK_LIMITS): Promise<WalkResult> {
  const result: WalkResult = { archives: [], problems: [] };
  const budget: Budget = { entries: 0, bytes: 0 };
  try {
    await walk(bytes, location, location.replace(/^.*\//, ''), 0, budget, limits, result);
  } catch (e) {
    // a global limit keeps what was found before it was hit
    if ((e as CustomsError).kind !== 'limit' || result.archives.length === 0) throw e;
    result.problems.push((e as Error).message);
  }
  return result;
}

async function walk(bytes: Buffer, location: string, fileName: string, depth: number, budget: Budget, limits: WalkLimits, result: WalkResult): Promise<void> {
  let zip: yauzl.ZipFile;
  try {
    zip = await yauzl.fromBufferPromise(bytes, { lazyEntries: true, validateEntrySizes: true, strictFileNames: false, decodeStrings: true });
  } catch (e) {
    throw new CustomsError('corrupt', `${location}: not a readable zip archive (${(e as Error).message})`);
  }
  const meta: ArchiveMeta = { location, fileName, pomProperties: [] };
  result.archives.push(meta);
  const nested: yauzl.Entry[] = [];
  try {
    for await (const e of zip.eachEntry()) {
      if (++budget.entries > limits.maxEntries) throw new CustomsError('limit', `${location}: more than ${limits.maxEntries} zip entries`);
      const name = e.fileName;
      if (name.endsWith('/')) continue;
      const isPom = POM_PROPERTIES.test(name), isManifest = MANIFEST.test(name);
      if (isPom || isManifest) {
        if (e.uncompressedSize > limits.maxMetadataBytes) { result.problems.push(`${location}!/${name}: ${e.uncompressedSize} bytes, not read`); continue; }
        if (!e.canDecodeFileData()) continue;
        const text = (await readEntry(zip, e, budget, limits)).toString('utf8');
        if (isPom) meta.pomProperties.push(text);
        else meta.manifest = text;
      } else if (ARCHIVE_EXT.test(name)) {
        nested.push(e);
      }
    }
  } catch (e) {
    if ((e as CustomsError).kind === 'limit') throw e;
    throw new CustomsError('corrupt', `${location}: corrupt zip archive (${(e as Error).message})`);
  }
  for (const e of nested) {
    const where = `${location}!/${e.fileName}`;
    if (depth + 1 > limits.maxDepth) { result.problems.push(`${where}: nested deeper than ${limits.maxDepth} archives, not opened`); continue; }
    if (e.uncompressedSize > limits.maxNestedBytes) { result.problems.push(`${where}: ${e.uncompressedSize} bytes, above the nested archive cap`); continue; }
    if (!e.canDecodeFileData()) { result.problems.push(`${where}: encrypted or unsupported compression`); continue; }
    try {
      const inner = await readEntry(zip, e, budget, limits);
      await walk(inner, where, e.fileName.replace(/^.*\//, ''), depth + 1, budget, limits, result);
    } catch (err) {
      if ((err as CustomsError).kind === 'limit') throw err;
      result.problems.push(`${where}: ${(err as Error).message}`);
    }
  }
}
