// sbom:FILE — an SBOM as scan input: CycloneDX (1.2–1.6 JSON) or SPDX (2.2/2.3 JSON), from Customs,
// Trivy, Syft or any tool that writes package URLs. Each package with a purl becomes a package
// record; the distribution comes from an operating-system component/package or the purls'
// `distro` qualifier; source packages from `upstream` (and Customs' / Trivy's properties). The
// result is an inventory like an image's, so matching, coverage and every output work unchanged.
import { readFile, stat } from 'node:fs/promises';
import { PackageURL } from 'packageurl-js';
import type { Limits } from '../config/schema.ts';
import { CustomsError } from '../errors.ts';
import { parsePlatform } from '../image/manifest.ts';
import { ecosystemOf, isOsType, packageTypeOfPurl } from '../ecosystems/index.ts';
import type { ImageInventory, OsInfo, PackageRecord, Platform } from '../types.ts';
import { parseUntrustedJson } from '../util/json.ts';

// the purl namespace of an rpm is the vendor; os-release ids differ for some
const RPM_VENDOR_OS: Record<string, string> = { redhat: 'rhel', centos: 'centos', almalinux: 'almalinux', rocky: 'rocky', fedora: 'fedora', amazon: 'amzn', oracle: 'ol', opensuse: 'opensuse-leap', suse: 'sles' };
const MAX_COMPONENTS = 1_000_000;

interface Props { get(name: string): string | undefined }

export async function readSbomFile(path: string, limits: Limits): Promise<ImageInventory[]> {
  let size: number;
  try {
    size = (await stat(path)).size;
  } catch (e: any) {
    throw new CustomsError(e.code === 'ENOENT' ? 'not-found' : 'usage', `sbom:${path}: ${e.code === 'ENOENT' ? 'no such file' : e.message}`);
  }
  if (size > limits.maxFileBytes) throw new CustomsError('limit', `sbom:${path}: ${size} bytes is over limits.maxFileBytes (${limits.maxFileBytes})`);
  const doc = parseUntrustedJson<any>(await readFile(path), `sbom:${path}`, limits.maxJsonDepth);
  return sbomInventories(doc, `sbom:${path}`);
}

/** Inventories of a parsed SBOM document (one per platform image a CycloneDX document nests). */
export function sbomInventories(doc: any, source: string): ImageInventory[] {
  if (doc?.bomFormat === 'CycloneDX') return cycloneDx(doc, source);
  if (typeof doc?.spdxVersion === 'string') return spdx(doc, source);
  throw new CustomsError('unsupported', `${source}: not a CycloneDX or SPDX JSON document (no bomFormat "CycloneDX" or spdxVersion)`);
}

function cycloneDx(doc: any, source: string): ImageInventory[] {
  const top: any[] = Array.isArray(doc.components) ? doc.components : [];
  const containers = top.filter((c) => c?.type === 'container' && Array.isArray(c.components));
  // a multi-platform Customs SBOM nests each platform's packages in its container component
  const groups = containers.length ? containers.map((c) => ({ subject: c, components: flatten(c.components) }))
    : [{ subject: doc.metadata?.component, components: flatten(top) }];
  return groups.map(({ subject, components }) => {
    let os: OsInfo | undefined;
    const packages: PackageRecord[] = [];
    for (const c of components) {
      if (c?.type === 'operating-system' && typeof c.name === 'string') {
        os ??= osInfo(c.name, c.version, c.description, `${source} (operating-system component)`);
        continue;
      }
      const p = typeof c?.purl === 'string' ? fromPurl(c.purl, cdxProps(c.properties), source, c.licenses) : undefined;
      if (p) packages.push(p);
    }
    const props = cdxProps(subject?.properties);
    return inventory(source, packages, os ?? osFromPurls(packages, source), platformOf(props.get('customs:image:platform')), subject?.version);
  });
}

