// Java archives (jar, war, ear, par, Jenkins jpi/hpi) at any path: every pom.properties (a shaded
// jar holds several), else the manifest, else the file name, for the archive and every archive
// nested in it. The archive streams into memory through a sink (bounded by MAX_IN_MEMORY) and is
// read from there; nothing touches disk.
import type { Analyzer, AnalyzerFinding, FileSink } from './analyzer.ts';
import type { FileFact, PackageRecord } from '../types.ts';
import { CustomsError } from '../errors.ts';
import { ARCHIVE_EXT, walkArchive, type ArchiveMeta } from './java/archive-walk.ts';
import { manifestCoordinates, parseManifest, parseProperties, pomCoordinates, type MavenCoordinates } from './java/metadata.ts';

type Pkg = Omit<PackageRecord, 'layer' | 'layerIndex'>;

/** archives above this are not read (a Spring Boot fat jar is typically 20-150 MB) */
export const MAX_IN_MEMORY = 256 * 1024 * 1024;

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

export const javaArchiveAnalyzer: Analyzer = {
  name: 'java-archive',
  version: 1,
  wants: () => false,
  analyze: () => null,
  openSink(entry): FileSink | null {
    if (entry.type !== 'file' || !ARCHIVE_EXT.test(entry.path)) return null;
    if (entry.size > MAX_IN_MEMORY) {
      return {
        write: () => false,
        end() { throw new CustomsError('limit', `${entry.path}: ${entry.size} bytes, above the ${MAX_IN_MEMORY}-byte Java archive cap: not analysed`); },
      };
    }
    const parts: Buffer[] = [];
    let got = 0;
    return {
      write(chunk) {
        got += chunk.length;
        if (got > entry.size) return false; // the walker reports the lie; never hold more than declared
        parts.push(chunk);
      },
      async end(): Promise<AnalyzerFinding | null> {
        const walked = await walkArchive(Buffer.concat(parts, got), entry.path);
        parts.length = 0;
        const packages = walked.archives.flatMap(archivePackages);
        const facts: FileFact[] = walked.problems.map((p) => ({ id: 'java-archive-incomplete', detail: p }));
        if (!packages.length && facts.length) throw new CustomsError('limit', `${entry.path}: ${walked.problems.join('; ')}`);
        return packages.length || facts.length ? { packages, ...(facts.length ? { facts } : {}) } : null;
      },
    };
  },
};
