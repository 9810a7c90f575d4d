import { randomUUID } from 'node:crypto';
import type { ImageInventory } from '../types.ts';
import { formatPlatform } from '../image/manifest.ts';
import { licenseRefs, toSpdxExpression } from '../licenses/spdx.ts';
import { imagePurl, packagePurl } from './purl.ts';
import { packageVersion } from './package-version.ts';
import { repositoryUrl, subjectName, type SbomSubject } from './subject.ts';

/** SPDX 2.3 JSON: the document DESCRIBES each platform image, which CONTAINS its packages. */
export function toSpdx(s: SbomSubject): object {
  const repoUrl = repositoryUrl(s.ref);
  const name = subjectName(s.ref);
  const packages: any[] = [];
  const relationships: any[] = [];
  const ids = new Set<string>();
  const spdxId = (raw: string) => {
    const base = `SPDXRef-${raw.replace(/[^A-Za-z0-9.-]+/g, '-')}`.slice(0, 200);
    let id = base;
    for (let n = 2; ids.has(id); n++) id = `${base}-${n}`;
    ids.add(id);
    return id;
  };
  const refs = new Set<string>();
  const declared = (text: string | undefined) => {
    const expr = toSpdxExpression(text);
    if (!expr) return 'NOASSERTION';
    for (const r of licenseRefs(expr)) refs.add(r);
    return expr;
  };
  for (const inv of s.inventories) {
    const imageId = spdxId(`image-${formatPlatform(inv.platform)}-${inv.manifestDigest.slice(7, 19)}`);
    packages.push({
      SPDXID: imageId, name, versionInfo: inv.manifestDigest, downloadLocation: 'NOASSERTION', filesAnalyzed: false,
      primaryPackagePurpose: 'CONTAINER', licenseConcluded: 'NOASSERTION', licenseDeclared: 'NOASSERTION', copyrightText: 'NOASSERTION',
      checksums: [checksum(inv.manifestDigest)],
      externalRefs: [{ referenceCategory: 'PACKAGE-MANAGER', referenceType: 'purl', referenceLocator: imagePurl(inv, repoUrl) }],
      comment: `platform ${formatPlatform(inv.platform)}; layers ${inv.layers.map((l) => l.digest).join(', ')}`,
    });
    relationships.push({ spdxElementId: 'SPDXRef-DOCUMENT', relationshipType: 'DESCRIBES', relatedSpdxElement: imageId });
    if (inv.os) {
      const osId = spdxId(`os-${inv.os.id}-${inv.os.versionId ?? ''}-${inv.manifestDigest.slice(7, 19)}`);
      packages.push({
        SPDXID: osId, name: inv.os.id, versionInfo: inv.os.versionId ?? 'NOASSERTION', downloadLocation: 'NOASSERTION', filesAnalyzed: false,
        primaryPackagePurpose: 'OPERATING_SYSTEM', licenseConcluded: 'NOASSERTION', licenseDeclared: 'NOASSERTION', copyrightText: 'NOASSERTION',
        ...(inv.os.prettyName ? { description: inv.os.prettyName } : {}),
        sourceInfo: origin(inv.os.foundIn, inv.os.layer),
      });
      relationships.push({ spdxElementId: imageId, relationshipType: 'CONTAINS', relatedSpdxElement: osId });
    }
    for (const p of inv.packages) {
      const id = spdxId(`${p.type}-${p.name}-${packageVersion(p)}-${p.arch ?? ''}-${inv.manifestDigest.slice(7, 19)}`);
      packages.push({
        SPDXID: id, name: p.name, versionInfo: packageVersion(p), downloadLocation: 'NOASSERTION', filesAnalyzed: false,
        primaryPackagePurpose: 'LIBRARY', licenseConcluded: 'NOASSERTION',
        // the declared license as an SPDX expression when it maps faithfully; the text stays in the comment
        licenseDeclared: declared(p.license), copyrightText: 'NOASSERTION',
        ...(p.license ? { licenseComments: `declared by the package database: ${p.license}` } : {}),
        ...(p.maintainer ? { supplier: `Person: ${p.maintainer.replace(/[\r\n]/g, ' ')}` } : {}),
        ...(!p.maintainer && p.vendor ? { supplier: `Organization: ${p.vendor.replace(/[\r\n]/g, ' ')}` } : {}),
        externalRefs: [{ referenceCategory: 'PACKAGE-MANAGER', referenceType: 'purl', referenceLocator: packagePurl(p, inv.os) }],
        sourceInfo: origin(p.foundIn, p.layer) + (p.sourceName ? `; source package ${p.sourceName} ${p.sourceVersion ?? p.version}` : '') + (p.osOwned ? '; installed by an OS package' : ''),
      });
      relationships.push({ spdxElementId: imageId, relationshipType: 'CONTAINS', relatedSpdxElement: id });
    }
  }
  return {
    spdxVersion: 'SPDX-2.3',
    dataLicense: 'CC0-1.0',
    SPDXID: 'SPDXRef-DOCUMENT',
    name,
    documentNamespace: `https://customs.invalid/spdx/${encodeURIComponent(name)}-${randomUUID()}`,
    creationInfo: { created: s.timestamp.replace(/\.\d+Z$/, 'Z'), creators: [`Tool: customs-${s.toolVersion}`] },
    documentDescribes: relationships.filter((r) => r.relationshipType === 'DESCRIBES').map((r) => r.relatedSpdxElement),
    packages,
    relationships,
    ...(refs.size ? { hasExtractedLicensingInfos: [...refs].map((id) => ({ licenseId: id, name: id.slice('LicenseRef-'.length), extractedText: `declared by package metadata as "${id.slice('LicenseRef-'.length)}"` })) } : {}),
  };
}

function checksum(digest: string) {
  const [alg, hex] = digest.split(':');
  return { algorithm: alg === 'sha512' ? 'SHA512' : 'SHA256', checksumValue: hex };
}

function origin(foundIn: string, layer: string | undefined): string {
  return `found in ${foundIn}${layer ? ` (layer ${layer})` : ''}`;
}

