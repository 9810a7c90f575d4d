import { realpathSync } from 'node:fs';
import { resolve } from 'node:path';
import { safeUrl } from '../util/safe-url.ts';

/**
 * The name a source is kept under: a feed URL without credentials or query string (they never reach
 * the database or `db status`), a local path made absolute with symlinks resolved, so importing the
 * same directory again from another working directory replaces it rather than adding a copy.
 */
export function sourceName(source: string): string {
  if (/^https?:\/\//i.test(source)) return safeUrl(source);
  const abs = resolve(source);
  try { return realpathSync(abs); } catch { return abs; }
}
