// npm packages installed in node_modules (project-local and global, nested and scoped): one package
// per package root's package.json. Lockfiles are noted as facts (no content read).
import type { FoundPackage } from '../types.ts';
import { packageFileAnalyzer } from './package-file-analyzer.ts';
import { parseUntrustedJson } from '../util/json.ts';
import { isNpmLockfile, isNpmPackageJson } from './language-paths.ts';
import { basename } from '../util/paths.ts';
import { licenseText, metadataText, stringField } from './metadata-fields.ts';

/** package.json of an installed package → its record, or null when it has no usable name + version. */
export function parseNpmPackageJson(path: string, content: Buffer | string): FoundPackage | null {
  const doc = parseUntrustedJson<unknown>(typeof content === 'string' ? content : metadataText(content), path);
  if (!doc || typeof doc !== 'object' || Array.isArray(doc)) return null;
  const d = doc as Record<string, unknown>;
  const name = stringField(d.name, 214);
  const version = stringField(d.version, 256);
  if (!name || !version) return null;
  const pkg: FoundPackage = { type: 'npm', name, version, foundIn: path };
  // SPDX string (current), {type} object or licenses[] (old package.json forms)
  const license = licenseText(d.license) ?? licenseText(d.licenses);
  if (license) pkg.license = license;
  return pkg;
}

export const npmAnalyzer = packageFileAnalyzer('npm', 1, isNpmPackageJson, parseNpmPackageJson, {
  inspect(entry) {
    if (entry.type !== 'file' || !isNpmLockfile(entry.path)) return null;
    const hidden = basename(entry.path) === '.package-lock.json';
    return { facts: [{ id: 'npm-lockfile', detail: hidden ? 'hidden lockfile (node_modules/.package-lock.json)' : 'package-lock.json' }] };
  },
});
