// Library entry point.
export { compareVersions, hasComparator } from './versions/index.ts';
export type { Ecosystem } from './versions/index.ts';
