import { z } from 'zod';

// What runs in Kubernetes (src/workloads/): the clusters Customs lists itself with the Kubernetes API.
// Mounted under the top-level key `workloads` of configSchema.

/** a cluster's name, as in POST /api/v1/workloads?cluster= and the workloads table */
export const CLUSTER_NAME = /^[a-z0-9]([a-z0-9._-]{0,61}[a-z0-9])?$/;

const clusterSchema = z.object({
  name: z.string().regex(CLUSTER_NAME, 'lower-case letters, digits, ".", "_", "-", at most 63 (a cluster name)'),
  /** a kubeconfig file (its current context, or `context`); the credentials in it are never logged */
  kubeconfig: z.string().min(1).optional(),
  /** the context of the kubeconfig to use (default: its current-context) */
  context: z.string().min(1).optional(),
  /** Customs runs in this cluster: its service account (KUBERNETES_SERVICE_HOST, the mounted token and CA) */
  inCluster: z.literal(true).optional(),
  /** how often the cluster is listed */
  intervalMs: z.number().int().min(5_000).max(24 * 3600_000).default(300_000),
  /** one list request (one page) may take this long before the sync of the cluster fails */
  timeoutMs: z.number().int().min(100).max(600_000).default(30_000),
}).strict().superRefine((c, ctx) => {
  if (!c.kubeconfig === !c.inCluster) {
    ctx.addIssue({ code: 'custom', message: `cluster "${c.name}": give either kubeconfig: <path> or inCluster: true (exactly one)`, path: ['kubeconfig'] });
  }
  if (c.context && !c.kubeconfig) ctx.addIssue({ code: 'custom', message: `cluster "${c.name}": context needs kubeconfig`, path: ['context'] });
});

export const workloadsSchema = z.object({
  /** clusters listed periodically (pods, services, ingresses, Gateway API HTTPRoutes); empty: imports only */
  clusters: z.array(clusterSchema).max(100).default([]).superRefine((cs, ctx) => {
    const seen = new Set<string>();
    cs.forEach((c, i) => {
      if (seen.has(c.name)) ctx.addIssue({ code: 'custom', message: `cluster name "${c.name}" is given twice`, path: [i, 'name'] });
      seen.add(c.name);
    });
  }),
}).strict().default({ clusters: [] });

export type WorkloadsConfig = z.infer<typeof workloadsSchema>;
export type ClusterConfig = z.infer<typeof clusterSchema>;
