// npm packages: package.json of each package root under node_modules; SemVer order; OSV "npm".
import { isNpmPackageJson } from '../analyzers/language-paths.ts';
import { npmAnalyzer } from '../analyzers/npm.ts';
import { compareSemver } from '../versions/semver.ts';
import { baseNameTest, scopedPurl, slashName, type LanguageEcosystem } from './ecosystem.ts';

export const npm: LanguageEcosystem<'npm'> = {
  type: 'npm',
  kind: 'language',
  osv: 'npm',
  compare: compareSemver,
  feeds: ['npm'],
  metadata: { isPath: isNpmPackageJson, mayBeFile: baseNameTest(/^package\.json$/i) },
  // "@scope/name": the scope is the purl namespace
  purl: (p) => scopedPurl('npm', p.name, p.version),
  nameFromPurl: slashName,
  analyzers: () => [npmAnalyzer],
};
