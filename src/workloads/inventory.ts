// What runs, from `kubectl get pods,services,ingresses,httproutes -A -o json` (a v1 List; `kubectl get
// pods -A -o json` alone works too, without exposure; the Kubernetes API sync (./sync.ts) builds the
// same List from the API's lists): one entry per (namespace, workload, container) with the digest that
// runs, the pods running it, whether the internet reaches it (a LoadBalancer/NodePort Service, an
// Ingress or a Gateway API HTTPRoute to a Service selecting the pods, hostNetwork, a hostPort), and its
// criticality (a label or annotation). Plain data in, plain data out; the store writes it (./store.ts).

export class InventoryError extends Error {}

export interface WorkloadContainer {
  namespace: string;
  kind: string;
  name: string;
  container: string;
  image: string;
  digest: string | null;
  replicas: number;
  labels: Record<string, string>;
  serviceAccount: string | null;
  exposure: 'internet' | 'internal';
  exposedBy: string[];
  /** the value of the criticality label or annotation (priorities.criticalityLabel; the label wins), null when absent */
  criticality: string | null;
}

export interface InventoryOptions {
  /** the label or annotation key carrying the workload's criticality (default customs.dev/criticality) */
  criticalityKey?: string;
}

export const DEFAULT_CRITICALITY_KEY = 'customs.dev/criticality';

type Obj = Record<string, any>;
const isObject = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const DIGEST = /@(sha256:[a-f0-9]{64})$/;

/** The digest a container runs: imageID is "docker-pullable://repo@sha256:…" (dockershim),
 *  "repo@sha256:…" (containerd, CRI-O), or an image config id "sha256:…" (no repo digest known: null). */
