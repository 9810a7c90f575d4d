// .NET dependencies: `<app>.deps.json`, written by the SDK next to an application. Its `libraries`
// map is keyed "Name/Version"; only entries of type "package" (NuGet packages) are reported —
// "project" is the application itself and "reference" an assembly without a package.
import type { FoundPackage } from '../types.ts';
import { packageFileAnalyzer } from './package-file-analyzer.ts';
import { parseUntrustedJson } from '../util/json.ts';
import { isDotnetDepsPath } from './language-paths.ts';
import { metadataText, stringField } from './metadata-fields.ts';

const MAX_LIBRARIES = 100_000;

export function parseDepsJson(path: string, content: Buffer | string): FoundPackage[] {
  const doc = parseUntrustedJson<unknown>(typeof content === 'string' ? content : metadataText(content), path);
  const libs = doc && typeof doc === 'object' && !Array.isArray(doc) ? (doc as Record<string, unknown>).libraries : undefined;
  if (!libs || typeof libs !== 'object' || Array.isArray(libs)) return [];
  const out: FoundPackage[] = [];
  for (const [key, lib] of Object.entries(libs as Record<string, unknown>).slice(0, MAX_LIBRARIES)) {
    if (!lib || typeof lib !== 'object' || (lib as Record<string, unknown>).type !== 'package') continue;
    const slash = key.indexOf('/');
    if (slash <= 0 || key.indexOf('/', slash + 1) >= 0) continue;
    const name = stringField(key.slice(0, slash), 256);
    const version = stringField(key.slice(slash + 1), 128);
    if (!name || !version) continue;
    out.push({ type: 'nuget', name, version, foundIn: path });
  }
  return out;
}

export const dotnetAnalyzer = packageFileAnalyzer('dotnet', 1, isDotnetDepsPath, parseDepsJson);
