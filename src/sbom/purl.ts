import { PackageURL } from 'packageurl-js';
import type { ImageInventory, OsInfo, PackageRecord } from '../types.ts';
import { buildPurl } from '../ecosystems/index.ts';

// packageurl-js validates and encodes every part (~15 µs a purl); SBOMs of images sharing a base
// repeat the same packages thousands of times, so purls are remembered by what they are built from:
// every field of the record but where it was found (foundIn, layer), license, maintainer and osOwned
const MEMO_MAX = 50_000;
const memo = new Map<string, string>();

/** purl of a package, as its ecosystem module writes it (src/ecosystems/):
 *  pkg:deb/debian/libc6@2.36-9?arch=amd64&distro=debian-12 (as Syft and Trivy write them). */
export function packagePurl(p: PackageRecord, os: OsInfo | undefined): string {
  if (p.purl) return p.purl;
  const key = `${p.type}\0${p.name}\0${p.version}\0${p.arch ?? ''}\0${p.sourceName ?? ''}\0${p.sourceVersion ?? ''}\0${p.epoch ?? ''}\0${p.release ?? ''}\0${p.vendor ?? ''}\0${p.modularityLabel ?? ''}\0${os?.id ?? ''}\0${os?.versionId ?? ''}`;
  let purl = memo.get(key);
  if (purl === undefined) {
    if (memo.size >= MEMO_MAX) memo.clear();
    purl = buildPurl(p, os);
    memo.set(key, purl);
  }
  return purl;
}

/** purl of the image itself: pkg:oci/app@sha256:…?repository_url=registry/repo&arch=amd64 */
export function imagePurl(inv: ImageInventory, repositoryUrl: string | undefined): string {
  const name = (repositoryUrl ?? 'image').split('/').pop()!.toLowerCase();
  const qualifiers: Record<string, string> = { arch: inv.platform.architecture };
  if (inv.platform.variant) qualifiers.variant = inv.platform.variant;
  if (repositoryUrl) qualifiers.repository_url = repositoryUrl;
  return new PackageURL('oci', undefined, name, inv.manifestDigest, qualifiers, undefined).toString();
}