export function runningDigest(imageID: unknown): string | null {
  if (typeof imageID !== 'string') return null;
  const m = DIGEST.exec(imageID.replace(/^[a-z-]+:\/\//, ''));
  return m ? m[1]! : null;
}

/** The workload a pod belongs to: its controller, lifted from ReplicaSet to Deployment and from Job to CronJob by the names those controllers give. */
export function workloadOf(pod: Obj): { kind: string; name: string } {
  const owner = (pod.metadata?.ownerReferences ?? []).find((o: Obj) => o?.controller === true) ?? pod.metadata?.ownerReferences?.[0];
  if (!isObject(owner) || typeof owner.kind !== 'string' || typeof owner.name !== 'string') return { kind: 'Pod', name: String(pod.metadata?.name ?? '') };
  const hash = pod.metadata?.labels?.['pod-template-hash'];
  // the deployment controller names its ReplicaSets <deployment>-<pod-template-hash>
  if (owner.kind === 'ReplicaSet' && typeof hash === 'string' && owner.name.endsWith(`-${hash}`)) return { kind: 'Deployment', name: owner.name.slice(0, -hash.length - 1) };
  // the cronjob controller names its Jobs <cronjob>-<scheduled time in minutes since the epoch>
  if (owner.kind === 'Job' && /-\d{8,}$/.test(owner.name)) return { kind: 'CronJob', name: owner.name.replace(/-\d{8,}$/, '') };
  return { kind: owner.kind, name: owner.name };
}

const selects = (selector: unknown, labels: Record<string, string>) =>
  isObject(selector) && Object.keys(selector).length > 0 && Object.entries(selector).every(([k, v]) => labels[k] === v);

const strings = (o: unknown): Record<string, string> =>
  Object.fromEntries(Object.entries(isObject(o) ? o : {}).filter((e): e is [string, string] => typeof e[1] === 'string'));

/** Services an HTTPRoute (gateway.networking.k8s.io) sends traffic to: its rules' backendRefs of kind Service ("ns/name"), when it is attached to a Gateway (parentRefs). */
export function httpRouteServices(route: Obj): string[] {
  const ns = String(route.metadata?.namespace ?? '');
  if (!Array.isArray(route.spec?.parentRefs) || !route.spec.parentRefs.length) return [];
  const out = new Set<string>();
  for (const rule of Array.isArray(route.spec?.rules) ? route.spec.rules : []) {
    for (const ref of Array.isArray(rule?.backendRefs) ? rule.backendRefs : []) {
      if (!isObject(ref) || typeof ref.name !== 'string') continue;
      // group "" (core) and kind Service are the defaults; another kind (an InferencePool…) has no selector to follow
      if ((ref.group ?? '') !== '' || (ref.kind ?? 'Service') !== 'Service') continue;
      out.add(`${typeof ref.namespace === 'string' && ref.namespace ? ref.namespace : ns}/${ref.name}`);
    }
  }
  return [...out];
}

export function parseInventory(doc: unknown, opts: InventoryOptions = {}): { pods: number; containers: WorkloadContainer[] } {
  const criticalityKey = opts.criticalityKey ?? DEFAULT_CRITICALITY_KEY;
  if (!isObject(doc) || !Array.isArray(doc.items)) throw new InventoryError('expected the output of kubectl get pods,services,ingresses,httproutes -A -o json (a List with items)');
  const items = doc.items.filter(isObject);
  const pods = items.filter((i) => i.kind === 'Pod');
  if (!pods.length && !items.length) return { pods: 0, containers: [] };
  const services = items.filter((i) => i.kind === 'Service');
  const ingresses = items.filter((i) => i.kind === 'Ingress');
  const routes = items.filter((i) => i.kind === 'HTTPRoute');

  // Services an Ingress routes to, per namespace
  const ingressed = new Map<string, string[]>(); // "ns/service" → ingress names
  for (const ing of ingresses) {
    const ns = String(ing.metadata?.namespace ?? '');
    const names = new Set<string>();
    const backend = ing.spec?.defaultBackend?.service?.name;
    if (typeof backend === 'string') names.add(backend);
    for (const rule of ing.spec?.rules ?? []) for (const p of rule?.http?.paths ?? []) if (typeof p?.backend?.service?.name === 'string') names.add(p.backend.service.name);
    for (const s of names) ingressed.set(`${ns}/${s}`, [...(ingressed.get(`${ns}/${s}`) ?? []), `Ingress/${String(ing.metadata?.name ?? '')}`]);
  }
  // Services a Gateway API HTTPRoute routes to (possibly in another namespace, as a ReferenceGrant allows)
  for (const route of routes) {
    for (const key of httpRouteServices(route)) ingressed.set(key, [...(ingressed.get(key) ?? []), `HTTPRoute/${String(route.metadata?.namespace ?? '')}/${String(route.metadata?.name ?? '')}`]);
  }

  const byKey = new Map<string, WorkloadContainer>();
  for (const pod of pods) {
    const ns = String(pod.metadata?.namespace ?? '');
    if (!ns || !isObject(pod.spec)) throw new InventoryError(`a Pod without namespace or spec (${String(pod.metadata?.name ?? 'unnamed')})`);
    const labels = strings(pod.metadata?.labels);
    const criticality = labels[criticalityKey] ?? strings(pod.metadata?.annotations)[criticalityKey] ?? null;
    const w = workloadOf(pod);
    const exposedBy = new Set<string>();
    for (const svc of services) {
      if (svc.metadata?.namespace !== ns || !selects(svc.spec?.selector, labels)) continue;
      const type = String(svc.spec?.type ?? 'ClusterIP');
      if (type === 'LoadBalancer' || type === 'NodePort') exposedBy.add(`Service/${svc.metadata.name} (${type})`);
      for (const by of ingressed.get(`${ns}/${svc.metadata?.name}`) ?? []) exposedBy.add(by);
    }
    if (pod.spec.hostNetwork === true) exposedBy.add('hostNetwork');
    const statuses = new Map<string, Obj>();
    for (const s of [...(pod.status?.containerStatuses ?? []), ...(pod.status?.initContainerStatuses ?? [])]) if (isObject(s) && typeof s.name === 'string') statuses.set(s.name, s);
    for (const c of [...(pod.spec.initContainers ?? []), ...(pod.spec.containers ?? [])]) {
      if (!isObject(c) || typeof c.name !== 'string' || typeof c.image !== 'string') continue;
      if ((c.ports ?? []).some((p: Obj) => Number(p?.hostPort) > 0)) exposedBy.add('hostPort');
      const key = `${ns}\0${w.kind}\0${w.name}\0${c.name}`;
      const prev = byKey.get(key);
      const digest = runningDigest(statuses.get(c.name)?.imageID);
      if (prev) {
        prev.replicas++;
        prev.digest ??= digest;
        prev.criticality ??= criticality;
        for (const e of exposedBy) if (!prev.exposedBy.includes(e)) prev.exposedBy.push(e);
      } else {
        byKey.set(key, {
          namespace: ns, kind: w.kind, name: w.name, container: c.name, image: c.image, digest, replicas: 1, labels,
          serviceAccount: typeof pod.spec.serviceAccountName === 'string' ? pod.spec.serviceAccountName : null,
          exposure: 'internal', exposedBy: [...exposedBy], criticality,
        });
      }
    }
  }
  const containers = [...byKey.values()].map((c) => ({ ...c, exposedBy: c.exposedBy.sort(), exposure: c.exposedBy.length ? 'internet' as const : 'internal' as const }));
  return { pods: pods.length, containers };
}