function spdx(doc: any, source: string): ImageInventory[] {
  const pkgs: any[] = Array.isArray(doc.packages) ? doc.packages : [];
  if (pkgs.length > MAX_COMPONENTS) throw new CustomsError('limit', `${source}: more than ${MAX_COMPONENTS} packages`);
  let os: OsInfo | undefined;
  const packages: PackageRecord[] = [];
  for (const p of pkgs) {
    // SPDX 2.3 says OPERATING_SYSTEM; Trivy's SPDX 2.2 marks the OS by its SPDXID
    const isOs = p?.primaryPackagePurpose === 'OPERATING_SYSTEM' || (typeof p?.SPDXID === 'string' && p.SPDXID.startsWith('SPDXRef-OperatingSystem-'));
    if (isOs && typeof p.name === 'string') {
      os ??= osInfo(p.name, p.versionInfo, p.description, `${source} (OPERATING_SYSTEM package)`);
      continue;
    }
    const refs: any[] = Array.isArray(p?.externalRefs) ? p.externalRefs : [];
    const purl = refs.find((r) => r?.referenceType === 'purl' && typeof r.referenceLocator === 'string')?.referenceLocator;
    const license = typeof p?.licenseDeclared === 'string' && !/^NO(ASSERTION|NE)$/.test(p.licenseDeclared) ? p.licenseDeclared : undefined;
    const rec = purl ? fromPurl(purl, cdxProps([]), source, undefined, license) : undefined;
    if (rec) packages.push(rec);
  }
  return [inventory(source, packages, os ?? osFromPurls(packages, source), undefined, undefined)];
}

/** Components and their nested components (bounded: a document cannot make this loop forever). */
function flatten(list: any[]): any[] {
  const out: any[] = [];
  const stack = [...list];
  while (stack.length) {
    const c = stack.pop();
    if (out.length >= MAX_COMPONENTS) throw new CustomsError('limit', `more than ${MAX_COMPONENTS} components`);
    out.push(c);
    if (Array.isArray(c?.components) && c.type !== 'container') stack.push(...c.components);
  }
  return out.reverse();
}

function cdxProps(list: unknown): Props {
  const m = new Map<string, string>();
  if (Array.isArray(list)) for (const p of list) if (typeof p?.name === 'string' && typeof p.value === 'string' && !m.has(p.name)) m.set(p.name, p.value);
  return { get: (n) => m.get(n) };
}

function inventory(source: string, packages: PackageRecord[], os: OsInfo | undefined, platform: Platform | undefined, digest: unknown): ImageInventory {
  const id = typeof digest === 'string' && /^sha(256|512):[a-f0-9]+$/.test(digest) ? digest : '';
  return {
    source, rootDigest: id, manifestDigest: id, configDigest: '', config: {}, layers: [],
    platform: platform ?? { os: 'linux', architecture: 'unknown' },
    ...(os ? { os } : {}),
    packages, warnings: [],
  };
}

function platformOf(text: string | undefined): Platform | undefined {
  if (!text) return undefined;
  try { return parsePlatform(text); } catch { return undefined; }
}

function osInfo(name: string, version: unknown, description: unknown, foundIn: string): OsInfo {
  const id = name.trim().toLowerCase();
  return {
    id, ...(typeof version === 'string' && version && version !== 'NOASSERTION' ? { versionId: version } : {}),
    ...(typeof description === 'string' ? { prettyName: description } : {}), foundIn,
  };
}

/** The distribution named by the OS packages' purls (distro=debian-12, distro=alpine-3.18.4, distro=redhat-9.4). */
function osFromPurls(packages: PackageRecord[], source: string): OsInfo | undefined {
  for (const p of packages) {
    if (!isOsType(p.type) || !p.purl) continue;
    let purl: PackageURL;
    try { purl = PackageURL.fromString(p.purl); } catch { continue; }
    const distro = (purl.qualifiers as Record<string, string> | undefined)?.distro;
    // "debian-12", "redhat-9.4"; Trivy writes the version alone ("3.16.0") and the namespace names the distribution
    const m = distro ? /^([a-z][a-z0-9._-]*?)-(\d[\w.]*)$/.exec(distro) ?? (/^\d[\w.]*$/.test(distro) && purl.namespace ? [distro, purl.namespace, distro] : null) : null;
    if (!m) continue;
    const id = p.type === 'rpm' ? RPM_VENDOR_OS[m[1]!] ?? m[1]! : m[1]!;
    return { id, versionId: m[2]!, foundIn: `${source} (distro qualifier of ${p.name})` };
  }
  return undefined;
}

