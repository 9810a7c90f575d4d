// Go modules: build information of Go executables (main module, dependencies, stdlib); Go's
// semantic-version order; OSV "Go".
import { goBinaryAnalyzer } from '../analyzers/go-binary.ts';
import { compareGo } from '../versions/go.ts';
import { pathPurl, slashName, type LanguageEcosystem } from './ecosystem.ts';

export const golang: LanguageEcosystem<'golang'> = {
  type: 'golang',
  kind: 'language',
  osv: 'Go',
  compare: compareGo,
  feeds: ['Go'],
  metadata: null, // read from executables: no metadata file an OS package could own
  // a main module built from a checkout has no version: a purl without one
  purl: (p) => pathPurl('golang', p.name, p.version === '(devel)' ? undefined : p.version),
  nameFromPurl: slashName,
  analyzers: () => [goBinaryAnalyzer],
};
