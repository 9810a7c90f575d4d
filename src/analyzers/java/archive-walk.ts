// Walk a Java archive held in memory (yauzl reads the central directory), descending into nested
// archives (Spring Boot BOOT-INF/lib, WEB-INF/lib, EAR modules) from their entry bytes, and hand
// back the metadata files that name packages. Only those small files and nested archives are ever
// inflated; every limit below is a guard against hostile archives (zip bombs, nesting bombs).
import yauzl from 'yauzl';
import { CustomsError } from '../../errors.ts';
import { BudgetExceeded, type ArchiveBudget } from '../archive-budget.ts';
import { inflateEntry } from './zip-stream.ts';

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
}

export const DEFAULT_WALK_LIMITS: WalkLimits = {
  maxDepth: 8,
  // nested archives are held while their children are read: this bounds that chain's memory
  maxNestedBytes: 64 * 1024 * 1024,
  maxMetadataBytes: 1024 * 1024,
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
  /** set when the walk was cut (an archive budget, nesting depth, a zip bomb): the archive is an unread input */
  cut?: string;
}

/** Not a limit of a budget but the same answer: this archive is not read (soft). */
class Cut extends BudgetExceeded {
  constructor(message: string) { super(message, false); }
}

function cutHere(result: WalkResult, why: string): void {
  result.problems.push(why);
  result.cut ??= why;
}

const LOCAL_HEADER = 0x04034b50;

/**
 * The bytes of an entry of an archive held in memory: its data is found from the local header the
 * central directory points at and inflated synchronously. (yauzl's read streams go through an
 * async zlib stream per entry, which costs more than the inflating for the small entries jars are
 * made of; yauzl still reads the central directory.)
 */
function readEntry(bytes: Buffer, e: yauzl.Entry, budget: ArchiveBudget): Buffer {
  budget.take('bytes', e.uncompressedSize);
  const at = e.relativeOffsetOfLocalHeader;
  if (at + 30 > bytes.length || bytes.readUInt32LE(at) !== LOCAL_HEADER) throw new CustomsError('corrupt', `${e.fileName}: no local file header at byte ${at}`);
  const start = at + 30 + bytes.readUInt16LE(at + 26) + bytes.readUInt16LE(at + 28);
  if (start + e.compressedSize > bytes.length) throw new CustomsError('corrupt', `${e.fileName}: data runs past the end of the archive`);
  const compressed = bytes.subarray(start, start + e.compressedSize);
  const data = inflateEntry({ name: e.fileName, method: e.compressionMethod, compressed, size: e.uncompressedSize }, e.uncompressedSize);
  // a liar is stopped by the inflate cap above; one that says more than it holds, here
  if (data.length !== e.uncompressedSize) throw new CustomsError('corrupt', `${e.fileName}: ${data.length} bytes, ${e.uncompressedSize} declared`);
  return data;
}

/**
 * Local-header offsets and compressed sizes of a zip's entries, to find entries that share bytes:
 * the zip bomb technique of many central-directory records pointing at one local entry (or into
 * each other's data), each inflating the same bytes again. In a well-formed zip every entry's local
 * header, name and data end before the next entry starts.
 */
class Spans {
  private readonly offsets: number[] = [];
  private readonly sizes: number[] = [];
  add(offset: number, compressedSize: number): void { this.offsets.push(offset); this.sizes.push(compressedSize); }
  /** a description of the first two entries that overlap, or undefined */
  overlap(): string | undefined {
    const order = this.offsets.map((_, i) => i).sort((a, b) => this.offsets[a]! - this.offsets[b]!);
    for (let k = 1; k < order.length; k++) {
      const a = order[k - 1]!, b = order[k]!;
      if (this.offsets[b]! < this.offsets[a]! + 30 + this.sizes[a]!) return `entries ${a + 1} and ${b + 1} share bytes at offset ${this.offsets[b]}`;
    }
    return undefined;
  }
}

/**
 * Walk an archive and its nested archives, taking every archive, entry and inflated byte from
 * `budget` (the archive's own scope; see ../archive-budget.ts). Throws CustomsError when the top
 * archive is unreadable, and BudgetExceeded when a layer or image cap is passed (hard); a cut in
 * this archive's scope keeps what was found and says so in `cut`.
 */
