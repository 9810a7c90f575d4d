// RPM distributions as an os-release names them: the purl namespace of their packages, and OSV
// ecosystems for the releases match.ts' osEcosystems does not list itself (it asks here last).
// OSV spells these as its importers write them (checked against published records):
//   Azure Linux "Azure Linux:3"; CBL-Mariner 2.0 is the same product line, "Azure Linux:2"
//   SUSE Linux Enterprise Micro "SUSE:Linux Enterprise Micro 5.5"; openSUSE "openSUSE:Tumbleweed"
// Amazon Linux, Fedora, CentOS and Oracle Linux publish no OSV data: recognised (purls), not matched.
import type { OsInfo } from '../types.ts';

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

/** OSV ecosystems of rpm distributions not covered by osEcosystems' own cases. */
export function rpmOsEcosystems(os: OsInfo): { type: 'rpm'; ecosystems: string[] } | undefined {
  const v = os.versionId?.trim();
  const major = v && /^(\d+)/.exec(v)?.[1];
  switch (os.id) {
    case 'mariner': case 'azurelinux': return major ? { type: 'rpm', ecosystems: [`Azure Linux:${major}`] } : undefined;
    case 'sle-micro': return v ? { type: 'rpm', ecosystems: [`SUSE:Linux Enterprise Micro ${v}`] } : undefined;
    case 'opensuse-tumbleweed': return { type: 'rpm', ecosystems: ['openSUSE:Tumbleweed'] };
    default: return undefined;
  }
}
