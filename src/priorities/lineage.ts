// Image families: images built on the same base share its leading layers. A scanned image B is the
// base of X when B's layers (of one platform) are a proper prefix of X's — the longest such B is X's
// base. A base's findings are then listed with every image derived from it and where those run, and
// when a newer scan of the base's repository carries fewer of the base's findings, the family gets
// the fix that is cheaper than patching packages: "rebuild on base:Y fixes N".
import type { ScanReport } from '../scan/types.ts';

export interface LineageImage {
  registry: string; repository: string; digest: string;
  /** live tags of the digest in its repository */
  tags: string[];
  finishedAt: number;
  report: ScanReport;
}

export interface LineageWorkload { cluster: string; namespace: string; kind: string; name: string; container: string; digest: string; replicas: number; exposure: string }

interface ImageRef { registry: string; repository: string; digest: string; tags: string[] }

export interface Family {
  base: ImageRef & { platform: string; layers: number; findings: number; findingIds: string[] };
  /** images whose layers start with the base's, with the workloads running them */
  derived: (ImageRef & { extraLayers: number; workloads: Omit<LineageWorkload, 'digest'>[] })[];
  /** a newer scan of the base's repository without some of the base's findings */
  rebuild?: { on: ImageRef & { findings: number }; fixes: number; fixedIds: string[]; action: string };
  /** replicas of the derived images running, and how many of those workloads face the internet */
  running: { workloads: number; replicas: number; internetFacing: number };
}

interface PlatformView { image: LineageImage; platform: string; layers: string[]; findings: Set<string> }

const ref = (i: LineageImage): ImageRef => ({ registry: i.registry, repository: i.repository, digest: i.digest, tags: i.tags });
const named = (i: ImageRef) => `${i.registry}/${i.repository}${i.tags.length ? `:${i.tags[0]}` : `@${i.digest.slice(0, 19)}`}`;

/** Pure: the families among `images` (newest scan of each), with the workloads running them. */
export function families(images: readonly LineageImage[], workloads: readonly LineageWorkload[]): Family[] {
  const views: PlatformView[] = [];
  for (const image of images) {
    for (const p of image.report.platforms) {
      const layers = p.inventory.layers.map((l) => l.digest);
      if (!layers.length) continue;
      // a finding of the base is the same vulnerability in the same package in a derived image
      const findings = new Set(p.findings.map((f) => `${f.id}\0${f.package.name}`));
      const pl = p.inventory.platform;
      views.push({ image, platform: pl ? `${pl.os}/${pl.architecture}${pl.variant ? `/${pl.variant}` : ''}` : 'unknown', layers, findings });
    }
  }
  // index by the first layer: only images sharing it can be related
  const byFirst = new Map<string, PlatformView[]>();
  for (const v of views) {
    const l = byFirst.get(v.layers[0]!);
    if (l) l.push(v); else byFirst.set(v.layers[0]!, [v]);
  }
  const running = new Map<string, LineageWorkload[]>();
  for (const w of workloads) {
    if (w.replicas <= 0) continue;
    const l = running.get(w.digest);
    if (l) l.push(w); else running.set(w.digest, [w]);
  }
  const isPrefix = (a: string[], b: string[]) => a.length < b.length && a.every((d, i) => b[i] === d);
  // each derived view's base: the candidate with the longest proper prefix
  const baseOf = new Map<PlatformView, PlatformView>();
  for (const group of byFirst.values()) {
    if (group.length < 2) continue;
    for (const x of group) {
      let best: PlatformView | undefined;
      for (const b of group) if (b.platform === x.platform && isPrefix(b.layers, x.layers) && (!best || b.layers.length > best.layers.length)) best = b;
      if (best) baseOf.set(x, best);
    }
  }
  const derivedBy = new Map<PlatformView, PlatformView[]>();
  for (const [x, b] of baseOf) {
    const l = derivedBy.get(b);
    if (l) l.push(x); else derivedBy.set(b, [x]);
  }
  const out: Family[] = [];
  for (const [base, derived] of derivedBy) {
    const rebuild = newerBase(base, views);
    const rows = derived.map((x) => ({
      ...ref(x.image), extraLayers: x.layers.length - base.layers.length,
      workloads: (running.get(x.image.digest) ?? []).map(({ digest: _d, ...w }) => w),
    }));
    const all = rows.flatMap((r) => r.workloads);
    const family: Family = {
      base: { ...ref(base.image), platform: base.platform, layers: base.layers.length, findings: base.findings.size, findingIds: [...new Set([...base.findings].map((k) => k.split('\0')[0]!))].sort() },
      derived: rows,
      running: { workloads: all.length, replicas: all.reduce((n, w) => n + w.replicas, 0), internetFacing: all.filter((w) => w.exposure === 'internet').length },
    };
    if (rebuild) {
      family.rebuild = {
        ...rebuild,
        action: `rebuild on ${named(rebuild.on)} fixes ${rebuild.fixes} finding${rebuild.fixes === 1 ? '' : 's'} of the base in ${rows.length} derived image${rows.length === 1 ? '' : 's'}`
          + (all.length ? ` (${all.length} workloads, ${family.running.internetFacing} internet-facing)` : ''),
      };
    }
    out.push(family);
  }
  // the families that run most exposed first, then the ones a rebuild helps most
  return out.sort((a, b) => b.running.internetFacing - a.running.internetFacing || b.running.replicas - a.running.replicas
    || (b.rebuild?.fixes ?? 0) - (a.rebuild?.fixes ?? 0) || a.base.repository.localeCompare(b.base.repository));
}

/** The newer scan, in the base's repository and platform, that leaves most of the base's findings behind. */
function newerBase(base: PlatformView, views: readonly PlatformView[]): { on: ImageRef & { findings: number }; fixes: number; fixedIds: string[] } | undefined {
  let best: { view: PlatformView; fixed: string[] } | undefined;
  for (const v of views) {
    if (v === base || v.image.digest === base.image.digest || v.platform !== base.platform) continue;
    if (v.image.registry !== base.image.registry || v.image.repository !== base.image.repository) continue;
    if (v.image.finishedAt <= base.image.finishedAt || v.findings.size >= base.findings.size) continue;
    const fixed = [...base.findings].filter((k) => !v.findings.has(k));
    if (fixed.length && (!best || fixed.length > best.fixed.length)) best = { view: v, fixed };
  }
  if (!best) return undefined;
  return {
    on: { ...ref(best.view.image), findings: best.view.findings.size },
    fixes: best.fixed.length,
    fixedIds: [...new Set(best.fixed.map((k) => k.split('\0')[0]!))].sort(),
  };
}
