// Python distributions: dist-info/egg-info metadata; PEP 440 order; OSV "PyPI", names per PEP 503.
import { isPythonMetadataPath } from '../analyzers/language-paths.ts';
import { pythonAnalyzer } from '../analyzers/python.ts';
import { comparePep440 } from '../versions/pep440.ts';
import { baseNameTest, nameOnly, plainPurl, type LanguageEcosystem } from './ecosystem.ts';

/** PEP 503 normalised Python project name ("Zope.Interface" → "zope-interface"): the pypi purl type and PyPI advisories use it. */
export function pep503Name(name: string): string {
  return name.replace(/[-_.]+/g, '-').toLowerCase();
}

export const pypi: LanguageEcosystem<'pypi'> = {
  type: 'pypi',
  kind: 'language',
  osv: 'PyPI',
  osvName: pep503Name,
  compare: comparePep440,
  feeds: ['PyPI'],
  metadata: { isPath: isPythonMetadataPath, mayBeFile: baseNameTest(/^(METADATA|PKG-INFO)$|\.(egg-info|egg)$/i) },
  purl: (p) => plainPurl('pypi', pep503Name(p.name), p.version),
  nameFromPurl: nameOnly,
  analyzers: () => [pythonAnalyzer],
};
