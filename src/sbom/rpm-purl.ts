import { PackageURL } from 'packageurl-js';
import type { OsInfo, PackageRecord } from '../types.ts';
import { rpmNamespace } from '../vulndb/os-ecosystems.ts';

/**
 * purl of an rpm as Trivy writes it: version-release as the version, epoch and arch as qualifiers,
 * the vendor as namespace and the source rpm as `upstream`:
 * pkg:rpm/redhat/openssl-libs@3.0.7-27.el9?arch=x86_64&epoch=1&distro=redhat-9.4&upstream=openssl-3.0.7-27.el9.src.rpm
 */
export function rpmPurl(p: PackageRecord, os: OsInfo | undefined): string {
  const namespace = rpmNamespace(os);
  const qualifiers: Record<string, string> = {};
  if (p.arch) qualifiers.arch = p.arch;
  if (p.epoch) qualifiers.epoch = String(p.epoch);
  if (namespace && os?.versionId) qualifiers.distro = `${namespace}-${os.versionId}`;
  if (p.sourceName && p.sourceVersion) qualifiers.upstream = `${p.sourceName}-${p.sourceVersion}.src.rpm`;
  const version = p.release ? `${p.version}-${p.release}` : p.version;
  return new PackageURL('rpm', namespace, p.name, version, qualifiers, undefined).toString();
}

/** The version people and scanners write for a package: rpm's [epoch:]version-release, else the
 *  version as recorded (deb and apk versions already carry their revision). */
export function packageVersion(p: PackageRecord): string {
  if (p.type !== 'rpm') return p.version;
  return `${p.epoch !== undefined ? `${p.epoch}:` : ''}${p.version}${p.release ? `-${p.release}` : ''}`;
}
