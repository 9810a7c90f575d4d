import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Hono } from 'hono';
import { configSchema, type Config } from '../config/schema.ts';
import { appliedMigrations, pingDatabase, shippedMigrations, type Database } from '../db/client.ts';
import { isCustomsError } from '../errors.ts';
import { IntakeWriter } from '../jobs/intake.ts';
import { JobStore } from '../jobs/job-store.ts';
import { log } from '../log.ts';
import type { SnsOptions } from '../webhooks/sns.ts';
import { VERSION } from '../version.ts';
import { requireRole } from '../http/api-auth.ts';
import { mountApi } from './api-routes.ts';
import { createMetrics, type Metrics } from '../metrics.ts';
import { customsProblem, problem } from '../http/problem.ts';
import { mountWebhooks } from './webhook-routes.ts';
import { mountPolicyApi } from './policy-routes.ts';
import { mountSigningRoutes } from './signing-routes.ts';
import { RegistryClient } from '../registry/client.ts';
import { judgeContext, type JudgeContext } from '../judge/judge.ts';
import { mountHarbor } from '../harbor/routes.ts';
import { mountConsole } from '../console/routes.ts';
import { PullCredentials } from '../harbor/pull-credentials.ts';
import { mountAdmission } from '../admission/routes.ts';
import type { AdmissionRuntime } from '../admission/routes.ts';
import type { WorkloadSync } from '../workloads/sync.ts';
import { mountWorkloads } from '../workloads/routes.ts';
import { mountPriorities } from '../priorities/routes.ts';
import { mountFamilies } from '../priorities/lineage-routes.ts';

export interface AppDeps {
  database: Database;
  cfg?: Config;
  jobs?: JobStore;
  /** webhook intake writer (default: one writing in this thread) */
  intake?: IntakeWriter;
  metrics?: Metrics;
  /** called when a delivery or API call queued a new job (wakes the workers) */
  onQueued?: () => void;
  /** the verdict context (release undoes actions and re-publishes); one is made from cfg when absent */
  judge?: JudgeContext;
  /** GET used for SNS certificates and subscription confirmation (tests) */
  snsFetch?: SnsOptions['fetch'];
  /** registry credentials Harbor scan requests hand over, for the workers (one is made when absent) */
  pullCredentials?: PullCredentials;
  /** the registry client tags are resolved with at admission (admission.registries only) */
  registryClient?: RegistryClient;
  /** a signature for an image was pushed (`.sig` tag or referrers fallback index): judge it again */
  onSignature?: (image: { registry: string; repository: string; digest: string }) => void;
  /** the Kubernetes API sync of workloads.clusters (GET /api/v1/workloads/clusters shows its status) */
  workloadSync?: Pick<WorkloadSync, 'status'>;
  /** what the admission webhook runs beside its answers (verdict index, workload learner), handed to the service for shutdown */
  onAdmission?: (admission: AdmissionRuntime) => void;
}

/** The HTTP API. Routes parse, authenticate and hand over; no business logic here. */
export function createApp(deps: AppDeps): Hono {
  const cfg = deps.cfg ?? configSchema.parse({});
  const jobs = deps.jobs ?? new JobStore(deps.database);
  const metrics = deps.metrics ?? createMetrics(() => jobs.countByState());
  const intake = deps.intake ?? new IntakeWriter(deps.database, cfg.workers.maxAttempts);
  const migrations = shippedMigrations(deps.database.dialect);
  const app = new Hono();

  // A request id in every log line of the request (taken from X-Request-Id when sent).
  app.use('*', async (c, next) => {
    const id = c.req.header('x-request-id')?.slice(0, 100) ?? crypto.randomUUID();
    c.header('x-request-id', id);
    const started = performance.now();
    await next();
    if (c.res.status >= 400 || log.isLevelEnabled('debug')) {
      log[c.res.status >= 500 ? 'warn' : 'debug']({ requestId: id, method: c.req.method, path: c.req.path, status: c.res.status, ms: Math.round(performance.now() - started) }, 'request');
    }
  });

  app.get('/healthz', async (c) => {
    try {
      await pingDatabase(deps.database);
      return c.json({ status: 'ok', version: VERSION });
    } catch {
      return c.json({ status: 'unhealthy', reason: 'database unavailable' }, 503);
    }
  });
  app.get('/readyz', async (c) => {
    try {
      const applied = await appliedMigrations(deps.database);
      if (applied < migrations) return c.json({ status: 'not ready', reason: `${applied} of ${migrations} migrations applied` }, 503);
      return c.json({ status: 'ready', migrations: applied });
    } catch {
      return c.json({ status: 'not ready', reason: 'database unavailable' }, 503);
    }
  });
  app.get('/metrics', requireRole(cfg.api, 'reader'), async (c) =>
    c.body(await metrics.registry.metrics(), 200, { 'content-type': metrics.registry.contentType }));

  mountWebhooks(app, { cfg, intake, metrics, ...(deps.onQueued ? { onQueued: deps.onQueued } : {}), ...(deps.snsFetch ? { snsFetch: deps.snsFetch } : {}), ...(deps.onSignature ? { onSignature: deps.onSignature } : {}) });
  mountApi(app, { cfg, database: deps.database, jobs, ...(deps.onQueued ? { onQueued: deps.onQueued } : {}) });
  const judge = deps.judge ?? judgeContext(cfg, deps.database, deps.registryClient ?? new RegistryClient(cfg));
  mountPolicyApi(app, { cfg, database: deps.database, judge });
  mountSigningRoutes(app, { cfg, database: deps.database });
  // the operator console at / (server-rendered pages; src/console/)
  if (cfg.console.enabled) mountConsole(app, { cfg, database: deps.database, jobs, judge, ...(deps.onQueued ? { onQueued: deps.onQueued } : {}) });
  // the Kubernetes validating admission webhook (src/admission/; 404 unless admission.enabled)
  mountAdmission(app, { cfg, database: deps.database, jobs, ...(deps.registryClient ? { registry: deps.registryClient } : {}), ...(deps.onQueued ? { onQueued: deps.onQueued } : {}), ...(deps.onAdmission ? { onStarted: deps.onAdmission } : {}) });
  // what runs in Kubernetes clusters, imported from kubectl output (src/workloads/)
  mountWorkloads(app, { cfg, database: deps.database, ...(deps.workloadSync ? { sync: deps.workloadSync } : {}) });
  // what to fix first across the fleet: findings of running images scored and grouped into upgrades (src/priorities/)
  mountPriorities(app, { cfg, database: deps.database });
  mountFamilies(app, { cfg, database: deps.database });
  if (cfg.harbor.enabled) mountHarbor(app, { cfg, database: deps.database, jobs, credentials: deps.pullCredentials ?? new PullCredentials(), ...(deps.onQueued ? { onQueued: deps.onQueued } : {}) });

  app.notFound((c) => problem(c, 404, 'Not Found', `no route ${c.req.method} ${c.req.path}`));
  // the one place a thrown error becomes an answer: a CustomsError by its kind (errors.ts), anything else 500
  app.onError((err, c) => {
    if (isCustomsError(err)) return customsProblem(c, err);
    log.error({ err: err.message, path: c.req.path }, 'unhandled error in a route');
    return problem(c, 500, 'Internal Server Error', 'internal error');
  });
  return app;
}
