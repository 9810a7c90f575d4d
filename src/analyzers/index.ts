// What every analyzer set shares. Which analyzers inventory an image is the ecosystem registry's
// word (src/ecosystems/index.ts, `inventoryAnalyzers`): each ecosystem module names its own.
import type { Analyzer } from './analyzer.ts';

export type { Analyzer } from './analyzer.ts';

/**
 * What the layer walker itself records besides the analyzers' findings; bumped when that changes
 * (2: `unread-input` facts on files that could not be analysed; 3: archive budget use in the layer's stats,
 * charged to the image budget when the layer comes from the cache), so cached layers are analysed again.
 */
export const WALKER_VERSION = 3;

/** Stable key of a set of analyzers and their versions, e.g. "apk@1,dpkg@1,os-release@1,walker@3" (layer cache key). */
export function analyzersKey(analyzers: readonly Analyzer[]): string {
  return [...analyzers.map((a) => `${a.name}@${a.version}`), `walker@${WALKER_VERSION}`].sort().join(',');
}
