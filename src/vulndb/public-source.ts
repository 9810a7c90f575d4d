import { basename } from 'node:path';
import { safeUrl } from '../util/safe-url.ts';

// What a signed, public artifact may say about the vulnerability feeds a scan was matched against.
// The database records each source as configured: a feed URL (which may carry credentials or a
// signed query string) or the server's local import path. Neither the credentials nor the server's
// file layout belong in an attestation anyone can pull from the registry.

/** A feed URL without credentials or query string; a local import as `local:<file name>`. */
export function publicSourceName(source: string): string {
  if (/^https?:\/\//i.test(source)) return safeUrl(source);
  const name = basename(source.replace(/[\\/]+$/, ''));
  return `local:${name || 'import'}`;
}
