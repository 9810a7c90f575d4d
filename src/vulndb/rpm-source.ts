// The version an rpm is compared at when an advisory names its SOURCE package. AlmaLinux, Rocky,
// Red Hat and SUSE records list binary packages, so most rpms are judged by their own name and
// epoch:version-release; an advisory that names only the source rpm (perl for perl-Errno) must be
// compared with the source's version: perl-Errno 0:1.28-416.el8 is built from perl
// 4:5.26.3-416.el8, and its own version says nothing about perl's fixed 4:5.26.3-420.el8.
import type { PackageRecord } from '../types.ts';
import type { OsvAffected } from './osv.ts';

const evr = (epoch: number | undefined, vr: string) => `${epoch ? `${epoch}:` : ''}${vr}`;
const ownVr = (p: PackageRecord) => `${p.version}${p.release ? `-${p.release}` : ''}`;

/** The epoch written on an entry's versions ("4:5.26.3-420.el8" → 4), if any. */
function entryEpoch(aff: OsvAffected): number | undefined {
  for (const r of aff.ranges ?? []) {
    for (const e of r.events) {
      const m = /^(\d+):/.exec(e.fixed ?? e.last_affected ?? e.introduced ?? '');
      if (m) return Number(m[1]);
    }
  }
  return undefined;
}

/**
 * A function giving, per affected entry, the source rpm's epoch:version-release. The source rpm's
 * file name carries no epoch, so it is taken, in order, from: an installed binary of that source
 * at the source's version-release (perl or perl-libs 4:5.26.3-416.el8 beside perl-Errno); this binary when it shares the
 * source's version-release (openssl-libs of openssl); else the entry's own versions — the epoch is
 * then unknown and must not decide the comparison (a missing epoch would read as 0 and make every
 * fix of an epoch-4 package look newer).
 */
export function sourceVersionOf(p: PackageRecord, installed: ReadonlyMap<string, PackageRecord[]>): (aff: OsvAffected) => string {
  const vr = p.sourceVersion || ownVr(p);
  if (ownVr(p) === vr) return () => evr(p.epoch, vr);
  const twin = [...(installed.get(p.sourceName ?? '') ?? []), ...(installed.get(`\0src:${p.sourceName}`) ?? [])].find((q) => ownVr(q) === vr);
  if (twin) return () => evr(twin.epoch, vr);
  return (aff) => evr(entryEpoch(aff), vr);
}

/** Installed rpms by name and by source rpm name (keyed "\0src:<name>"), for sourceVersionOf. */
export function rpmsByName(packages: readonly PackageRecord[]): Map<string, PackageRecord[]> {
  const m = new Map<string, PackageRecord[]>();
  const add = (k: string, p: PackageRecord) => { const l = m.get(k); if (l) l.push(p); else m.set(k, [p]); };
  for (const p of packages) {
    if (p.type !== 'rpm') continue;
    add(p.name, p);
    if (p.sourceName) add(`\0src:${p.sourceName}`, p);
  }
  return m;
}
