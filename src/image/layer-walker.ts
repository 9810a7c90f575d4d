// Analyse one layer: the tar walker (tar-walker.ts) streams the blob through the decompressor into a
// tar parser, records whiteouts, opaque dirs and hard links, and hands the few files analyzers want to
// the analyzer group (analyzer-group.ts), which dispatches them and collects the findings and wanted
// symlinks. Nothing touches disk; unwanted entries are drained as they pass, so memory stays bounded
// whatever the layer size.
import type { Limits } from '../config/schema.ts';
import type { Analyzer } from '../analyzers/analyzer.ts';
import { ArchiveBudget } from '../analyzers/archive-budget.ts';
import type { Descriptor, LayerResult } from '../types.ts';
import { AnalyzerGroup, LayerWarnings } from './analyzer-group.ts';
import { walkLayer } from './tar-walker.ts';

/**
 * Analyse one layer blob. The blob stream is read to its very end on success (so a DigestVerifier
 * upstream checks the digest); on failure it is destroyed. Throws CustomsError: 'corrupt' (bad
 * gzip/zstd/tar), 'limit' (caps), 'unsupported' (unknown media type), or the blob's own error.
 */
export async function analyzeLayer(
  blob: NodeJS.ReadableStream | AsyncIterable<Buffer>,
  desc: Descriptor,
  analyzers: Analyzer[],
  limits: Limits,
  /** the image's archive budget (pipeline); a layer analysed alone gets its own */
  imageBudget: ArchiveBudget = new ArchiveBudget('image', limits),
): Promise<LayerResult> {
  const what = `layer ${desc.digest}`;
  const warnings = new LayerWarnings(what);
  const group = new AnalyzerGroup(analyzers, limits, imageBudget, what, warnings.warn);
  const walk = await walkLayer(blob, desc, limits, group, warnings.warn, what);
  return {
    digest: desc.digest, files: group.files, whiteouts: walk.whiteouts, opaqueDirs: walk.opaqueDirs, symlinks: group.symlinks,
    stats: { ...walk.stats, archives: { ...group.archives.used } }, warnings: warnings.done(),
  };
}
