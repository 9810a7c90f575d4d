// What the families are computed from: the newest scan of every image, the live tags, and the
// running workloads — read from their stores, then handed to lineage.ts (pure).
import type { Database } from '../db/client.ts';
import { listWorkloads } from '../workloads/store.ts';
import { ImageStore } from '../scan/image-store.ts';
import { ScanStore } from '../scan/scan-store.ts';
import { families, type Family, type LineageImage } from './lineage.ts';

/** At most this many images are related at once (the newest scans first). */
const MAX_IMAGES = 20_000;

export async function fleetFamilies(database: Database): Promise<Family[]> {
  const latest = await new ScanStore(database).latestPerImage(MAX_IMAGES);
  const liveTags = new Map<string, string[]>();
  const imageStore = new ImageStore(database);
  for (let offset = 0; ; offset += 5000) {
    const page = await imageStore.tags({}, { limit: 5000, offset });
    for (const t of page) {
      if (t.deletedAt) continue;
      const k = `${t.registry}/${t.repository}@${t.digest}`;
      const l = liveTags.get(k);
      if (l) l.push(t.tag); else liveTags.set(k, [t.tag]);
    }
    if (page.length < 5000) break;
  }
  const images: LineageImage[] = latest.map((s) => ({
    ...s, tags: liveTags.get(`${s.registry}/${s.repository}@${s.digest}`) ?? [], finishedAt: Date.parse(s.report.finishedAt) || 0,
  }));
  const running = await listWorkloads(database, { running: true });
  return families(images, running.map((w) => ({
    cluster: w.cluster, namespace: w.namespace, kind: w.kind, name: w.name, container: w.container, digest: w.digest!, replicas: w.replicas, exposure: w.exposure,
  })));
}
