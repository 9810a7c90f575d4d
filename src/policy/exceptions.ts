// Exceptions (waivers): a vulnerability id, optionally narrowed to a package, a repository or one
// image digest, with who decided, why, and until when. Expired ones stop applying by themselves:
// nothing has to delete them.
import type { Finding } from '../vulndb/types.ts';
import { globMatches } from './scope.ts';

export interface ActiveException {
  id: string;
  package?: string;
  repository?: string;
  /** only this image (OpenVEX statements about an image digest) */
  digest?: string;
  justification: string;
  owner: string;
  /** ISO date; absent = no expiry (VEX statements) */
  expires?: string;
  /** where it came from: "policy:<name>" or "openvex:<document id>" */
  source: string;
}

/** End of the expiry day: an exception "expires: 2026-12-31" still holds during that day (UTC). */
export function expiryTime(expires: string): number {
  return /^\d{4}-\d{2}-\d{2}$/.test(expires) ? Date.parse(`${expires}T23:59:59.999Z`) : Date.parse(expires);
}

export function isExpired(e: Pick<ActiveException, 'expires'>, now: Date): boolean {
  return e.expires !== undefined && expiryTime(e.expires) < now.getTime();
}

/** The exception covering this finding for this image, if any (ids compared with aliases, case-insensitive). */
export function exceptionFor(
  finding: Pick<Finding, 'id' | 'aliases' | 'package'>,
  image: { repository: string; digest: string },
  exceptions: readonly ActiveException[],
  now: Date,
): ActiveException | undefined {
  const ids = new Set([finding.id, ...finding.aliases].map((x) => x.toUpperCase()));
  for (const e of exceptions) {
    if (!ids.has(e.id.toUpperCase())) continue;
    if (e.package && e.package !== finding.package.name && e.package !== finding.package.sourceName && e.package !== finding.package.purl) continue;
    if (e.repository && !globMatches(e.repository, image.repository)) continue;
    if (e.digest && e.digest !== image.digest) continue;
    if (isExpired(e, now)) continue;
    return e;
  }
  return undefined;
}
