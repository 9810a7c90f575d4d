// Recognising executables (ELF, PE, Mach-O) from their mode and first bytes, so a binary at any
// path is looked at while non-executables cost nothing.
import type { EntryInfo } from '../../types.ts';
import type { FileSink } from '../analyzer.ts';

export type ExecutableFormat = 'elf' | 'pe' | 'macho';

/** Smallest file worth looking at: an ELF header alone is 52 bytes. */
const MIN_SIZE = 64;

/** A regular file with an execute bit, or a Windows executable/library by name (PE files in images
 *  often have no execute bit). */
export function mayBeExecutable(entry: EntryInfo): boolean {
  if (entry.type !== 'file' || entry.size < MIN_SIZE) return false;
  return (entry.mode & 0o111) !== 0 || /\.(exe|dll)$/i.test(entry.path);
}

/** Format from the first bytes of a file (at least 8), or null when it is not an executable. */
export function executableFormat(head: Buffer): ExecutableFormat | null {
  if (head.length < 8) return null;
  const be = head.readUInt32BE(0);
  if (be === 0x7f454c46) return 'elf';
  if (head[0] === 0x4d && head[1] === 0x5a) return 'pe'; // "MZ" DOS stub of a PE file
  if (be === 0xfeedface || be === 0xfeedfacf || be === 0xcefaedfe || be === 0xcffaedfe) return 'macho';
  // universal (fat) Mach-O shares 0xcafebabe with Java class files; a class file has its version
  // (>= 45) where a fat header has its small architecture count
  if (be === 0xcafebabe && head.readUInt32BE(4) < 20) return 'macho';
  return null;
}

/** Wrap a sink so that it sees a file only when its first bytes are an executable's magic; for
 *  anything else the feed stops after the first bytes and the result is null. */
export function executableOnly(inner: FileSink): FileSink {
  let sniff: Buffer[] | null = [];
  let sniffed = 0, isExe = false;
  return {
    write(chunk) {
      if (!sniff) return inner.write(chunk);
      sniff.push(chunk);
      sniffed += chunk.length;
      if (sniffed < 8) return true;
      const all = sniff.length === 1 ? chunk : Buffer.concat(sniff);
      sniff = null;
      if (executableFormat(all) === null) return false;
      isExe = true;
      return inner.write(all);
    },
    end() {
      return isExe ? inner.end() : null;
    },
  };
}
