// What runs, listed from the Kubernetes API itself (workloads.clusters): per cluster, every
// intervalMs, Pods, Services, Ingresses and Gateway API HTTPRoutes across all namespaces with
// @kubernetes/client-node, assembled into the List `kubectl get pods,services,ingresses,httproutes -A
// -o json` prints and handed to the same code an import uses (./ingest.ts). A cluster whose API
// fails (an HTTP error, no answer within timeoutMs, a body that is not JSON, unreachable) keeps the
// inventory of its last good sync; the failure is logged with the cluster and what was being listed,
// never with the credentials. A cluster without the Gateway API (no HTTPRoute CRD: 404) has no routes.
import type { Lease } from '../db/leases.ts';
import { ApiException, CoreV1Api, CustomObjectsApi, KubeConfig, NetworkingV1Api, Observable, type ObservableMiddleware } from '@kubernetes/client-node';
import type { ClusterConfig } from '../config/workloads-schema.ts';
import type { Database } from '../db/client.ts';
import { log } from '../log.ts';
import { ingestInventory, type IngestSummary } from './ingest.ts';

type Obj = Record<string, unknown>;
export interface KubeList { kind: 'List'; apiVersion: 'v1'; items: Obj[] }

/** Lists what one cluster runs (the client, or a stand-in in tests of the scheduling). */
export type ClusterLister = () => Promise<KubeList>;

export class SyncError extends Error {}

const PAGE = 500;
/** a cluster larger than this many pages of one kind is refused rather than listed forever */
const MAX_PAGES = 400;

/** The client of one configured cluster: a kubeconfig file (and context) or the in-cluster service account. */
export function kubernetesLister(c: ClusterConfig): ClusterLister {
  const kc = new KubeConfig();
  // loadFromCluster does not check: without the variables the kubelet sets, it points at https://undefined
  if (c.inCluster && (!process.env.KUBERNETES_SERVICE_HOST || !process.env.KUBERNETES_SERVICE_PORT)) {
    throw new SyncError(`cluster ${c.name}: inCluster is set but Customs does not run in a Kubernetes pod (KUBERNETES_SERVICE_HOST / KUBERNETES_SERVICE_PORT unset)`);
  }
  try {
    if (c.inCluster) kc.loadFromCluster();
    else {
      kc.loadFromFile(c.kubeconfig!);
      if (c.context) kc.setCurrentContext(c.context);
    }
  } catch (e) {
    throw new SyncError(`cluster ${c.name}: cannot load ${c.inCluster ? 'the in-cluster service account' : `kubeconfig ${c.kubeconfig}`}: ${(e as Error).message.split('\n')[0]}`);
  }
  const server = kc.getCurrentCluster()?.server;
  if (!server) throw new SyncError(`cluster ${c.name}: ${c.inCluster ? 'no in-cluster API server (KUBERNETES_SERVICE_HOST)' : `kubeconfig ${c.kubeconfig} has no current cluster${c.context ? ` for context ${c.context}` : ''}`}`);
  const core = kc.makeApiClient(CoreV1Api);
  const net = kc.makeApiClient(NetworkingV1Api);
  const custom = kc.makeApiClient(CustomObjectsApi);
  // one deadline per request (the body included): the generated client takes an AbortSignal from a middleware
  const deadline: ObservableMiddleware = {
    pre: (ctx) => { ctx.setSignal(AbortSignal.timeout(c.timeoutMs)); return new Observable(Promise.resolve(ctx)); },
    post: (r) => new Observable(Promise.resolve(r)),
  };
  const options = () => ({ middleware: [deadline], middlewareMergeStrategy: 'append' as const });

  const all = async (what: string, kind: string, page: (cont: string | undefined) => Promise<{ items?: unknown[]; metadata?: { _continue?: string; continue?: string } }>): Promise<Obj[]> => {
    const out: Obj[] = [];
    let cont: string | undefined;
    for (let n = 0; n < MAX_PAGES; n++) {
      let r;
      try {
        r = await page(cont);
      } catch (e) {
        throw new SyncError(`cluster ${c.name}: listing ${what} at ${server}: ${describe(e, c.timeoutMs)}`, { cause: e });
      }
      if (!r || !Array.isArray(r.items)) throw new SyncError(`cluster ${c.name}: listing ${what} at ${server}: the answer is not a ${kind}List (no items)`);
      // the items of an API list carry no kind (kubectl adds it): set it for the inventory
      for (const i of r.items) if (typeof i === 'object' && i !== null) out.push({ ...(i as Obj), kind });
      cont = r.metadata?._continue ?? r.metadata?.continue;
      if (!cont) return out;
    }
    throw new SyncError(`cluster ${c.name}: listing ${what}: more than ${MAX_PAGES} pages of ${PAGE}`);
  };

  return async () => {
    const [pods, services, ingresses, routes] = await Promise.all([
      all('/api/v1/pods', 'Pod', (cont) => core.listPodForAllNamespaces({ limit: PAGE, ...(cont ? { _continue: cont } : {}) }, options()) as any),
      all('/api/v1/services', 'Service', (cont) => core.listServiceForAllNamespaces({ limit: PAGE, ...(cont ? { _continue: cont } : {}) }, options()) as any),
      all('/apis/networking.k8s.io/v1/ingresses', 'Ingress', (cont) => net.listIngressForAllNamespaces({ limit: PAGE, ...(cont ? { _continue: cont } : {}) }, options()) as any),
      all('/apis/gateway.networking.k8s.io/v1/httproutes', 'HTTPRoute', async (cont) => {
        try {
          return await custom.listClusterCustomObject({ group: 'gateway.networking.k8s.io', version: 'v1', plural: 'httproutes', limit: PAGE, ...(cont ? { _continue: cont } : {}) }, options());
        } catch (e) {
          // the Gateway API is not installed in this cluster: no routes (not a failure)
          if (e instanceof ApiException && e.code === 404) return { items: [] };
          throw e;
        }
      }),
    ]);
    return { kind: 'List', apiVersion: 'v1', items: [...pods, ...services, ...ingresses, ...routes] };
  };
}

