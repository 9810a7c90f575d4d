// Debian and Ubuntu packages (dpkg): the status database, the file lists that own language
// packages, Debian/Ubuntu OSV data judged on the source package.
import { dpkgAnalyzer } from '../analyzers/dpkg.ts';
import { makeDpkgFilesAnalyzer } from '../analyzers/dpkg-files.ts';
import { compareDpkg } from '../versions/dpkg.ts';
import { distroPurl, nameOnly, type OsEcosystem } from './ecosystem.ts';

export const deb: OsEcosystem<'deb'> = {
  type: 'deb',
  kind: 'os',
  compare: compareDpkg,
  osvBases: ['Debian', 'Ubuntu'],
  feeds: ['Debian', 'Ubuntu'],
  distributions(os) {
    const v = os.versionId?.trim();
    const major = v && /^(\d+)/.exec(v)?.[1];
    if (os.id === 'debian') return major ? [`Debian:${major}`] : undefined;
    if (os.id === 'ubuntu') return v && /^\d+\.\d+$/.test(v) ? [`Ubuntu:${v}:LTS`, `Ubuntu:${v}`] : undefined;
    return undefined;
  },
  osvIdentity: (p) => ({ name: p.sourceName || p.name, version: p.sourceVersion || p.version }),
  purl: (p, os) => distroPurl(p, os, 'debian'),
  nameFromPurl: nameOnly,
  analyzers: (paths) => [dpkgAnalyzer, makeDpkgFilesAnalyzer(paths)],
};
