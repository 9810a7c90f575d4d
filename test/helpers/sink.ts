// Feed a file's bytes to an analyzer's FileSink in chunks, as the layer walker does.
import type { Analyzer, AnalyzerFinding, FileSink } from '../../src/analyzers/analyzer.ts';
import type { EntryInfo } from '../../src/types.ts';

export function fileEntry(path: string, size: number, mode = 0o755): EntryInfo {
  return { path, size, mode, uid: 0, gid: 0, type: 'file' };
}

/** Write `bytes` in chunks of `chunk` until the sink says it has seen enough, then end it. */
export async function feedSink(sink: FileSink, bytes: Buffer, chunk = 64 * 1024): Promise<AnalyzerFinding | null> {
  for (let i = 0; i < bytes.length; i += chunk) if (sink.write(bytes.subarray(i, i + chunk)) === false) break;
  return sink.end();
}

/** The analyzer's finding for a file at `path` (null when it opens no sink for it). */
export async function viaAnalyzerSink(a: Analyzer, path: string, bytes: Buffer, chunk?: number, mode?: number): Promise<AnalyzerFinding | null> {
  const sink = a.openSink!(fileEntry(path, bytes.length, mode));
  return sink ? feedSink(sink, bytes, chunk) : null;
}
