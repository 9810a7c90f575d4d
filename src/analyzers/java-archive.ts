// Java archives (jar, war, ear, par, Jenkins jpi/hpi) at any path: every pom.properties (a shaded
// jar holds several), else the manifest, else the file name, for the archive and every archive
// nested in it. An archive up to MAX_IN_MEMORY streams into memory and is read by its central
// directory; a bigger one is read front to back from its local headers as it streams by, keeping
// only metadata files and nested archives. Nothing touches disk.
import type { Analyzer, AnalyzerFinding, FileSink } from './analyzer.ts';
import type { FileFact, PackageRecord } from '../types.ts';
import { CustomsError } from '../errors.ts';
import { ARCHIVE_EXT, DEFAULT_WALK_LIMITS, MANIFEST, POM_PROPERTIES, walkArchive, type ArchiveMeta, type WalkResult } from './java/archive-walk.ts';
import { createZipStream, inflateEntry } from './java/zip-stream.ts';
import { manifestCoordinates, parseManifest, parseProperties, pomCoordinates, type MavenCoordinates } from './java/metadata.ts';

type Pkg = Omit<PackageRecord, 'layer' | 'layerIndex'>;

/** archives (and nested archives of streamed ones) up to this are held in memory and read by their
 *  central directory; bigger ones are streamed */
export const MAX_IN_MEMORY = 64 * 1024 * 1024;

const mavenName = (c: MavenCoordinates) => (c.groupId ? `${c.groupId}:${c.artifactId}` : c.artifactId);

/** Packages named by one archive's metadata (not its nested archives). */
export function archivePackages(a: ArchiveMeta): Pkg[] {
  const out: Pkg[] = [];
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

function finding(walked: WalkResult, path: string): AnalyzerFinding | null {
  const packages = walked.archives.flatMap(archivePackages);
  const facts: FileFact[] = walked.problems.map((p) => ({ id: 'java-archive-incomplete', detail: p }));
  if (!packages.length && facts.length) throw new CustomsError('limit', `${path}: ${walked.problems.join('; ')}`);
  return packages.length || facts.length ? { packages, ...(facts.length ? { facts } : {}) } : null;
}

/** Whole archive in memory, read by its central directory (yauzl). */
function inMemorySink(path: string, size: number): FileSink {
  const parts: Buffer[] = [];
  let got = 0;
  return {
    write(chunk) {
      got += chunk.length;
      if (got > size) return false; // the walker reports the lie; never hold more than declared
      parts.push(chunk);
    },
    async end() {
      const walked = await walkArchive(Buffer.concat(parts, got), path);
      parts.length = 0;
      return finding(walked, path);
    },
  };
}

/** Archive read from its local headers as it streams by; nested archives from their kept bytes. */
function streamedSink(path: string, maxInMemory: number): FileSink {
  const limits = DEFAULT_WALK_LIMITS;
  const zip = createZipStream({
    wanted: (n) => POM_PROPERTIES.test(n) || MANIFEST.test(n) || ARCHIVE_EXT.test(n),
    maxEntryBytes: (n) => (ARCHIVE_EXT.test(n) ? maxInMemory : limits.maxMetadataBytes),
    maxKeptBytes: 2 * maxInMemory,
    maxEntries: limits.maxEntries,
  });
  return {
    write: (chunk) => zip.write(chunk),
    async end() {
      const { entries, problems, count } = zip.finish();
      if (count === 0) throw new CustomsError('corrupt', `${path}: not a zip archive (no local file header at its start)`);
      const top: ArchiveMeta = { location: path, fileName: path.replace(/^.*\//, ''), pomProperties: [] };
      const walked: WalkResult = { archives: [top], problems: problems.map((p) => `${path}!/${p}`) };
      let inflated = 0;
      for (const e of entries) {
        const where = `${path}!/${e.name}`;
        try {
          const isArchive = ARCHIVE_EXT.test(e.name);
          const bytes = inflateEntry(e, isArchive ? maxInMemory : limits.maxMetadataBytes);
          inflated += bytes.length;
          if (!isArchive) {
            if (POM_PROPERTIES.test(e.name)) top.pomProperties.push(bytes.toString('utf8'));
            else top.manifest = bytes.toString('utf8');
            continue;
          }
          const inner = await walkArchive(bytes, where, { ...limits, maxDepth: limits.maxDepth - 1, maxTotalBytes: Math.max(0, limits.maxTotalBytes - inflated) });
          walked.archives.push(...inner.archives);
          walked.problems.push(...inner.problems);
        } catch (err) {
          walked.problems.push(`${where}: ${(err as Error).message}`);
        }
      }
      return finding(walked, path);
    },
  };
}

/** The sink for one archive: in memory up to `maxInMemory` bytes, streamed above. */
export function javaArchiveSink(path: string, size: number, maxInMemory = MAX_IN_MEMORY): FileSink {
  return size <= maxInMemory ? inMemorySink(path, size) : streamedSink(path, maxInMemory);
}

export const javaArchiveAnalyzer: Analyzer = {
  name: 'java-archive',
  version: 1,
  wants: () => false,
  analyze: () => null,
  openSink(entry): FileSink | null {
    if (entry.type !== 'file' || !ARCHIVE_EXT.test(entry.path)) return null;
    return javaArchiveSink(entry.path, entry.size);
  },
};
