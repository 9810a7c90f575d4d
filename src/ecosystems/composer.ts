// PHP packages: Composer's vendor/composer/installed.json; Composer's order; OSV "Packagist"
// (names compared lowercased).
import { composerAnalyzer } from '../analyzers/composer.ts';
import { isComposerInstalledPath } from '../analyzers/language-paths.ts';
import { compareComposer } from '../versions/composer.ts';
import { lowercaseName, baseNameTest, scopedPurl, slashName, type LanguageEcosystem } from './ecosystem.ts';

export const composer: LanguageEcosystem<'composer'> = {
  type: 'composer',
  kind: 'language',
  osv: 'Packagist',
  osvName: lowercaseName,
  compare: compareComposer,
  feeds: ['Packagist'],
  metadata: { isPath: isComposerInstalledPath, mayBeFile: baseNameTest(/^installed\.json$/i) },
  // "vendor/name": the vendor is the purl namespace
  purl: (p) => scopedPurl('composer', p.name, p.version),
  nameFromPurl: slashName,
  analyzers: () => [composerAnalyzer],
};
