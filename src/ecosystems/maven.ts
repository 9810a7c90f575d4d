// Java archives (jar, war, ear, par and the archives inside them): pom.properties and manifests;
// Maven's order; OSV "Maven"; names "group:artifact".
import { isJavaArchivePath } from '../analyzers/language-paths.ts';
import { javaArchiveAnalyzer } from '../analyzers/java-archive.ts';
import { compareMaven } from '../versions/maven.ts';
import { baseNameTest, pathPurl, type LanguageEcosystem } from './ecosystem.ts';

export const maven: LanguageEcosystem<'maven'> = {
  type: 'maven',
  kind: 'language',
  osv: 'Maven',
  compare: compareMaven,
  feeds: ['Maven'],
  metadata: { isPath: isJavaArchivePath, mayBeFile: baseNameTest(/\.(jar|war|ear|par)$/i) },
  // a maven purl needs a group; an archive named only by its file gets its artifact as group (as Syft does)
  purl: (p) => pathPurl('maven', p.name.includes(':') ? p.name.replace(':', '/') : `${p.name}/${p.name}`, p.version),
  nameFromPurl: (namespace, name) => (namespace ? `${namespace}:${name}` : name),
  analyzers: () => [javaArchiveAnalyzer],
};
