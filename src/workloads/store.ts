// The workloads table: an import replaces what one cluster runs. Rows not in the import stay with
// replicas 0 (first and last seen keep the history of what ran there).
import { and, asc, eq, notInArray, sql } from 'drizzle-orm';
import type { Database } from '../db/client.ts';
import { workloads } from '../db/schema.ts';
import type { WorkloadContainer } from './inventory.ts';

export interface StoredWorkload extends WorkloadContainer { cluster: string; firstSeenAt: string; lastSeenAt: string }

const keyOf = (c: { namespace: string; kind: string; name: string; container: string }) => `${c.namespace}/${c.kind}/${c.name}/${c.container}`;

export async function importWorkloads(database: Database, cluster: string, containers: readonly WorkloadContainer[], now = new Date()): Promise<void> {
  const db = database.db;
  const writes = containers.map((c) => {
    const row = {
      cluster, namespace: c.namespace, kind: c.kind, name: c.name, container: c.container, image: c.image, digest: c.digest,
      replicas: c.replicas, labels: JSON.stringify(c.labels), serviceAccount: c.serviceAccount, exposure: c.exposure,
      exposedBy: JSON.stringify(c.exposedBy), firstSeenAt: now, lastSeenAt: now,
    };
    const { firstSeenAt: _first, ...update } = row;
    return db.insert(workloads).values(row).onConflictDoUpdate({ target: [workloads.cluster, workloads.namespace, workloads.kind, workloads.name, workloads.container], set: update });
  });
  const keys = containers.map(keyOf);
  const gone = db.update(workloads).set({ replicas: 0 }).where(and(eq(workloads.cluster, cluster),
    keys.length ? notInArray(sql`${workloads.namespace} || '/' || ${workloads.kind} || '/' || ${workloads.name} || '/' || ${workloads.container}`, keys) : undefined));
  await db.batch([gone, ...writes]);
}

export async function listWorkloads(database: Database, filter: { cluster?: string; digest?: string } = {}): Promise<StoredWorkload[]> {
  const rows = await database.db.select().from(workloads)
    .where(and(filter.cluster ? eq(workloads.cluster, filter.cluster) : undefined, filter.digest ? eq(workloads.digest, filter.digest) : undefined))
    .orderBy(asc(workloads.cluster), asc(workloads.namespace), asc(workloads.kind), asc(workloads.name), asc(workloads.container));
  return rows.map((r) => ({
    cluster: r.cluster, namespace: r.namespace, kind: r.kind, name: r.name, container: r.container, image: r.image, digest: r.digest,
    replicas: r.replicas, labels: JSON.parse(r.labels) as Record<string, string>, serviceAccount: r.serviceAccount,
    exposure: r.exposure as 'internet' | 'internal', exposedBy: JSON.parse(r.exposedBy) as string[],
    firstSeenAt: r.firstSeenAt.toISOString(), lastSeenAt: r.lastSeenAt.toISOString(),
  }));
}
