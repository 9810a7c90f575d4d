// .NET packages: the `package` libraries of *.deps.json; NuGet's order; OSV "NuGet" (names
// compared lowercased).
import { dotnetAnalyzer } from '../analyzers/dotnet.ts';
import { isDotnetDepsPath } from '../analyzers/language-paths.ts';
import { compareNuGet } from '../versions/nuget.ts';
import { lowercaseName, baseNameTest, nameOnly, plainPurl, type LanguageEcosystem } from './ecosystem.ts';

export const nuget: LanguageEcosystem<'nuget'> = {
  type: 'nuget',
  kind: 'language',
  osv: 'NuGet',
  osvName: lowercaseName,
  compare: compareNuGet,
  feeds: ['NuGet'],
  metadata: { isPath: isDotnetDepsPath, mayBeFile: baseNameTest(/\.deps\.json$/i) },
  purl: (p) => plainPurl('nuget', p.name, p.version),
  nameFromPurl: nameOnly,
  analyzers: () => [dotnetAnalyzer],
};