export async function walkArchive(bytes: Buffer, location: string, budget: ArchiveBudget, limits: WalkLimits = DEFAULT_WALK_LIMITS): Promise<WalkResult> {
  const result: WalkResult = { archives: [], problems: [] };
  try {
    await walk(bytes, location, location.replace(/^.*\//, ''), 0, budget, limits, result);
  } catch (e) {
    if (!(e instanceof BudgetExceeded) || e.hard) throw e;
    cutHere(result, e.message);
  }
  return result;
}

async function walk(bytes: Buffer, location: string, fileName: string, depth: number, budget: ArchiveBudget, limits: WalkLimits, result: WalkResult): Promise<void> {
  budget.take('archives', 1);
  let zip: yauzl.ZipFile;
  try {
    zip = await yauzl.fromBufferPromise(bytes, { lazyEntries: true, validateEntrySizes: true, strictFileNames: false, decodeStrings: true });
  } catch (e) {
    throw new CustomsError('corrupt', `${location}: not a readable zip archive (${(e as Error).message})`);
  }
  const meta: ArchiveMeta = { location, fileName, pomProperties: [] };
  result.archives.push(meta);
  // list first, read after: nothing is inflated before the entries are known not to overlap
  const metadata: yauzl.Entry[] = [];
  const nested: yauzl.Entry[] = [];
  const spans = new Spans();
  try {
    for await (const e of zip.eachEntry()) {
      budget.take('entries', 1);
      spans.add(e.relativeOffsetOfLocalHeader, e.compressedSize);
      const name = e.fileName;
      if (name.endsWith('/')) continue;
      if (POM_PROPERTIES.test(name) || MANIFEST.test(name)) {
        if (e.uncompressedSize > limits.maxMetadataBytes) { result.problems.push(`${location}!/${name}: ${e.uncompressedSize} bytes, not read`); continue; }
        if (e.canDecodeFileData()) metadata.push(e);
      } else if (ARCHIVE_EXT.test(name)) {
        nested.push(e);
      }
    }
  } catch (e) {
    if (e instanceof BudgetExceeded) throw new BudgetExceeded(`${location}: ${e.message}`, e.hard);
    throw new CustomsError('corrupt', `${location}: corrupt zip archive (${(e as Error).message})`);
  }
  const overlap = spans.overlap();
  if (overlap) throw new Cut(`${location}: overlapping zip entries (${overlap}), a zip bomb: not read`);
  try {
    for (const e of metadata) {
      const text = readEntry(bytes, e, budget).toString('utf8');
      if (POM_PROPERTIES.test(e.fileName)) meta.pomProperties.push(text);
      else meta.manifest = text;
    }
  } catch (e) {
    if (e instanceof BudgetExceeded) throw new BudgetExceeded(`${location}: ${e.message}`, e.hard);
    throw new CustomsError('corrupt', `${location}: corrupt zip archive (${(e as Error).message})`);
  }
  for (const e of nested) {
    const where = `${location}!/${e.fileName}`;
    if (depth + 1 > limits.maxDepth) { cutHere(result, `${where}: nested deeper than ${limits.maxDepth} archives, not opened`); continue; }
    if (e.uncompressedSize > limits.maxNestedBytes) { result.problems.push(`${where}: ${e.uncompressedSize} bytes, above the nested archive cap`); continue; }
    if (!e.canDecodeFileData()) { result.problems.push(`${where}: encrypted or unsupported compression`); continue; }
    try {
      const inner = readEntry(bytes, e, budget);
      await walk(inner, where, e.fileName.replace(/^.*\//, ''), depth + 1, budget, limits, result);
    } catch (err) {
      if (err instanceof Cut) { cutHere(result, err.message); continue; } // a zip bomb inside: its siblings are still read
      if (err instanceof BudgetExceeded) throw err; // the budget is spent: the whole walk stops
      result.problems.push(`${where}: ${(err as Error).message}`);
    }
  }
}
