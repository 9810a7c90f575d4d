// Library entry point.
export { compareVersions, hasComparator } from './ecosystems/index.ts';
export type { OsvEcosystemName as Ecosystem } from './ecosystems/index.ts';
