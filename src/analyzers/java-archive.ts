// Java archives (jar, war, ear, par, Jenkins jpi/hpi) at any path: every pom.properties (a shaded
// jar holds several), else the manifest, else the file name, for the archive and every archive
// nested in it. An archive up to MAX_IN_MEMORY streams into memory and is read by its central
// directory; a bigger one is read front to back from its local headers as it streams by, keeping
// only metadata files and nested archives. Nothing touches disk.
import { UNREAD_INPUT, type Analyzer, type AnalyzerFinding, type FileSink } from './analyzer.ts';
import { ArchiveBudget, BudgetExceeded } from './archive-budget.ts';
import { configSchema } from '../config/schema.ts';
import type { FileFact, FoundPackage } from '../types.ts';
import { CustomsError } from '../errors.ts';
import { ARCHIVE_EXT, DEFAULT_WALK_LIMITS, MANIFEST, POM_PROPERTIES, walkArchive, type ArchiveMeta, type WalkResult } from './java/archive-walk.ts';
import { createZipStream, inflateEntry } from './java/zip-stream.ts';
import { manifestCoordinates, parseManifest, parseProperties, pomCoordinates, type MavenCoordinates } from './java/metadata.ts';

/** archives (and nested archives of streamed ones) up to this are held in memory and read by their
 *  central directory; bigger ones are streamed */
export const MAX_IN_MEMORY = 64 * 1024 * 1024;

const mavenName = (c: MavenCoordinates) => (c.groupId ? `${c.groupId}:${c.artifactId}` : c.artifactId);

/** Packages named by one archive's metadata (not its nested archives). */
export function archivePackages(a: ArchiveMeta): FoundPackage[] {
  const out: FoundPackage[] = [];
  const seen = new Set<string>();
  for (const text of a.pomProperties) {
    const c = pomCoordinates(parseProperties(text));
    if (!c) continue;
    const key = `${mavenName(c)}@${c.version}`;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push({ type: 'maven', name: mavenName(c), version: c.version, foundIn: a.location });
  }
  if (out.length) return out;
  const c = manifestCoordinates(a.manifest ? parseManifest(a.manifest) : {}, a.fileName);
  return c ? [{ type: 'maven', name: mavenName(c), version: c.version, foundIn: a.location }] : [];
}

function finding(walked: WalkResult): AnalyzerFinding | null {
  const packages = walked.archives.flatMap(archivePackages);
  const facts: FileFact[] = walked.problems.map((p) => ({ id: 'java-archive-incomplete', detail: p }));
  // a walk cut short (a budget, the nesting depth, a zip bomb) left packages unread: the inventory is incomplete
  if (walked.cut) facts.push({ id: UNREAD_INPUT, detail: `java-archive: ${walked.cut}` });
  return packages.length || facts.length ? { packages, ...(facts.length ? { facts } : {}) } : null;
}

/** Whole archive in memory, read by its central directory (yauzl). */
function inMemorySink(path: string, size: number, budget: ArchiveBudget): FileSink {
  const parts: Buffer[] = [];
  let got = 0;
  return {
    write(chunk) {
      got += chunk.length;
      if (got > size) return false; // the walker reports the lie; never hold more than declared
      parts.push(chunk);
    },
    async end() {
      const walked = await walkArchive(Buffer.concat(parts, got), path, budget);
      parts.length = 0;
      return finding(walked);
    },
  };
}

/** Archive read from its local headers as it streams by; nested archives from their kept bytes. */
function streamedSink(path: string, maxInMemory: number, budget: ArchiveBudget): FileSink {
  const limits = DEFAULT_WALK_LIMITS;
  const zip = createZipStream({
    wanted: (n) => POM_PROPERTIES.test(n) || MANIFEST.test(n) || ARCHIVE_EXT.test(n),
    maxEntryBytes: (n) => (ARCHIVE_EXT.test(n) ? maxInMemory : limits.maxMetadataBytes),
    maxKeptBytes: 2 * maxInMemory,
    maxEntries: budget.cap('entries'),
  });
  return {
    write: (chunk) => zip.write(chunk),
    async end() {
      const { entries, problems, count } = zip.finish();
      if (count === 0) throw new CustomsError('corrupt', `${path}: not a zip archive (no local file header at its start)`);
      const top: ArchiveMeta = { location: path, fileName: path.replace(/^.*\//, ''), pomProperties: [] };
      const walked: WalkResult = { archives: [top], problems: problems.map((p) => `${path}!/${p}`) };
      try {
        budget.take('archives', 1);
        budget.take('entries', count);
        for (const e of entries) {
          const where = `${path}!/${e.name}`;
          try {
            const isArchive = ARCHIVE_EXT.test(e.name);
            const bytes = inflateEntry(e, isArchive ? maxInMemory : limits.maxMetadataBytes);
            budget.take('bytes', bytes.length);
            if (!isArchive) {
              if (POM_PROPERTIES.test(e.name)) top.pomProperties.push(bytes.toString('utf8'));
              else top.manifest = bytes.toString('utf8');
              continue;
            }
            const inner = await walkArchive(bytes, where, budget, { ...limits, maxDepth: limits.maxDepth - 1 });
            walked.archives.push(...inner.archives);
            walked.problems.push(...inner.problems);
            walked.cut ??= inner.cut;
          } catch (err) {
            if (err instanceof BudgetExceeded) throw err;
            walked.problems.push(`${where}: ${(err as Error).message}`);
          }
        }
      } catch (err) {
        if (!(err instanceof BudgetExceeded) || err.hard) throw err;
        const why = `${path}: ${err.message}`;
        walked.problems.push(why);
        walked.cut ??= why;
      }
      return finding(walked);
    },
  };
}

/** Limits of an archive read outside a layer walk (tests, tools): the defaults. */
const STANDALONE_LIMITS = configSchema.parse({}).limits;

/**
 * The sink for one archive: in memory up to `maxInMemory` bytes, streamed above. `budget` is the
 * archive's own scope (a child of the layer's, see ../archive-budget.ts).
 */
export function javaArchiveSink(path: string, size: number, maxInMemory = MAX_IN_MEMORY, budget = new ArchiveBudget('archive', STANDALONE_LIMITS)): FileSink {
  return size <= maxInMemory ? inMemorySink(path, size, budget) : streamedSink(path, maxInMemory, budget);
}

export const javaArchiveAnalyzer: Analyzer = {
  name: 'java-archive',
  version: 2,
  wants: () => false,
  analyze: () => null,
  openSink(entry, ctx): FileSink | null {
    if (entry.type !== 'file' || !ARCHIVE_EXT.test(entry.path)) return null;
    return javaArchiveSink(entry.path, entry.size, MAX_IN_MEMORY, ctx?.archives.child('archive'));
  },
};
