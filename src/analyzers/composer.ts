// PHP packages installed by Composer: vendor/composer/installed.json, in Composer 1's form (an array
// of packages) and Composer 2's ({"packages": [...]}). Versions are kept as written ("v1.4.0").
import type { FoundPackage } from '../types.ts';
import { packageFileAnalyzer } from './package-file-analyzer.ts';
import { parseUntrustedJson } from '../util/json.ts';
import { isComposerInstalledPath } from './language-paths.ts';
import { licenseText, metadataText, stringField } from './metadata-fields.ts';

const MAX_PACKAGES = 100_000;
// Composer package names: vendor/name, lower-case by convention (composer validates this pattern)
const NAME_RE = /^[a-z0-9]([_.-]?[a-z0-9]+)*\/[a-z0-9](([_.]|-{1,2})?[a-z0-9]+)*$/i;

export function parseComposerInstalled(path: string, content: Buffer | string): FoundPackage[] {
  const doc = parseUntrustedJson<unknown>(typeof content === 'string' ? content : metadataText(content), path);
  const list = Array.isArray(doc) ? doc : (doc && typeof doc === 'object' ? (doc as Record<string, unknown>).packages : undefined);
  if (!Array.isArray(list)) return [];
  const out: FoundPackage[] = [];
  for (const item of list.slice(0, MAX_PACKAGES)) {
    if (!item || typeof item !== 'object') continue;
    const d = item as Record<string, unknown>;
    const name = stringField(d.name, 214);
    const version = stringField(d.version, 256);
    if (!name || !version || !NAME_RE.test(name)) continue;
    const pkg: FoundPackage = { type: 'composer', name, version, foundIn: path };
    const license = licenseText(d.license); // an array means "any of these" in composer.json
    if (license) pkg.license = license;
    out.push(pkg);
  }
  return out;
}

export const composerAnalyzer = packageFileAnalyzer('composer', 1, isComposerInstalledPath, parseComposerInstalled);
