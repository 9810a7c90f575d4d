// Alpine, Wolfi and Chainguard packages (apk): the installed database, OSV data judged on the origin.
import { apkAnalyzer } from '../analyzers/apk.ts';
import { compareApk } from '../versions/apk.ts';
import { distroPurl, nameOnly, type OsEcosystem } from './ecosystem.ts';

export const apk: OsEcosystem<'apk'> = {
  type: 'apk',
  kind: 'os',
  compare: compareApk,
  osvBases: ['Alpine', 'Wolfi', 'Chainguard'],
  feeds: ['Alpine', 'Wolfi', 'Chainguard'],
  distributions(os) {
    const v = os.versionId?.trim();
    switch (os.id) {
      case 'alpine': {
        const mm = v && /^(\d+\.\d+)/.exec(v)?.[1];
        return mm ? [`Alpine:v${mm}`] : undefined;
      }
      case 'wolfi': return ['Wolfi'];
      case 'chainguard': return ['Chainguard'];
      default: return undefined;
    }
  },
  osvIdentity: (p) => ({ name: p.sourceName || p.name, version: p.version }),
  purl: (p, os) => distroPurl(p, os, 'alpine'),
  nameFromPurl: nameOnly,
  // purls of type alpm are read as apk packages
  purlAliases: ['alpm'],
  analyzers: () => [apkAnalyzer],
};
