// Files installed by dpkg packages (/var/lib/dpkg/info/<pkg>.list), reduced to the paths language
// analyzers read: the merge marks language packages found there `osOwned`, since Debian's own
// advisories cover them (python3-requests is judged as the deb, not again as PyPI requests).
// Distroless images (status.d) ship no lists: nothing is owned there.
import type { Analyzer, AnalyzerFinding } from './analyzer.ts';
import type { LanguagePaths } from './language-paths.ts';
import { normalizeEntryPath } from '../util/paths.ts';

const INFO_DIR = '/var/lib/dpkg/info/';

/** Paths in a dpkg .list file that language analyzers report packages from. */
export function ownedLanguageFiles(content: Buffer | string, paths: LanguagePaths): string[] {
  const text = typeof content === 'string' ? content : content.toString('utf8');
  const out: string[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    if (!line.startsWith('/') || !paths.isMetadataPath(line)) continue;
    const p = normalizeEntryPath(line);
    if (p) out.push(p);
  }
  return out;
}

/** The analyzer of dpkg's file lists, reporting the paths `paths` accepts (the deb ecosystem builds it). */
export function makeDpkgFilesAnalyzer(paths: LanguagePaths): Analyzer {
  return {
    name: 'dpkg-files',
    version: 1,
    wants(path: string): boolean {
      if (!path.startsWith(INFO_DIR) || !path.endsWith('.list')) return false;
      const base = path.slice(INFO_DIR.length);
      return base.length > '.list'.length && !base.includes('/');
    },
    analyze(_path: string, content: Buffer): AnalyzerFinding | null {
      const ownedFiles = ownedLanguageFiles(content, paths);
      return ownedFiles.length ? { ownedFiles } : null;
    },
  };
}
