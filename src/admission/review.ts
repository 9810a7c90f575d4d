// AdmissionReview admission.k8s.io/v1 (the ValidatingAdmissionWebhook contract): the request as the
// API server sends it, and the pod spec a workload carries. Shapes from the Kubernetes API reference
// (kube-apiserver Admission (v1); core/v1 PodSpec; apps/v1, batch/v1 templates) — see
// test/fixtures/k8s/README.md. Anything that is not such a review is a ReviewError (answered 400).

export class ReviewError extends Error {}

export interface ReviewRequest {
  uid: string;
  /** request.kind.kind, e.g. Pod, Deployment, Scale */
  kind: string;
  group: string;
  operation: 'CREATE' | 'UPDATE' | 'DELETE' | 'CONNECT';
  namespace: string;
  name: string;
  subResource?: string;
  dryRun: boolean;
  /** the new object (absent on DELETE and CONNECT) */
  object?: Record<string, unknown>;
  /** the object as it was (UPDATE, DELETE) */
  oldObject?: Record<string, unknown>;
}

export interface ContainerImage {
  /** containers | initContainers | ephemeralContainers */
  list: 'containers' | 'initContainers' | 'ephemeralContainers';
  name: string;
  image: string;
}

const OPERATIONS = new Set(['CREATE', 'UPDATE', 'DELETE', 'CONNECT']);

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

export function parseReview(body: unknown): ReviewRequest {
  if (!isObject(body)) throw new ReviewError('not an AdmissionReview: the body is not a JSON object');
  if (body.kind !== 'AdmissionReview') throw new ReviewError(`not an AdmissionReview: kind is ${JSON.stringify(body.kind ?? null)}`);
  // the webhook configuration asks for v1 only (admissionReviewVersions: ["v1"]); v1beta1 differs in
  // defaults and is gone since Kubernetes 1.22
  if (body.apiVersion !== 'admission.k8s.io/v1') throw new ReviewError(`apiVersion ${JSON.stringify(body.apiVersion ?? null)} is not supported: only admission.k8s.io/v1 (set admissionReviewVersions: ["v1"])`);
  const r = body.request;
  if (!isObject(r)) throw new ReviewError('AdmissionReview without a request object');
  if (typeof r.uid !== 'string' || !r.uid) throw new ReviewError('request.uid is missing (it is echoed in the response)');
  if (r.uid.length > 128) throw new ReviewError('request.uid is longer than 128 characters');
  if (!isObject(r.kind) || typeof r.kind.kind !== 'string') throw new ReviewError('request.kind.kind is missing');
  if (typeof r.operation !== 'string' || !OPERATIONS.has(r.operation)) throw new ReviewError(`request.operation ${JSON.stringify(r.operation ?? null)} is not CREATE, UPDATE, DELETE or CONNECT`);
  if (r.object !== undefined && r.object !== null && !isObject(r.object)) throw new ReviewError('request.object is not an object');
  if ((r.operation === 'CREATE' || r.operation === 'UPDATE') && !isObject(r.object)) throw new ReviewError(`request.object is missing on ${r.operation}`);
  const str = (v: unknown) => (typeof v === 'string' ? v : '');
  return {
    uid: r.uid, kind: r.kind.kind, group: str(r.kind.group), operation: r.operation as ReviewRequest['operation'],
    namespace: str(r.namespace), name: str(r.name) || str((isObject(r.object) && isObject(r.object.metadata) ? r.object.metadata.name : undefined))
      || str((isObject(r.oldObject) && isObject(r.oldObject.metadata) ? r.oldObject.metadata.name : undefined)),
    ...(str(r.subResource) ? { subResource: str(r.subResource) } : {}),
    dryRun: r.dryRun === true,
    ...(isObject(r.object) ? { object: r.object } : {}),
    ...(isObject(r.oldObject) ? { oldObject: r.oldObject } : {}),
  };
}

/**
 * The pod spec of a Pod or a pod-bearing workload, undefined for any other kind (a Scale, a
 * ConfigMap: nothing to judge). A pod-bearing kind without its template is malformed.
 */
export function podSpecOf(kind: string, object: Record<string, unknown>): { spec: Record<string, unknown>; templateLabels: Record<string, string> } | undefined {
  const at = (path: string[]): unknown => path.reduce<unknown>((o, k) => (isObject(o) ? o[k] : undefined), object);
  let path: string[];
  switch (kind) {
    case 'Pod': path = ['spec']; break;
    case 'Deployment': case 'StatefulSet': case 'DaemonSet': case 'ReplicaSet': case 'ReplicationController': case 'Job':
      path = ['spec', 'template', 'spec']; break;
    // a CronJob's pods come from its job template's pod template
    case 'CronJob': path = ['spec', 'jobTemplate', 'spec', 'template', 'spec']; break;
    default: return undefined;
  }
  const spec = at(path);
  if (!isObject(spec)) throw new ReviewError(`${kind} without ${path.join('.')} (the pod spec)`);
  // the pod template's labels become the pods' labels: an exemption written there holds for both
  const template = at(path.slice(0, -1));
  return { spec, templateLabels: kind === 'Pod' || !isObject(template) ? {} : objectLabels(template) };
}

/** Every container image of a pod spec: containers, init containers, ephemeral containers. */
export function containerImages(spec: Record<string, unknown>): ContainerImage[] {
  const out: ContainerImage[] = [];
  for (const list of ['containers', 'initContainers', 'ephemeralContainers'] as const) {
    const items = spec[list];
    if (items === undefined || items === null) continue;
    if (!Array.isArray(items)) throw new ReviewError(`${list} is not a list`);
    items.forEach((c, i) => {
      if (!isObject(c)) throw new ReviewError(`${list}[${i}] is not an object`);
      if (typeof c.image !== 'string' || !c.image) throw new ReviewError(`${list}[${i}] (${typeof c.name === 'string' ? c.name : 'unnamed'}) has no image`);
      out.push({ list, name: typeof c.name === 'string' ? c.name : `#${i}`, image: c.image });
    });
  }
  return out;
}

/** The labels on the object itself (metadata.labels). */
export function objectLabels(object: Record<string, unknown>): Record<string, string> {
  const m = object.metadata;
  const labels = isObject(m) ? m.labels : undefined;
  if (!isObject(labels)) return {};
  return Object.fromEntries(Object.entries(labels).filter((e): e is [string, string] => typeof e[1] === 'string'));
}
