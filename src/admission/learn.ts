// Workloads learned from admission requests (admission.cluster set): a workload admitted (CREATE,
// UPDATE allowed, not a dry run) is added to the inventory or refreshed — its containers, the digests
// admission resolved, replicas, labels, criticality — and removed on DELETE. The top of each chain
// only: a Deployment, not the ReplicaSets and pods it makes (anything with a controlling owner is left
// to its owner's request), so one Deployment is one workload, as the import and the sync count it.
// The pod template goes through the import's parser (src/workloads/inventory.ts) as the one pod it
// stands for. Exposure comes from Services, which admission does not see: a stored row keeps the
// exposure its last import or sync found (hostNetwork / hostPort of a new workload count).
//
// Runs after the answer, one request at a time, off the admission path (WorkloadLearner.enqueue).
import type { Database } from '../db/client.ts';
import { log } from '../log.ts';
import { parseInventory } from '../workloads/inventory.ts';
import { removeWorkload, upsertWorkload } from '../workloads/store.ts';
import type { ImageReport } from './admit.ts';
import { podSpecOf, type ReviewRequest } from './review.ts';

type Obj = Record<string, unknown>;
const isObject = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const strings = (o: unknown): Record<string, string> =>
  Object.fromEntries(Object.entries(isObject(o) ? o : {}).filter((e): e is [string, string] => typeof e[1] === 'string'));

const KINDS = new Set(['Pod', 'Deployment', 'StatefulSet', 'DaemonSet', 'ReplicaSet', 'ReplicationController', 'Job', 'CronJob']);

const controlled = (o: Obj | undefined) => {
  const meta = o?.metadata;
  return isObject(meta) && Array.isArray(meta.ownerReferences) && meta.ownerReferences.some((r) => isObject(r) && r.controller === true);
};

/** How many pods the object asks for: spec.replicas (default 1) for the replicated kinds, parallelism for a Job; 1 for a DaemonSet (its node count is not in the object), a CronJob and a Pod. */
function replicasOf(kind: string, object: Obj): number {
  const spec = isObject(object.spec) ? object.spec : {};
  const n = (v: unknown, d: number) => (typeof v === 'number' && Number.isInteger(v) && v >= 0 ? v : d);
  switch (kind) {
    case 'Deployment': case 'StatefulSet': case 'ReplicaSet': case 'ReplicationController': return n(spec.replicas, 1);
    case 'Job': return n(spec.parallelism, 1);
    default: return 1;
  }
}

export type Learned = { action: 'upserted'; containers: number } | { action: 'removed'; rows: number } | { action: 'skipped'; why: string };

/** What one admitted request changes in the inventory of `cluster`. */
export async function learnWorkload(database: Database, cluster: string, req: ReviewRequest, images: readonly ImageReport[], criticalityKey: string): Promise<Learned> {
  if (!KINDS.has(req.kind) || (req.subResource ?? '') !== '') return { action: 'skipped', why: `${req.kind}${req.subResource ? '/' + req.subResource : ''} is not a workload` };
  if (req.dryRun) return { action: 'skipped', why: 'dry run' };
  if (!req.namespace || !req.name) return { action: 'skipped', why: 'no namespace or name' };
  const id = { namespace: req.namespace, kind: req.kind, name: req.name };
  if (req.operation === 'DELETE') {
    if (controlled(req.oldObject)) return { action: 'skipped', why: 'controlled by another workload' };
    return { action: 'removed', rows: await removeWorkload(database, cluster, id) };
  }
  if ((req.operation !== 'CREATE' && req.operation !== 'UPDATE') || !req.object) return { action: 'skipped', why: req.operation };
  if (controlled(req.object)) return { action: 'skipped', why: 'controlled by another workload' };
  // being deleted (finalizers still running: the garbage collector's UPDATEs come after the DELETE): gone
  if (isObject(req.object.metadata) && req.object.metadata.deletionTimestamp) return { action: 'removed', rows: await removeWorkload(database, cluster, id) };
  const pod = podSpecOf(req.kind, req.object);
  if (!pod) return { action: 'skipped', why: 'no pod template' };
  // the template's metadata is the pods' metadata; a criticality given on the workload itself counts too
  const template = req.kind === 'Pod' ? req.object : templateOf(req.kind, req.object);
  const meta = isObject(template?.metadata) ? template.metadata : {};
  const own = isObject(req.object.metadata) ? req.object.metadata : {};
  const labels = strings(meta.labels);
  const annotations = strings(meta.annotations);
  const ownCriticality = strings(own.labels)[criticalityKey] ?? strings(own.annotations)[criticalityKey];
  if (ownCriticality !== undefined && labels[criticalityKey] === undefined && annotations[criticalityKey] === undefined) annotations[criticalityKey] = ownCriticality;
  // the digests admission resolved, as the kubelet would report them (imageID)
  const digestOf = new Map(images.filter((i) => i.digest).map((i) => [i.container, i.digest!]));
  const statuses = (list: string, prefix: string) => (Array.isArray(pod.spec[list]) ? pod.spec[list] as unknown[] : []).flatMap((c) => {
    if (!isObject(c) || typeof c.name !== 'string' || typeof c.image !== 'string') return [];
    const d = digestOf.get(prefix + c.name);
    return [{ name: c.name, imageID: d ? `${c.image.replace(/@.*$/, '')}@${d}` : '' }];
  });
  const asPod = {
    kind: 'Pod',
    metadata: {
      namespace: req.namespace, name: req.name, labels, annotations,
      ...(req.kind === 'Pod' ? {} : { ownerReferences: [{ kind: req.kind, name: req.name, controller: true }] }),
    },
    spec: pod.spec,
    status: { containerStatuses: statuses('containers', ''), initContainerStatuses: statuses('initContainers', 'initContainers/') },
  };
  const { containers } = parseInventory({ items: [asPod] }, { criticalityKey });
  const replicas = replicasOf(req.kind, req.object);
  // the parser names the workload from the owner; a Job's own name is kept (no CronJob lifting for a Job admitted by itself)
  const rows = containers.map((c) => ({ ...c, kind: req.kind, name: req.name, replicas }));
  await upsertWorkload(database, cluster, id, rows);
  return { action: 'upserted', containers: rows.length };
}

