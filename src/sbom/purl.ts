import { PackageURL } from 'packageurl-js';
import type { ImageInventory, OsInfo, PackageRecord } from '../types.ts';

/** purl of an OS package: pkg:deb/debian/libc6@2.36-9?arch=amd64&distro=debian-12 (as Syft and Trivy write them). */
export function packagePurl(p: PackageRecord, os: OsInfo | undefined): string {
  const namespace = os?.id ?? (p.type === 'apk' ? 'alpine' : 'debian');
  const qualifiers: Record<string, string> = {};
  if (p.arch) qualifiers.arch = p.arch;
  if (os?.versionId) qualifiers.distro = `${os.id}-${os.versionId}`;
  if (p.sourceName && p.sourceName !== p.name) {
    qualifiers.upstream = p.sourceVersion && p.sourceVersion !== p.version ? `${p.sourceName}@${p.sourceVersion}` : p.sourceName;
  }
  return new PackageURL(p.type, namespace, p.name, p.version, qualifiers, undefined).toString();
}

/** purl of the image itself: pkg:oci/app@sha256:…?repository_url=registry/repo&arch=amd64 */
export function imagePurl(inv: ImageInventory, repositoryUrl: string | undefined): string {
  const name = (repositoryUrl ?? 'image').split('/').pop()!.toLowerCase();
  const qualifiers: Record<string, string> = { arch: inv.platform.architecture };
  if (inv.platform.variant) qualifiers.variant = inv.platform.variant;
  if (repositoryUrl) qualifiers.repository_url = repositoryUrl;
  return new PackageURL('oci', undefined, name, inv.manifestDigest, qualifiers, undefined).toString();
}