/** One line on why a request failed: the status and the API's own message, a timeout, a body that is not JSON, the network. */
function describe(e: unknown, timeoutMs: number): string {
  if (e instanceof ApiException) {
    let reason = '';
    const body: unknown = e.body;
    try {
      const parsed = typeof body === 'string' ? JSON.parse(body) : body;
      if (parsed && typeof parsed === 'object' && typeof (parsed as Obj).message === 'string') reason = `: ${(parsed as Obj).message as string}`;
    } catch { /* not a Status object */ }
    if (!reason && e.code === 401) reason = ': the credentials were refused (token or client certificate)';
    return `HTTP ${e.code}${reason.slice(0, 300)}`;
  }
  const err = e as Error & { cause?: { code?: string; message?: string } };
  if (err?.name === 'TimeoutError' || err?.name === 'AbortError') return `no answer within ${timeoutMs} ms (workloads.clusters[].timeoutMs)`;
  if (err instanceof SyntaxError) return `the answer is not JSON (${err.message.slice(0, 120)})`;
  if (err?.cause?.code) return `unreachable (${err.cause.code})`;
  return (err?.message ?? String(e)).split('\n')[0]!.slice(0, 300);
}

export interface ClusterSyncStatus {
  cluster: string;
  /** the last sync that replaced the inventory, and what it found */
  lastSuccessAt: string | null;
  last: IngestSummary | null;
  /** the last failure (cleared by a success): the inventory of lastSuccessAt stays */
  lastError: string | null;
  lastErrorAt: string | null;
}

export interface WorkloadSyncDeps {
  database: Database;
  clusters: readonly ClusterConfig[];
  criticalityKey: string;
  /** the lister of a cluster (default: the Kubernetes client of its configuration) */
  lister?: (c: ClusterConfig) => ClusterLister;
  /** several replicas: the periodic sync of a cluster runs where its lease is held (one replica) */
  lease?: (cluster: string, ttlMs: number) => Lease;
}