/** A package record from a purl; undefined for purl types Customs does not match (oci, generic, github...). */
function fromPurl(text: string, props: Props, source: string, cdxLicenses?: unknown, spdxLicense?: string): PackageRecord | undefined {
  let purl: PackageURL;
  try { purl = PackageURL.fromString(text); } catch { return undefined; }
  const type = packageTypeOfPurl(purl.type);
  if (!type || !purl.version) return undefined;
  const q = (purl.qualifiers ?? {}) as Record<string, string>;
  const ns = purl.namespace ?? undefined;
  const name = ecosystemOf(type)!.nameFromPurl(ns, purl.name);
  const rec: PackageRecord = {
    type, name, version: purl.version, purl: text,
    foundIn: absolute(props.get('customs:foundIn') ?? props.get('aquasecurity:trivy:FilePath')) ?? source,
  };
  if (q.arch) rec.arch = q.arch;
  const license = spdxLicense ?? cdxLicense(cdxLicenses);
  if (license) rec.license = license;
  if (type === 'rpm') rpmFields(rec, q, props);
  else if (type === 'deb' || type === 'apk') {
    const [srcName, srcVersion] = splitUpstream(q.upstream);
    const sourceName = props.get('customs:package:source') ?? props.get('aquasecurity:trivy:SrcName') ?? srcName;
    const sourceVersion = props.get('customs:package:sourceVersion') ?? props.get('aquasecurity:trivy:SrcVersion') ?? srcVersion;
    if (sourceName) rec.sourceName = sourceName;
    if (sourceVersion) rec.sourceVersion = sourceVersion;
  }
  if (props.get('customs:package:osOwned') === 'true') rec.osOwned = true;
  const layerIndex = Number(props.get('customs:layer:index'));
  if (Number.isInteger(layerIndex) && layerIndex >= 0) rec.layerIndex = layerIndex;
  const layer = props.get('customs:layer:digest') ?? props.get('aquasecurity:trivy:LayerDigest');
  if (layer) rec.layer = layer;
  return rec;
}

/** deb/apk `upstream` qualifier: "openssl" or "openssl@3.0.9-1". */
function splitUpstream(u: string | undefined): [string | undefined, string | undefined] {
  if (!u) return [undefined, undefined];
  const at = u.indexOf('@');
  return at > 0 ? [u.slice(0, at), u.slice(at + 1)] : [u, undefined];
}

/** rpm purls carry version-release and the epoch qualifier; upstream is the source rpm file name. */
function rpmFields(rec: PackageRecord, q: Record<string, string>, props: Props): void {
  const dash = rec.version.lastIndexOf('-');
  if (dash > 0) { rec.release = rec.version.slice(dash + 1); rec.version = rec.version.slice(0, dash); }
  const epoch = Number(props.get('customs:rpm:epoch') ?? q.epoch);
  if (Number.isInteger(epoch) && epoch > 0) rec.epoch = epoch;
  const srpm = /^(.+)-([^-]+)-([^-]+)\.src\.rpm$/.exec(q.upstream ?? '');
  if (srpm) { rec.sourceName = srpm[1]!; rec.sourceVersion = `${srpm[2]}-${srpm[3]}`; }
  const label = props.get('customs:rpm:modularityLabel') ?? props.get('aquasecurity:trivy:Modularitylabel');
  if (label) rec.modularityLabel = label;
}

function cdxLicense(list: unknown): string | undefined {
  if (!Array.isArray(list)) return undefined;
  const terms = list.map((l: any) => l?.expression ?? l?.license?.id ?? l?.license?.name).filter((t: unknown): t is string => typeof t === 'string' && t.length > 0);
  return terms.length ? terms.join(' AND ') : undefined;
}

/** Image paths are absolute; Trivy writes them relative to the root. */
function absolute(path: string | undefined): string | undefined {
  return path === undefined ? undefined : path.startsWith('/') ? path : `/${path}`;
}
