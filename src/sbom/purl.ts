import { PackageURL } from 'packageurl-js';
import type { ImageInventory, OsInfo, PackageRecord } from '../types.ts';
import { pep503Name } from '../util/pep503.ts';
import { rpmPurl } from './rpm-purl.ts';

// packageurl-js validates and encodes every part (~15 µs a purl); SBOMs of images sharing a base
// repeat the same packages thousands of times, so purls are remembered by what they are built from
const MEMO_MAX = 50_000;
const memo = new Map<string, string>();

/** purl of an OS package: pkg:deb/debian/libc6@2.36-9?arch=amd64&distro=debian-12 (as Syft and Trivy write them). */
export function packagePurl(p: PackageRecord, os: OsInfo | undefined): string {
  if (p.purl) return p.purl;
  if (p.type === 'rpm') return rpmPurl(p, os); // built from more fields (epoch, release, vendor): not memoised
  const key = `${p.type}\0${p.name}\0${p.version}\0${p.arch ?? ''}\0${p.sourceName ?? ''}\0${p.sourceVersion ?? ''}\0${os?.id ?? ''}\0${os?.versionId ?? ''}`;
  let purl = memo.get(key);
  if (purl === undefined) {
    if (memo.size >= MEMO_MAX) memo.clear();
    purl = buildPurl(p, os);
    memo.set(key, purl);
  }
  return purl;
}

function buildPurl(p: PackageRecord, os: OsInfo | undefined): string {
  switch (p.type) {
    case 'npm': case 'composer': return scopedPurl(p.type, p.name, p.version);
    case 'pypi': return new PackageURL('pypi', undefined, pep503Name(p.name), p.version, undefined, undefined).toString();
    case 'gem': case 'nuget': return new PackageURL(p.type, undefined, p.name, p.version, undefined, undefined).toString();
    case 'rpm': return rpmPurl(p, os);
    case 'golang': return pathPurl('golang', p.name, p.version === '(devel)' ? undefined : p.version);
    case 'cargo': return new PackageURL('cargo', undefined, p.name, p.version, undefined, undefined).toString();
    // a maven purl needs a group; an archive named only by its file gets its artifact as group (as Syft does)
    case 'maven': return pathPurl('maven', p.name.includes(':') ? p.name.replace(':', '/') : `${p.name}/${p.name}`, p.version);
    default: break;
  }
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

/** npm "@scope/name" and composer "vendor/name": the part before "/" is the purl namespace. */
function scopedPurl(type: 'npm' | 'composer', fullName: string, version: string): string {
  const i = fullName.indexOf('/');
  const [ns, name] = i > 0 ? [fullName.slice(0, i), fullName.slice(i + 1)] : [undefined, fullName];
  return new PackageURL(type, ns, name, version, undefined, undefined).toString();
}

/** Go module paths and Maven group/artifact: everything before the last "/" is the namespace
 *  (pkg:golang/github.com/google/uuid@v1.3.0, pkg:maven/org.apache.commons/commons-lang3@3.12.0). */
function pathPurl(type: 'golang' | 'maven', path: string, version: string | undefined): string {
  const i = path.lastIndexOf('/');
  const [ns, name] = i > 0 ? [path.slice(0, i), path.slice(i + 1)] : [undefined, path];
  return new PackageURL(type, ns, name, version, undefined, undefined).toString();
}
