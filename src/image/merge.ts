// Merge per-layer results into one view of the image: later layers replace files, whiteouts
// delete, opaque directories clear; then resolve wanted symlinks, pick the OS and collect packages.
import { isOsPackageType, type Descriptor, type FileFinding, type FoundPackage, type LayerResult, type LocatedFact, type LocatedSecret, type OsInfo, type PackageRecord } from '../types.ts';

const MAX_LINK_HOPS = 40;
const OS_RELEASE_PATHS = ['/etc/os-release', '/usr/lib/os-release'];

type Node =
  | { kind: 'file'; layerIndex: number; findings: FileFinding[]; origins: number[][] }
  | { kind: 'link'; layerIndex: number; target: string };

function pkgKey(p: FoundPackage): string {
  return `${p.type}\0${p.name}\0${p.arch ?? ''}`;
}

/** true when `p` or one of its ancestors is in `set` (whiteouts delete a path and what is below it) */
function hitByAncestor(p: string, set: Set<string>): boolean {
  return set.has(p) || belowAny(p, set);
}

/** true when a strict ancestor of `p` is in `set` (opaque dirs hide what is below them) */
function belowAny(p: string, set: Set<string>): boolean {
  if (set.has('/')) return p !== '/';
  let i = p.lastIndexOf('/');
  while (i > 0) {
    const anc = p.slice(0, i);
    if (set.has(anc)) return true;
    i = anc.lastIndexOf('/');
  }
  return false;
}

/**
 * Apply layers in order (results[i] belongs to layers[i]). Returned warnings are the merge's own
 * (symlink loops, dangling os-release links); the layers' warnings stay in their LayerResults.
 * Packages carry the layer that brought them in: when a package database is rewritten by a higher
 * layer, a package (type+name+arch) present with the same version in that same file below keeps
 * its original layer.
 */
export interface MergedImage {
  os?: OsInfo;
  packages: PackageRecord[];
  secrets: LocatedSecret[];
  facts: LocatedFact[];
  warnings: string[];
}

