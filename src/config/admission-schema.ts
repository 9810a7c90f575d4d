import { z } from 'zod';
import { CLUSTER_NAME } from './workloads-schema.ts';

// The Kubernetes validating admission webhook (POST /k8s/admission; src/admission/).
// Mounted under the top-level key `admission` of configSchema.

const tlsSchema = z.object({
  /** the HTTPS listener's address; the API server reaches it through a Service */
  host: z.string().default('0.0.0.0'),
  port: z.number().int().min(0).max(65535).default(8443),
  /** PEM certificate (chain) and key, e.g. the tls.crt / tls.key of a cert-manager Secret */
  certFile: z.string().min(1),
  keyFile: z.string().min(1),
  /** how often the files are checked for a renewed pair */
  reloadIntervalMs: z.number().int().min(1000).default(60_000),
}).strict();

export const admissionSchema = z.object({
  /** answer AdmissionReviews at POST /k8s/admission (404 when false) */
  enabled: z.boolean().default(false),
  /** enforce: deny what fails; audit: never deny — what would be denied is allowed with a warning and recorded in the audit log */
  mode: z.enum(['enforce', 'audit']).default('enforce'),
  /**
   * an image with no stored verdict (or whose tag cannot be resolved to a digest):
   * deny; warn (allow with a warning); scan (queue a scan of the digest and deny — the next
   * attempt, e.g. the controller's retry, is judged by the verdict)
   */
  unscanned: z.enum(['deny', 'warn', 'scan']).default('warn'),
  /** namespaces never judged (the control plane's own; better still: a namespaceSelector in the webhook configuration) */
  exemptNamespaces: z.array(z.string().min(1).max(253)).default(['kube-system']),
  /** an object carrying any of these labels (key: value) is not judged, e.g. { "customs.dev/admission": "skip" } */
  exemptLabels: z.record(z.string().min(1).max(317), z.string().max(63)).default({}),
  /**
   * a tag Customs has not seen pushed is resolved with a manifest HEAD to its registry, waited for at
   * most this long (the API server's webhook timeout is short: 10 s by default, often less); 0 = never ask
   * the registry, tags are resolved from stored tags only
   */
  resolveTimeoutMs: z.number().int().min(0).max(10_000).default(1_500),
  /**
   * registries (host[:port], as in image references) whose tags may be resolved with a HEAD and whose
   * unscanned images may be queued for a scan: anything that can create a pod names the registry, so
   * without this list it could make Customs contact any host. Empty: stored data only.
   */
  registries: z.array(z.string().min(1).max(255).regex(/^[A-Za-z0-9.-]+(:\d{1,5})?$|^\[[0-9A-Fa-f:.]+\](:\d{1,5})?$/, 'host[:port]')).default([]),
  /** an HTTPS listener serving only the webhook (the API server calls webhooks over TLS); without it the webhook is on the main server's plain HTTP */
  tls: tlsSchema.optional(),
  /**
   * the name of the cluster whose API server calls this webhook: set, the workloads it admits (CREATE,
   * UPDATE) are recorded in the workload inventory under this name and removed on DELETE (src/admission/learn.ts)
   */
  cluster: z.string().regex(CLUSTER_NAME, 'a cluster name: lower-case letters, digits, ".", "_", "-", at most 63').optional(),
  /**
   * verdicts and tags are answered from memory (src/admission/verdict-index.ts): this process's verdict
   * changes apply at once, other processes' (replicas on a shared database) and tag pushes within this;
   * 0: no index, every review reads the database
   */
  indexRefreshMs: z.union([z.literal(0), z.number().int().min(100).max(60_000)]).default(1_000),
  /** largest AdmissionReview body accepted (the API server's own request limit is 3 MiB) */
  maxBodyBytes: z.number().int().min(1024).default(4 * 1024 * 1024),
}).strict().default({
  enabled: false, mode: 'enforce', unscanned: 'warn', exemptNamespaces: ['kube-system'], exemptLabels: {},
  resolveTimeoutMs: 1_500, registries: [], indexRefreshMs: 1_000, maxBodyBytes: 4 * 1024 * 1024,
});

export type AdmissionConfig = z.infer<typeof admissionSchema>;
export type AdmissionTls = z.infer<typeof tlsSchema>;
