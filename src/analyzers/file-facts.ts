// Facts from entry metadata alone (no content read): setuid/setgid binaries, world-writable files
// and directories, and tools a production image rarely needs (shells, package managers,
// compilers, sudo) recognised by their path in a bin directory.
import { basename, dirname } from '../util/paths.ts';
import type { Analyzer, AnalyzerFinding, EntryInfo } from './analyzer.ts';
import type { FileFact } from '../types.ts';

const BIN_DIRS = new Set(['/bin', '/sbin', '/usr/bin', '/usr/sbin', '/usr/local/bin', '/usr/local/sbin']);

/** basename → fact id, for executables in BIN_DIRS */
export const TOOL_FACTS: Record<string, string> = Object.fromEntries([
  ...['sh', 'bash', 'dash', 'ash', 'zsh', 'ksh', 'mksh', 'csh', 'tcsh', 'fish', 'busybox'].map((n) => [n, 'shell']),
  ...['apt', 'apt-get', 'dpkg', 'apk', 'yum', 'dnf', 'microdnf', 'rpm', 'zypper', 'tdnf', 'pip', 'pip3', 'npm', 'yarn', 'pnpm', 'gem'].map((n) => [n, 'package-manager']),
  ...['gcc', 'cc', 'c++', 'g++', 'clang', 'clang++', 'tcc', 'go', 'rustc', 'cargo', 'javac', 'as', 'ld'].map((n) => [n, 'compiler']),
  ...['sudo', 'doas'].map((n) => [n, 'sudo']),
]);

function octal(mode: number): string {
  return (mode & 0o7777).toString(8).padStart(4, '0');
}

export function entryFacts(e: EntryInfo): FileFact[] {
  const facts: FileFact[] = [];
  if (e.type === 'file') {
    if (e.mode & 0o4000) facts.push({ id: 'setuid', detail: `mode ${octal(e.mode)}, owner uid ${e.uid}` });
    if (e.mode & 0o2000 && e.mode & 0o010) facts.push({ id: 'setgid', detail: `mode ${octal(e.mode)}, group gid ${e.gid}` });
    if (e.mode & 0o002) facts.push({ id: 'world-writable', detail: `mode ${octal(e.mode)}` });
  } else if (e.type === 'directory' && e.mode & 0o002 && !(e.mode & 0o1000)) {
    // /tmp-like directories carry the sticky bit; without it anyone may replace others' files
    facts.push({ id: 'world-writable', detail: `directory mode ${octal(e.mode)} without sticky bit` });
  }
  if ((e.type === 'file' || e.type === 'symlink' || e.type === 'link') && BIN_DIRS.has(dirname(e.path))) {
    const tool = TOOL_FACTS[basename(e.path)];
    if (tool) facts.push({ id: tool, detail: basename(e.path) });
  }
  return facts;
}

export const fileFactsAnalyzer: Analyzer = {
  name: 'file-facts', version: 1,
  wants: () => false,
  analyze: () => null,
  inspect(entry): AnalyzerFinding | null {
    const facts = entryFacts(entry);
    return facts.length ? { facts } : null;
  },
};
