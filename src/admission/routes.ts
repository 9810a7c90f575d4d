// POST /k8s/admission: the ValidatingAdmissionWebhook endpoint. Parses and hands over (./admit.ts);
// a body that is not an AdmissionReview v1 is a 400 with the reason (the API server then applies the
// webhook's failurePolicy), never a 500.
import type { Hono } from 'hono';
import type { Config } from '../config/schema.ts';
import type { Database } from '../db/client.ts';
import { VerdictLookup } from '../gate/lookup.ts';
import type { JobStore } from '../jobs/job-store.ts';
import { log } from '../log.ts';
import { PolicyStore } from '../policy/store.ts';
import type { RegistryClient } from '../registry/client.ts';
import { problem } from '../http/problem.ts';
import { jsonBody } from '../http/json-body.ts';
import { admit } from './admit.ts';
import { WorkloadLearner } from './learn.ts';
import { VerdictIndex } from './verdict-index.ts';
import { parseReview, ReviewError } from './review.ts';

export interface AdmissionRouteDeps {
  cfg: Config;
  database: Database;
  jobs: JobStore;
  registry?: RegistryClient;
  onQueued?: () => void;
  /** hands out what the webhook runs beside its answers (the verdict index, the workload learner), for shutdown and tests */
  onStarted?: (admission: AdmissionRuntime) => void;
}

export interface AdmissionRuntime {
  /** the in-memory verdicts and tags (admission.enabled) */
  index?: VerdictIndex;
  /** workloads learned from admission requests (admission.cluster set) */
  learner?: WorkloadLearner;
  /** stop refreshing the index, finish writing what was learned */
  close(): Promise<void>;
}

export function mountAdmission(app: Hono, deps: AdmissionRouteDeps): void {
  const cfg = deps.cfg.admission;
  const lookup = new VerdictLookup(deps.database);
  const policies = new PolicyStore(deps.database);
  // verdicts and tags from memory (the database for what it does not hold)
  const index = cfg.enabled && cfg.indexRefreshMs > 0 ? new VerdictIndex(deps.database, lookup, { refreshMs: cfg.indexRefreshMs }) : undefined;
  if (index) void index.refresh();
  const admitDeps = {
    cfg, verdicts: index ?? lookup, ...(index ? { tags: index } : {}), database: deps.database, timeoutMs: cfg.resolveTimeoutMs,
    mayAsk: (r: string) => cfg.registries.includes(r),
    ...(deps.registry ? { registry: deps.registry } : {}),
    queueScan: async (image: { registry: string; repository: string; digest?: string; tag?: string }) => {
      const { job, fresh } = await deps.jobs.enqueue({ ...image, origin: 'admission' }, deps.cfg.workers.maxAttempts);
      if (fresh) { log.info({ ...image, jobId: job.id }, 'admission queued a scan of an unscanned image'); deps.onQueued?.(); }
    },
    record: (e: { subject: string; reason: string; details: Record<string, unknown> }) =>
      policies.audit({ actor: 'admission', action: 'admission.audit', subject: e.subject, reason: e.reason, details: e.details }),
  };

  // admission.cluster: what is admitted is recorded in the workload inventory, after the answer
  const learner = cfg.enabled && cfg.cluster ? new WorkloadLearner({ database: deps.database, cluster: cfg.cluster, criticalityKey: deps.cfg.priorities.criticalityLabel }) : undefined;
  deps.onStarted?.({
    ...(index ? { index } : {}), ...(learner ? { learner } : {}),
    close: async () => { await index?.close(); await learner?.idle(); },
  });

  app.post('/k8s/admission', async (c) => {
    if (!cfg.enabled) return problem(c, 404, 'Not Found', 'the admission webhook is not enabled (admission.enabled)');
    const body = await jsonBody(c, { maxBytes: cfg.maxBodyBytes, maxDepth: deps.cfg.limits.maxJsonDepth, what: 'AdmissionReview', setting: 'admission.maxBodyBytes' });
    if (body instanceof Response) return body;
    let review;
    try {
      review = parseReview(body.value);
    } catch (e) {
      if (e instanceof ReviewError) return problem(c, 400, 'Bad Request', e.message);
      throw e;
    }
    let answer;
    try {
      answer = await admit(review, admitDeps);
    } catch (e) {
      // a workload whose pod spec is malformed (no template, containers not a list…)
      if (e instanceof ReviewError) return problem(c, 400, 'Bad Request', e.message);
      throw e;
    }
    if (learner && answer.response.allowed && !review.dryRun) learner.enqueue(review, answer.images);
    return c.json({ apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', response: answer.response });
  });
}
