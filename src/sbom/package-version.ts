import type { PackageRecord } from '../types.ts';

/** The version people and scanners write for a package: rpm's [epoch:]version-release, else the
 *  version as recorded (deb and apk versions already carry their revision). */
export function packageVersion(p: PackageRecord): string {
  if (p.type !== 'rpm') return p.version;
  return `${p.epoch !== undefined ? `${p.epoch}:` : ''}${p.version}${p.release ? `-${p.release}` : ''}`;
}
