// RPM distributions (Red Hat and its rebuilds, SUSE and openSUSE, Azure Linux / CBL-Mariner): the
// rpm database, OSV data judged on the source rpm at epoch:version-release, purls as Trivy writes them.
// OSV spells the ecosystems as its importers write them (checked against published records):
//   Azure Linux "Azure Linux:3"; CBL-Mariner 2.0 is the same product line, "Azure Linux:2"
//   SUSE Linux Enterprise Micro "SUSE:Linux Enterprise Micro 5.5"; openSUSE "openSUSE:Tumbleweed"
// Amazon Linux, Fedora, CentOS and Oracle Linux publish no OSV data: recognised (purls), not matched.
import { PackageURL } from 'packageurl-js';
import { makeRpmAnalyzer } from '../analyzers/rpm.ts';
import type { OsInfo, PackageRecord } from '../types.ts';
import { compareRpm } from '../versions/rpm.ts';
import { nameOnly, type OsEcosystem } from './ecosystem.ts';

/** purl namespace per os-release ID, as Trivy writes rpm purls (pkg:rpm/redhat/bash@5.1.8-6.el9?…) */
const NAMESPACES: Record<string, string> = {
  rhel: 'redhat', centos: 'centos', rocky: 'rocky', almalinux: 'almalinux', ol: 'oracle', amzn: 'amazon',
  fedora: 'fedora', mariner: 'mariner', azurelinux: 'azurelinux', sles: 'suse', sled: 'suse', sles_sap: 'suse',
  'sle-micro': 'suse', 'opensuse-leap': 'opensuse', 'opensuse-tumbleweed': 'opensuse', opensuse: 'opensuse',
};

/** The purl namespace of an rpm on this OS: its vendor, or the os-release ID when unknown. */
export function rpmNamespace(os: OsInfo | undefined): string | undefined {
  if (!os) return undefined;
  return NAMESPACES[os.id] ?? os.id;
}

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

/** OSV ecosystems of an rpm distribution: Rocky Linux:<major>, AlmaLinux:<major>, Red Hat
 *  (enterprise_linux:<major> streams), SUSE, openSUSE Leap and Tumbleweed, SLE Micro, Azure Linux. */
function distributions(os: OsInfo): string[] | undefined {
  const v = os.versionId?.trim();
  const major = v && /^(\d+)/.exec(v)?.[1];
  switch (os.id) {
    case 'rocky': return major ? [`Rocky Linux:${major}`] : undefined;
    case 'almalinux': return major ? [`AlmaLinux:${major}`] : undefined;
    // Red Hat's OSV ecosystems name product streams: "Red Hat:enterprise_linux:9::appstream"
    case 'rhel': return major ? [`Red Hat:enterprise_linux:${major}*`] : undefined;
    case 'sles': {
      const m = v && /^(\d+)(?:\.(\d+))?/.exec(v);
      if (!m) return undefined;
      return [`SUSE:Linux Enterprise Server ${m[1]}${m[2] && m[2] !== '0' ? ` SP${m[2]}` : ''}`];
    }
    case 'opensuse-leap': return v ? [`openSUSE:Leap ${v}`] : undefined;
    case 'mariner': case 'azurelinux': return major ? [`Azure Linux:${major}`] : undefined;
    case 'sle-micro': return v ? [`SUSE:Linux Enterprise Micro ${v}`] : undefined;
    case 'opensuse-tumbleweed': return ['openSUSE:Tumbleweed'];
    default: return undefined;
  }
}

export const rpm: OsEcosystem<'rpm'> = {
  type: 'rpm',
  kind: 'os',
  compare: compareRpm,
  osvBases: ['Red Hat', 'Rocky Linux', 'AlmaLinux', 'SUSE', 'openSUSE', 'Mageia', 'Azure Linux'],
  feeds: ['Rocky Linux', 'AlmaLinux', 'Red Hat', 'SUSE', 'openSUSE'],
  distributions,
  // advisories name source rpms; a missing epoch is 0 on both sides of the comparison
  osvIdentity: (p) => ({ name: p.sourceName || p.name, version: `${p.epoch ? `${p.epoch}:` : ''}${p.version}${p.release ? `-${p.release}` : ''}` }),
  purl: rpmPurl,
  nameFromPurl: nameOnly,
  analyzers: (paths) => [makeRpmAnalyzer(paths)],
};
