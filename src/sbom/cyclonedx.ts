import { randomUUID } from 'node:crypto';
import type { ImageInventory, PackageRecord } from '../types.ts';
import { formatPlatform } from '../image/manifest.ts';
import { cycloneDxLicenses } from '../licenses/spdx.ts';
import { imagePurl, packagePurl } from './purl.ts';
import { packageVersion } from './package-version.ts';
import { repositoryUrl, subjectName, type SbomSubject } from './subject.ts';

/**
 * CycloneDX 1.6 JSON. One container component per platform image; its packages are nested
 * components and listed as its dependencies. Layer of origin and source package go in properties
 * (namespaced "customs:"), as the spec suggests for tool-specific data.
 */
export function toCycloneDx(s: SbomSubject): object {
  const repoUrl = repositoryUrl(s.ref);
  const images = s.inventories.map((inv) => imageComponent(inv, repoUrl, s));
  const single = images.length === 1;
  const rootRef = single ? images[0]!.component['bom-ref'] : `image:${s.inventories[0]!.rootDigest}`;
  const root = single ? images[0]!.component : {
    type: 'container', 'bom-ref': rootRef, name: subjectName(s.ref), version: s.inventories[0]!.rootDigest,
    hashes: [hash(s.inventories[0]!.rootDigest)],
  };
  return {
    $schema: 'http://cyclonedx.org/schema/bom-1.6.schema.json',
    bomFormat: 'CycloneDX',
    specVersion: '1.6',
    serialNumber: `urn:uuid:${randomUUID()}`,
    version: 1,
    metadata: {
      timestamp: s.timestamp,
      tools: { components: [{ type: 'application', name: 'customs', version: s.toolVersion }] },
      component: root,
    },
    components: single ? images[0]!.children : images.map((i) => ({ ...i.component, components: i.children })),
    dependencies: [
      ...(single ? [] : [{ ref: rootRef, dependsOn: images.map((i) => i.component['bom-ref']) }]),
      ...images.map((i) => ({ ref: i.component['bom-ref'], dependsOn: i.children.map((c) => c['bom-ref']) })),
      ...images.flatMap((i) => i.children.map((c) => ({ ref: c['bom-ref'], dependsOn: [] as string[] }))),
    ],
  };
}

function hash(digest: string) {
  const [alg, hex] = digest.split(':');
  return { alg: alg === 'sha512' ? 'SHA-512' : 'SHA-256', content: hex };
}

function imageComponent(inv: ImageInventory, repoUrl: string | undefined, s: SbomSubject) {
  const purl = imagePurl(inv, repoUrl);
  const component = {
    type: 'container', 'bom-ref': purl, name: subjectName(s.ref), version: inv.manifestDigest, purl,
    hashes: [hash(inv.manifestDigest)],
    properties: [
      { name: 'customs:image:platform', value: formatPlatform(inv.platform) },
      { name: 'customs:image:config', value: inv.configDigest },
      ...inv.layers.map((l, i) => ({ name: `customs:image:layer:${i}`, value: l.digest })),
    ],
  };
  const children: any[] = [];
  if (inv.os) {
    children.push({
      type: 'operating-system', 'bom-ref': `os:${inv.manifestDigest}:${inv.os.id}`, name: inv.os.id,
      version: inv.os.versionId ?? '', description: inv.os.prettyName,
      properties: [{ name: 'customs:foundIn', value: inv.os.foundIn }, ...(inv.os.layer ? [{ name: 'customs:layer:digest', value: inv.os.layer }] : [])],
    });
  }
  const seen = new Set<string>();
  for (const p of inv.packages) {
    const purl = packagePurl(p, inv.os);
    let ref = `${purl}#${inv.manifestDigest}`;
    for (let n = 1; seen.has(ref); n++) ref = `${purl}#${inv.manifestDigest}:${n}`;
    seen.add(ref);
    children.push({
      type: 'library', 'bom-ref': ref, name: p.name, version: packageVersion(p), purl,
      ...(p.maintainer ? { supplier: { name: p.maintainer } } : p.vendor ? { supplier: { name: p.vendor } } : {}),
      // declared licenses as SPDX ids/expressions when they map faithfully, else as free-text names
      ...(p.license ? { licenses: cycloneDxLicenses(p.license) } : {}),
      properties: packageProperties(p),
    });
  }
  return { component, children };
}

export function packageProperties(p: PackageRecord): { name: string; value: string }[] {
  const props = [{ name: 'customs:package:type', value: p.type }, { name: 'customs:foundIn', value: p.foundIn }];
  if (p.layer) props.push({ name: 'customs:layer:digest', value: p.layer });
  if (p.layerIndex !== undefined) props.push({ name: 'customs:layer:index', value: String(p.layerIndex) });
  if (p.sourceName) props.push({ name: 'customs:package:source', value: p.sourceName });
  if (p.sourceVersion) props.push({ name: 'customs:package:sourceVersion', value: p.sourceVersion });
  if (p.osOwned) props.push({ name: 'customs:package:osOwned', value: 'true' }); // installed by an OS package: judged by its distro
  if (p.epoch !== undefined) props.push({ name: 'customs:rpm:epoch', value: String(p.epoch) });
  if (p.release) props.push({ name: 'customs:rpm:release', value: p.release });
  if (p.modularityLabel) props.push({ name: 'customs:rpm:modularityLabel', value: p.modularityLabel });
  return props;
}
