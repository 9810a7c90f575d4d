// SemVer 2.0.0 precedence for npm and crates.io, delegated to npm's own `semver` package
// (node-semver, the reference implementation for npm). Parsing is loose as in npm (a leading
// "v" or "=", surrounding spaces); build metadata is ignored. Invalid versions throw
// CustomsError('usage').
import { createRequire } from 'node:module';
import { CustomsError } from '../errors.ts';

interface SemVerObject { compare(other: SemVerObject): -1 | 0 | 1 }
interface SemverApi { parse(v: string, opts: { loose: boolean }): SemVerObject | null }
const semver = createRequire(import.meta.url)('semver') as SemverApi;

export function compareSemver(a: string, b: string): -1 | 0 | 1 {
  const pa = semver.parse(a, { loose: true });
  const pb = semver.parse(b, { loose: true });
  if (!pa) throw new CustomsError('usage', `invalid semantic version '${a}'`);
  if (!pb) throw new CustomsError('usage', `invalid semantic version '${b}'`);
  return pa.compare(pb);
}