function templateOf(kind: string, object: Obj): Obj | undefined {
  const spec = isObject(object.spec) ? object.spec : undefined;
  if (kind === 'CronJob') {
    const job = isObject(spec?.jobTemplate) && isObject(spec.jobTemplate.spec) ? spec.jobTemplate.spec : undefined;
    return isObject(job?.template) ? job.template : undefined;
  }
  return isObject(spec?.template) ? spec.template : undefined;
}

/**
 * Learning off the admission path: requests are queued after the answer is built and written one at
 * a time; past `maxPending` waiting requests new ones are dropped (logged) rather than held in memory.
 */
export class WorkloadLearner {
  private tail: Promise<void> = Promise.resolve();
  private pending = 0;
  private dropped = 0;
  private readonly database: Database;
  private readonly cluster: string;
  private readonly criticalityKey: string;
  private readonly maxPending: number;

  constructor(opts: { database: Database; cluster: string; criticalityKey: string; maxPending?: number }) {
    this.database = opts.database;
    this.cluster = opts.cluster;
    this.criticalityKey = opts.criticalityKey;
    this.maxPending = opts.maxPending ?? 10_000;
  }

  enqueue(req: ReviewRequest, images: readonly ImageReport[]): void {
    if (this.pending >= this.maxPending) {
      if (this.dropped++ % 1000 === 0) log.warn({ cluster: this.cluster, pending: this.pending, dropped: this.dropped }, 'admission: too many workload updates waiting, some are dropped (the next sync or import corrects the inventory)');
      return;
    }
    this.pending++;
    // setImmediate: not before the answer is on its way
    this.tail = this.tail.then(() => new Promise<void>((r) => setImmediate(r))).then(async () => {
      try {
        const r = await learnWorkload(this.database, this.cluster, req, images, this.criticalityKey);
        if (r.action !== 'skipped') log.info({ cluster: this.cluster, uid: req.uid, operation: req.operation, workload: `${req.namespace}/${req.kind}/${req.name}`, ...r }, 'admission: workload inventory updated');
        else log.debug({ cluster: this.cluster, uid: req.uid, why: r.why }, 'admission: no workload to record');
      } catch (e) {
        log.warn({ cluster: this.cluster, uid: req.uid, workload: `${req.namespace}/${req.kind}/${req.name}`, err: (e as Error).message }, 'admission: the workload inventory could not be updated');
      } finally {
        this.pending--;
      }
    });
  }

  /** every queued update written (tests, shutdown) */
  async idle(): Promise<void> {
    let seen;
    do { seen = this.tail; await seen; } while (seen !== this.tail);
  }
}
