// The workloads table: an import (or a sync from the Kubernetes API) replaces what one cluster runs.
// Rows not in the import stay with replicas 0 (first and last seen keep the history of what ran
// there). Admission requests add or refresh one workload (upsertWorkload) and remove it on DELETE.
import { and, asc, eq, gt, isNotNull, notInArray, sql } from 'drizzle-orm';
import type { Database } from '../db/client.ts';
import { workloads } from '../db/schema.ts';
import type { WorkloadContainer } from './inventory.ts';

export interface StoredWorkload extends WorkloadContainer { cluster: string; firstSeenAt: string; lastSeenAt: string }

const KEY = [workloads.cluster, workloads.namespace, workloads.kind, workloads.name, workloads.container];
const keyOf = (c: { namespace: string; kind: string; name: string; container: string }) => `${c.namespace}/${c.kind}/${c.name}/${c.container}`;

/** The stored row of one container of a cluster's workload, seen at `now`. */
function rowOf(cluster: string, c: WorkloadContainer, now: Date) {
  return {
    cluster, namespace: c.namespace, kind: c.kind, name: c.name, container: c.container, image: c.image, digest: c.digest,
    replicas: c.replicas, labels: JSON.stringify(c.labels), serviceAccount: c.serviceAccount, exposure: c.exposure,
    exposedBy: JSON.stringify(c.exposedBy), criticality: c.criticality, firstSeenAt: now, lastSeenAt: now,
  };
}

export async function importWorkloads(database: Database, cluster: string, containers: readonly WorkloadContainer[], now = new Date()): Promise<void> {
  const db = database.db;
  const writes = containers.map((c) => {
    const row = rowOf(cluster, c, now);
    const { firstSeenAt: _first, ...update } = row;
    return db.insert(workloads).values(row).onConflictDoUpdate({ target: KEY, set: update });
  });
  const keys = containers.map(keyOf);
  const gone = db.update(workloads).set({ replicas: 0 }).where(and(eq(workloads.cluster, cluster),
    keys.length ? notInArray(sql`${workloads.namespace} || '/' || ${workloads.kind} || '/' || ${workloads.name} || '/' || ${workloads.container}`, keys) : undefined));
  await db.batch([gone, ...writes]);
}

/**
 * One workload's containers as an admission request shows them: added, or refreshed (image, digest,
 * replicas, labels, criticality; a null digest keeps the stored one when the image is the same). Exposure is what the cluster's services say, known to an import or
 * a sync only: a stored row keeps its exposure. Containers the workload no longer has are removed.
 */
export async function upsertWorkload(database: Database, cluster: string, w: { namespace: string; kind: string; name: string }, containers: readonly WorkloadContainer[], now = new Date()): Promise<void> {
  const db = database.db;
  const writes = containers.map((c) => {
    const row = rowOf(cluster, c, now);
    const { firstSeenAt: _f, exposure: _e, exposedBy: _b, ...update } = row;
    // a digest admission could not resolve (an exempt namespace, a tag never seen) keeps the one stored for the same image
    const digest = sql`CASE WHEN excluded.digest IS NULL AND excluded.image = ${workloads.image} THEN ${workloads.digest} ELSE excluded.digest END`;
    return db.insert(workloads).values(row).onConflictDoUpdate({ target: KEY, set: { ...update, digest } });
  });
  const one = and(eq(workloads.cluster, cluster), eq(workloads.namespace, w.namespace), eq(workloads.kind, w.kind), eq(workloads.name, w.name));
  const gone = db.delete(workloads).where(and(one, containers.length ? notInArray(workloads.container, containers.map((c) => c.container)) : undefined));
  await db.batch([gone, ...writes]);
}

/** A workload deleted from the cluster (an admission DELETE): its rows go. Returns how many. */
export async function removeWorkload(database: Database, cluster: string, w: { namespace: string; kind: string; name: string }): Promise<number> {
  const r = await database.db.delete(workloads).where(and(eq(workloads.cluster, cluster), eq(workloads.namespace, w.namespace), eq(workloads.kind, w.kind), eq(workloads.name, w.name)));
  return r.rowsAffected;
}

/** Stored workloads, optionally of one cluster or digest; `running`: with replicas and a known digest. */
export async function listWorkloads(database: Database, filter: { cluster?: string; digest?: string; running?: boolean } = {}): Promise<StoredWorkload[]> {
  const rows = await database.db.select().from(workloads)
    .where(and(filter.cluster ? eq(workloads.cluster, filter.cluster) : undefined, filter.digest ? eq(workloads.digest, filter.digest) : undefined,
      filter.running ? and(gt(workloads.replicas, 0), isNotNull(workloads.digest)) : undefined))
    .orderBy(asc(workloads.cluster), asc(workloads.namespace), asc(workloads.kind), asc(workloads.name), asc(workloads.container));
  return rows.map((r) => ({
    cluster: r.cluster, namespace: r.namespace, kind: r.kind, name: r.name, container: r.container, image: r.image, digest: r.digest,
    replicas: r.replicas, labels: JSON.parse(r.labels) as Record<string, string>, serviceAccount: r.serviceAccount,
    exposure: r.exposure as 'internet' | 'internal', exposedBy: JSON.parse(r.exposedBy) as string[], criticality: r.criticality,
    firstSeenAt: r.firstSeenAt.toISOString(), lastSeenAt: r.lastSeenAt.toISOString(),
  }));
}