/** The periodic sync of every configured cluster; `syncNow` runs one cluster's sync at once (tests, a first run). */
export class WorkloadSync {
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private readonly running = new Map<string, Promise<ClusterSyncStatus>>();
  private readonly state = new Map<string, ClusterSyncStatus>();
  private readonly listers = new Map<string, ClusterLister | SyncError>();
  private stopped = false;

  private readonly deps: WorkloadSyncDeps;

  constructor(deps: WorkloadSyncDeps) {
    this.deps = deps;
    for (const c of deps.clusters) {
      this.state.set(c.name, { cluster: c.name, lastSuccessAt: null, last: null, lastError: null, lastErrorAt: null });
      try {
        this.listers.set(c.name, (deps.lister ?? kubernetesLister)(c));
      } catch (e) {
        // a kubeconfig that cannot be read fails this cluster's syncs (logged each time), not the service
        this.listers.set(c.name, e instanceof SyncError ? e : new SyncError(`cluster ${c.name}: ${(e as Error).message}`));
      }
    }
  }

  start(): void {
    for (const c of this.deps.clusters) this.schedule(c, 0);
    if (this.deps.clusters.length) log.info({ clusters: this.deps.clusters.map((c) => ({ name: c.name, intervalMs: c.intervalMs, via: c.inCluster ? 'in-cluster' : 'kubeconfig' })) }, 'workload sync from the Kubernetes API started');
  }

  private schedule(c: ClusterConfig, delay: number): void {
    if (this.stopped) return;
    const t = setTimeout(() => { void this.periodic(c).finally(() => this.schedule(c, c.intervalMs)); }, delay);
    t.unref();
    this.timers.set(c.name, t);
  }

  private leases = new Map<string, Lease>();

  /** One periodic sync, on the replica holding the cluster's lease (all of them without leases). */
  private async periodic(c: ClusterConfig): Promise<void> {
    if (this.deps.lease) {
      let lease = this.leases.get(c.name);
      if (!lease) { lease = this.deps.lease(c.name, 3 * c.intervalMs + 60_000); this.leases.set(c.name, lease); }
      const held = await lease.hold().catch((e: Error) => { log.warn({ cluster: c.name, err: e.message }, 'workload sync lease unavailable'); return false; });
      if (!held) return;
    }
    await this.syncNow(c.name);
  }

  status(): ClusterSyncStatus[] {
    return [...this.state.values()].map((s) => ({ ...s }));
  }

  /** List the cluster and replace its inventory; on failure log it and keep the inventory. Never throws. */
  syncNow(cluster: string): Promise<ClusterSyncStatus> {
    const busy = this.running.get(cluster);
    if (busy) return busy;
    const p = this.run(cluster).finally(() => this.running.delete(cluster));
    this.running.set(cluster, p);
    return p;
  }

  private async run(cluster: string): Promise<ClusterSyncStatus> {
    const st = this.state.get(cluster);
    if (!st) throw new Error(`no configured cluster ${cluster}`);
    const lister = this.listers.get(cluster)!;
    const started = Date.now();
    try {
      if (lister instanceof SyncError) throw lister;
      const list = await lister();
      const summary = await ingestInventory(this.deps.database, cluster, list, { criticalityKey: this.deps.criticalityKey });
      Object.assign(st, { lastSuccessAt: new Date().toISOString(), last: summary, lastError: null, lastErrorAt: null });
      log.info({ ...summary, via: 'kubernetes-api', ms: Date.now() - started }, 'workload inventory synced from the Kubernetes API');
    } catch (e) {
      const message = e instanceof SyncError ? e.message : `cluster ${cluster}: ${(e as Error).message}`;
      Object.assign(st, { lastError: message, lastErrorAt: new Date().toISOString() });
      log.error({ cluster, err: message, keptSince: st.lastSuccessAt }, `workload sync failed, the previous inventory of ${cluster} is kept: ${message}`);
    }
    return { ...st };
  }

  async stop(): Promise<void> {
    this.stopped = true;
    for (const t of this.timers.values()) clearTimeout(t);
    await Promise.allSettled([...this.running.values()]);
    await Promise.allSettled([...this.leases.values()].map((l) => l.release()));
  }
}