export function mergeLayers(results: LayerResult[], layers: Descriptor[]): MergedImage {
  const warnings: string[] = [];
  const view = new Map<string, Node>();

  results.forEach((r, i) => {
    // 1. deletions against lower layers
    const opaque = new Set(r.opaqueDirs);
    const whiteouts = new Set(r.whiteouts);
    if (opaque.size > 0 || whiteouts.size > 0) {
      for (const p of [...view.keys()]) {
        if ((whiteouts.size > 0 && hitByAncestor(p, whiteouts)) || (opaque.size > 0 && belowAny(p, opaque))) view.delete(p);
      }
    }
    // 2. this layer's files and symlinks replace lower ones
    for (const [p, findings] of Object.entries(r.files)) {
      const prev = view.get(p);
      const prevOrigin = new Map<string, { version: string; layerIndex: number }>();
      if (prev?.kind === 'file') {
        prev.findings.forEach((f, fi) => (f.packages ?? []).forEach((pkg, pi) => {
          prevOrigin.set(`${f.analyzer}\0${pkgKey(pkg)}`, { version: pkg.version, layerIndex: prev.origins[fi]?.[pi] ?? prev.layerIndex });
        }));
      }
      const origins = findings.map((f) => (f.packages ?? []).map((pkg) => {
        const old = prevOrigin.get(`${f.analyzer}\0${pkgKey(pkg)}`);
        return old && old.version === pkg.version ? old.layerIndex : i;
      }));
      view.set(p, { kind: 'file', layerIndex: i, findings, origins });
    }
    for (const [p, target] of Object.entries(r.symlinks)) {
      view.set(p, { kind: 'link', layerIndex: i, target });
    }
  });

  const resolve = (start: string): { path: string; node: Extract<Node, { kind: 'file' }> } | undefined => {
    let p = start;
    const seen = new Set<string>();
    for (let hop = 0; hop <= MAX_LINK_HOPS; hop++) {
      const n = view.get(p);
      if (!n) return undefined;
      if (n.kind === 'file') return { path: p, node: n };
      if (seen.has(p)) { warnings.push(`symlink loop at ${start}`); return undefined; }
      seen.add(p);
      p = n.target;
    }
    warnings.push(`symlink chain from ${start} longer than ${MAX_LINK_HOPS} hops`);
    return undefined;
  };

  const layerDigest = (i: number) => layers[i]?.digest ?? results[i]?.digest;

  let os: OsInfo | undefined;
  for (const candidate of OS_RELEASE_PATHS) {
    const present = view.get(candidate);
    if (!present) continue;
    const hit = resolve(candidate);
    if (!hit) {
      if (present.kind === 'link') warnings.push(`${candidate} is a symlink to ${present.target}, which was not found in the image`);
      continue;
    }
    const f = hit.node.findings.find((x) => x.os);
    if (!f?.os) continue;
    os = { ...f.os, foundIn: f.os.foundIn ?? hit.path };
    const d = layerDigest(hit.node.layerIndex);
    if (d) os.layer = d;
    break;
  }

  // packages: union over surviving files; identical records from two files are reported once
  const byIdentity = new Map<string, PackageRecord>();
  const facts: LocatedFact[] = [];
  const owned = new Set<string>();
  const paths = [...view.keys()].sort();
  for (const p of paths) {
    const n = view.get(p)!;
    if (n.kind !== 'file') continue;
    n.findings.forEach((f, fi) => {
      (f.packages ?? []).forEach((pkg, pi) => {
        const li = n.origins[fi]?.[pi] ?? n.layerIndex;
        const rec: PackageRecord = { ...pkg, foundIn: pkg.foundIn ?? p, layerIndex: li };
        const d = layerDigest(li);
        if (d) rec.layer = d;
        const id = `${pkg.type}\0${pkg.name}\0${pkg.version}\0${pkg.arch ?? ''}\0${isOsPackageType(pkg.type) ? '' : rec.foundIn}`;
        const have = byIdentity.get(id);
        if (!have || (have.layerIndex ?? 0) > li) byIdentity.set(id, rec);
      });
      for (const fact of f.facts ?? []) {
        const d = layerDigest(n.layerIndex);
        facts.push({ ...fact, path: p, layerIndex: n.layerIndex, ...(d ? { layer: d } : {}) });
      }
      for (const o of f.ownedFiles ?? []) owned.add(o);
    });
  }
  const packages = [...byIdentity.values()].sort(comparePackages);
  if (owned.size > 0) {
    for (const p of packages) if (!isOsPackageType(p.type) && owned.has(p.foundIn)) p.osOwned = true;
  }

  // secrets: every layer's, visible or not — deleting a file in a later layer leaves its bytes in the image
  const secrets: LocatedSecret[] = [];
  const seenSecret = new Set<string>();
  results.forEach((r, i) => {
    for (const [p, findings] of Object.entries(r.files)) {
      const n = view.get(p);
      const visible = n?.kind === 'file' && n.layerIndex === i;
      for (const f of findings) for (const sec of f.secrets ?? []) {
        const key = `${i}\0${p}\0${sec.rule}\0${sec.fingerprint}\0${sec.line ?? ''}`;
        if (seenSecret.has(key)) continue;
        seenSecret.add(key);
        const d = layerDigest(i);
        secrets.push({ ...sec, path: p, layerIndex: i, visible, ...(d ? { layer: d } : {}) });
      }
    }
  });

  return { ...(os ? { os } : {}), packages, secrets, facts, warnings };
}

function cmp(a: string | undefined, b: string | undefined): number {
  const x = a ?? '', y = b ?? '';
  return x < y ? -1 : x > y ? 1 : 0;
}

function comparePackages(a: PackageRecord, b: PackageRecord): number {
  return cmp(a.type, b.type) || cmp(a.name, b.name) || cmp(a.version, b.version) || cmp(a.arch, b.arch) || cmp(a.foundIn, b.foundIn);
}
