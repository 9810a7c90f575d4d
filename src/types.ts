import type { Readable } from 'node:stream';

// Plain data passed between stages. No classes, no behaviour: everything here is JSON-serialisable
// (but for the package-type vocabulary, a list and its one membership test).

/** An OCI content descriptor. */
export interface Descriptor {
  mediaType: string;
  digest: string;           // "sha256:<hex>"
  size: number;
  urls?: string[];
  annotations?: Record<string, string>;
  platform?: Platform;
  artifactType?: string;
}

export interface Platform {
  os: string;
  architecture: string;
  variant?: string;
}

/** A parsed image reference. Remote: registry/repository + tag and/or digest. Local: a transport + path. */
export type ImageRef =
  | { kind: 'registry'; registry: string; repository: string; tag?: string; digest?: string; original: string }
  | { kind: 'oci'; path: string; tag?: string; original: string }
  | { kind: 'oci-archive'; path: string; tag?: string; original: string }
  | { kind: 'docker-archive'; path: string; original: string }
  /** an unpacked filesystem read as an image of one layer (rootfs: and fs: are the same reader) */
  | { kind: 'rootfs' | 'fs'; path: string; original: string }
  /** an image in the local Docker Engine (its API over the unix socket) */
  | { kind: 'docker-daemon'; name: string; original: string }
  /** a CycloneDX or SPDX JSON document: its packages are matched, no image is read */
  | { kind: 'sbom'; path: string; original: string };

/** One platform's image, resolved: manifest + config + layers, everything verified against digests. */
export interface ResolvedImage {
  /** digest of what the reference pointed at (an index, or the manifest itself) */
  rootDigest: string;
  /** digest of this platform's manifest */
  manifestDigest: string;
  manifestMediaType: string;
  platform: Platform;
  config: ImageConfigSummary;
  configDigest: string;
  layers: Descriptor[];
}

export interface ImageConfigSummary {
  os?: string;
  architecture?: string;
  variant?: string;
  created?: string;
  user?: string;
  env?: string[];
  entrypoint?: string[];
  cmd?: string[];
  workingDir?: string;
  labels?: Record<string, string>;
  diffIds?: string[];
  history?: { created?: string; createdBy?: string; emptyLayer?: boolean }[];
  /** Healthcheck.Test, e.g. ["CMD-SHELL", "curl -f http://localhost/"]; ["NONE"] disables an inherited one */
  healthcheck?: string[];
  /** ExposedPorts keys, e.g. ["80/tcp", "22/tcp"] */
  exposedPorts?: string[];
}

/** What a source of images can do; remote registries and local archives implement it alike. */
export interface ImageSource {
  /** human-readable name for messages, e.g. "127.0.0.1:5000/lab/app:vuln" or "oci-archive:/x.tar" */
  readonly name: string;
  /** Resolve to one image per platform. `platform` narrows an index to one platform; attestation
   *  children (unknown/unknown) are never returned. Throws CustomsError. */
  resolve(opts?: { platform?: Platform }): Promise<ResolvedImage[]>;
  /** Open a blob as a stream whose bytes are verified against desc.digest and desc.size; the stream
   *  errors with CustomsError('digest-mismatch' | 'corrupt') at the end if they do not match. */
  openBlob(desc: Descriptor): Promise<Readable>;
  close?(): Promise<void>;
}

export interface OsInfo {
  id: string;               // "debian", "alpine", "ubuntu"
  name?: string;            // NAME
  versionId?: string;       // VERSION_ID
  versionCodename?: string; // VERSION_CODENAME
  prettyName?: string;
  idLike?: string[];
  foundIn: string;          // path of the os-release file used
  layer?: string;           // digest of the layer that provided it
}

/** Package types of OS package managers (each one an ecosystem module of src/ecosystems/). */
export const OS_PACKAGE_TYPES = ['deb', 'apk', 'rpm'] as const;
/** Package types of language registries (each one an ecosystem module of src/ecosystems/). */
export const LANGUAGE_PACKAGE_TYPES = ['npm', 'pypi', 'maven', 'golang', 'cargo', 'gem', 'composer', 'nuget'] as const;
export type OsPackageType = typeof OS_PACKAGE_TYPES[number];
export type LanguagePackageType = typeof LANGUAGE_PACKAGE_TYPES[number];
/** Kind of package: the names of the ecosystems in src/ecosystems/index.ts, whose registry the
 *  compiler holds to these lists both ways (a name without a module, or a module without a name,
 *  does not compile). Everything else about a type (OSV ecosystem, comparator, purl, analyzers)
 *  is in its module. */
export type PackageType = OsPackageType | LanguagePackageType;

/** Whether packages of this type come from an OS package manager (deb, apk, rpm). */
export function isOsPackageType(type: string): boolean {
  return (OS_PACKAGE_TYPES as readonly string[]).includes(type);
}

