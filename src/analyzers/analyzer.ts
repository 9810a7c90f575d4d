import type { Limits } from '../config/schema.ts';
import type { EntryInfo, FileFinding } from '../types.ts';
import type { ArchiveBudget } from './archive-budget.ts';

export type { EntryInfo } from '../types.ts';

/** What an analyzer says about one file (the walker adds the analyzer's name). */
export type AnalyzerFinding = Omit<FileFinding, 'analyzer'>;

/**
 * A streaming consumer of one file's bytes, for files too large to hold (jars, binaries) or
 * recognised by their first bytes (an ELF at any path). Chunks arrive in order; `write` returning
 * false means "seen enough" and no more chunks are sent. `end` is called once the whole file went
 * by, or right after a false from write. The sink bounds its own memory.
 */
export interface FileSink {
  write(chunk: Buffer): boolean | void;
  end(): AnalyzerFinding | null | Promise<AnalyzerFinding | null>;
}

/** What a sink may need besides its entry (the walker always passes it). */
export interface SinkContext {
  limits: Limits;
  /** this layer's archive budget (archive-budget.ts): a sink reading archives takes a child scope per top archive */
  archives: ArchiveBudget;
}

/**
 * The unit people add most often. An analyzer names the files it wants (decided from the path,
 * size and mode alone, while the layer streams by) and turns one file's bytes into findings.
 * `version` is part of the layer cache key: bump it whenever the output for the same input changes.
 *
 * Three ways to look at a layer, any combination:
 * - `wants` + `analyze`: the whole file in memory (capped by limits.maxFileBytes);
 * - `openSink`: the file streamed through a FileSink (no size cap from the walker);
 * - `inspect`: metadata of every entry (mode, owner, type), no content — cheap checks such as setuid.
 */
export interface Analyzer {
  readonly name: string;
  readonly version: number;
  /** path is absolute and normalised ("/var/lib/dpkg/status"); size in bytes */
  wants(path: string, size: number, entry?: EntryInfo): boolean;
  analyze(path: string, content: Buffer, entry?: EntryInfo): AnalyzerFinding | null | Promise<AnalyzerFinding | null>;
  /** Called for every regular file; return a sink to receive its bytes, or null. */
  openSink?(entry: EntryInfo, ctx?: SinkContext): FileSink | null;
  /** Called for every entry (files, directories, links); findings are recorded under the entry's path. */
  inspect?(entry: EntryInfo): AnalyzerFinding | null;
  /**
   * What a wanted file that cannot be analysed means for the inventory (the walker records an
   * `unread-input` fact on the file, which holds while the file is visible in the final image):
   * - 'size' (default): only a file over limits.maxFileBytes makes the inventory incomplete (a
   *   malformed language manifest is common and only warned about);
   * - 'strict': also an analyzer failure (OS package databases: a package list that could not be
   *   read must not look like an image without packages);
   * - 'none': never (secrets: a file too big to search is not a missing package).
   */
  readonly completeness?: 'size' | 'strict' | 'none';
}

/** The fact id the walker records on a wanted file it could not analyse (see Analyzer.completeness). */
export const UNREAD_INPUT = 'unread-input';
