import type { FileFinding } from '../types.ts';

/**
 * The unit people add most often. An analyzer names the files it wants (decided from the path and
 * size alone, while the layer streams by) and turns one file's bytes into findings. `version` is
 * part of the layer cache key: bump it whenever the output for the same input changes.
 */
export interface Analyzer {
  readonly name: string;
  readonly version: number;
  /** path is absolute and normalised ("/var/lib/dpkg/status"); size in bytes */
  wants(path: string, size: number): boolean;
  analyze(path: string, content: Buffer): Omit<FileFinding, 'analyzer'> | null | Promise<Omit<FileFinding, 'analyzer'> | null>;
}