export interface PackageRecord {
  type: PackageType;
  name: string;
  version: string;
  arch?: string;
  /** source package (Debian `Source:`) or origin (apk `o:`); version equals binary version when absent */
  sourceName?: string;
  sourceVersion?: string;
  license?: string;
  maintainer?: string;
  /** package URL; when absent it is derived from type/name/version (src/sbom/purl.ts) */
  purl?: string;
  /** rpm: epoch and release (version then holds the upstream version only) */
  epoch?: number;
  release?: string;
  vendor?: string;
  /** rpm modularity label */
  modularityLabel?: string;
  /** language package whose files belong to an OS package (dpkg/rpm file lists, or distro paths
   *  such as /usr/lib/python3/dist-packages): judged by the distribution's data only */
  osOwned?: boolean;
  /** file the package was found in, absolute path inside the image, e.g. /var/lib/dpkg/status */
  foundIn: string;
  /** digest of the layer that added this package (set during the merge) */
  layer?: string;
  /** zero-based index of that layer */
  layerIndex?: number;
}

/** Metadata of one tar entry, as analyzers see it. */
export interface EntryInfo {
  /** absolute, normalised path inside the image */
  path: string;
  size: number;
  /** permission bits incl. setuid 0o4000 / setgid 0o2000 / sticky 0o1000 */
  mode: number;
  uid: number;
  gid: number;
  type: 'file' | 'link' | 'symlink' | 'directory' | 'other';
  /** symlink / hard link target as written in the layer */
  linkname?: string;
}

/** A secret found in a file or in the image config. The value itself is never kept. */
export interface SecretHit {
  rule: string;
  severity: 'low' | 'medium' | 'high' | 'critical';
  title: string;
  /** 1-based line of the match in the file, when it came from a file */
  line?: number;
  /** e.g. "AKIA************MPLE": enough to recognise, not enough to use */
  masked: string;
  /** hash of the value, so one leak is recognised across files and images */
  fingerprint: string;
}

/** A fact about a file: setuid binary, world-writable file, shell, package manager, compiler... */
export interface FileFact {
  id: string;
  detail?: string;
}

/** A package as an analyzer reports it: the merge adds the layer. */
export type FoundPackage = Omit<PackageRecord, 'layer' | 'layerIndex'>;

/** What one analyzer said about one file. */
export interface FileFinding {
  analyzer: string;
  os?: Omit<OsInfo, 'layer'>;
  packages?: FoundPackage[];
  /** secrets stay in the image even when a later layer deletes or replaces the file */
  secrets?: SecretHit[];
  /** facts hold only while the file is visible in the final image */
  facts?: FileFact[];
  /** files an OS package database says its packages installed (only paths language analyzers
   *  look at, to keep the cache small): language packages found there are marked osOwned */
  ownedFiles?: string[];
  /** problems that did not stop the analyzer (a corrupt record skipped): the walker moves them to
   *  the layer's warnings, they are not kept with the finding */
  warnings?: string[];
}

/** A secret with where it sits in the image. */
export interface LocatedSecret extends SecretHit {
  /** file path, or "config:Env", "history[3]"... for the image config */
  path: string;
  layer?: string;
  layerIndex?: number;
  /** false when a later layer deleted or replaced the file (the bytes are still in the image) */
  visible: boolean;
}

export interface LocatedFact extends FileFact {
  path: string;
  layer?: string;
  layerIndex?: number;
}

/** Everything learnt from one layer, cacheable by layer digest + analyzer versions. */
export interface LayerResult {
  digest: string;
  /** path → findings of the analyzers that wanted that file (paths absolute, normalised) */
  files: Record<string, FileFinding[]>;
  /** whiteouts in this layer: absolute paths deleted from lower layers */
  whiteouts: string[];
  /** opaque directories in this layer: everything below them from lower layers is hidden */
  opaqueDirs: string[];
  /** symlinks among wanted paths: path → absolute target (resolved relative to the link's dir) */
  symlinks: Record<string, string>;
  /** counts for logs/benchmarks */
  stats: {
    entries: number; bytesRead: number; uncompressedBytes: number;
    /** what reading archives in the layer took (archive-budget.ts): charged to the image budget again when the layer comes from the cache */
    archives?: { bytes: number; entries: number; archives: number };
  };
  /** non-fatal problems (skipped entries: unsafe path, over the per-file cap, ...) */
  warnings: string[];
}

/** The inventory of one platform of an image. */
export interface ImageInventory {
  source: string;           // the reference as given
  rootDigest: string;
  manifestDigest: string;
  platform: Platform;
  configDigest: string;
  config: ImageConfigSummary;
  layers: { digest: string; size: number; mediaType: string; diffId?: string; cached: boolean }[];
  os?: OsInfo;
  packages: PackageRecord[];
  /** secrets in files of any layer (set by the pipeline; absent in hand-built inventories) */
  secrets?: LocatedSecret[];
  /** facts about files visible in the final image */
  facts?: LocatedFact[];
  /**
   * Inputs an analyzer wanted but could not read (over limits.maxFileBytes, or an OS package
   * database that failed to parse) and that are still visible in the final image: the inventory is
   * incomplete, and policies judge it so (spec.incompleteInventory).
   */
  incomplete?: { path: string; reason: string }[];
  warnings: string[];
}
