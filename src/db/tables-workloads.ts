import { index, integer, primaryKey, sqliteTable, text } from 'drizzle-orm/sqlite-core';

/**
 * What runs in Kubernetes clusters, one row per (cluster, namespace, workload, container): imported
 * from `kubectl get pods,services,ingresses,httproutes -A -o json`, listed from the Kubernetes API, or
 * learned from admission requests (src/workloads/). The workload is the pod's
 * controller (a Deployment for pods of its ReplicaSets, a CronJob for its Jobs' pods) or the pod itself.
 */
export const workloads = sqliteTable('workloads', {
  cluster: text('cluster').notNull(),
  namespace: text('namespace').notNull(),
  /** Deployment | StatefulSet | DaemonSet | ReplicaSet | Job | CronJob | Pod | … */
  kind: text('kind').notNull(),
  name: text('name').notNull(),
  container: text('container').notNull(),
  /** the image as written in the pod spec */
  image: text('image').notNull(),
  /** the digest that runs (status.containerStatuses[].imageID); null before the image was pulled */
  digest: text('digest'),
  /** pods of this workload running the container at the last import */
  replicas: integer('replicas').notNull(),
  /** JSON object: the pod labels */
  labels: text('labels').notNull(),
  serviceAccount: text('service_account'),
  /** internet | internal: a LoadBalancer/NodePort Service, an Ingress or an HTTPRoute reaches it, or hostNetwork/hostPort */
  exposure: text('exposure').notNull(),
  /** JSON list: what exposes it ("Service/web (LoadBalancer)", "Ingress/web", "HTTPRoute/shop/web", "hostNetwork") */
  exposedBy: text('exposed_by').notNull(),
  /** the criticality label or annotation's value (priorities.criticalityLabel at the import; the label wins); null when absent */
  criticality: text('criticality'),
  firstSeenAt: integer('first_seen_at', { mode: 'timestamp_ms' }).notNull(),
  lastSeenAt: integer('last_seen_at', { mode: 'timestamp_ms' }).notNull(),
}, (t) => [primaryKey({ columns: [t.cluster, t.namespace, t.kind, t.name, t.container] }), index('workloads_digest').on(t.digest)]);
