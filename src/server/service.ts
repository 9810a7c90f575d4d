import { serve } from '@hono/node-server';
import { keylessTrust } from '../signing/verify-keyless.ts';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Config } from '../config/schema.ts';
import { dialectOf, openDatabase, type Database } from '../db/client.ts';
import { Lease } from '../db/leases.ts';
import { CustomsError } from '../errors.ts';
import { log } from '../log.ts';
import { JobStore } from '../jobs/job-store.ts';
import { IntakeWriter } from '../jobs/intake.ts';
import { startIntakeThread } from '../jobs/intake-thread.ts';
import { PullCredentials } from '../harbor/pull-credentials.ts';
import { createJobRunner } from '../jobs/run-job.ts';
import { WorkerPool } from '../jobs/worker.ts';
import type { SnsOptions } from '../webhooks/sns.ts';
import { createApp } from './app.ts';
import { createMetrics } from '../metrics.ts';
import { startGate, type Gate } from '../gate/server.ts';
import { startAdmissionListener, type AdmissionListener } from '../admission/listener.ts';
import type { Job } from '../jobs/job-store.ts';
import { judge, judgeContext } from '../judge/judge.ts';
import { startPublisher, type Publisher } from '../publish/publisher.ts';
import { OutboxStore } from '../publish/outbox.ts';
import { signatureReevaluator } from '../judge/reevaluate-signed.ts';
import { startReevaluationWatcher } from '../judge/reevaluate.ts';
import { RegistryClient } from '../registry/client.ts';
import type { ScanReport } from '../scan/types.ts';
import { startVulnDbRefresh } from '../vulndb/refresh.ts';
import { VulnStore } from '../vulndb/store.ts';
import { WorkloadSync } from '../workloads/sync.ts';
import { AdvisoryNotifier } from '../notify/advisory-webhook.ts';
import type { AdmissionRuntime } from '../admission/routes.ts';

/** how long the intake thread waits for another writer's lock on the file (as the main connection does) */
const BUSY_WAIT_MS = 10_000;

export interface RunningService {
  port: number;
  /** the pull gate's port when gate.enabled */
  gatePort?: number;
  /** the admission webhook's HTTPS port when admission.tls is set */
  admissionPort?: number;
  database: Database;
  jobs: JobStore;
  workers: WorkerPool;
  /** drains the publication outbox (signed attestations, status tags) */
  publisher: Publisher;
  /** what the admission webhook runs beside its answers: the verdict index, the workload learner (admission.cluster set) */
  admissionRuntime?: AdmissionRuntime;
  /** the advisory notifications (notifications.webhooks set) */
  notifier?: AdvisoryNotifier;
  /** the Kubernetes API sync of workloads.clusters (nothing scheduled when none is configured) */
  workloadSync: WorkloadSync;
  /** stop accepting, stop claiming, finish or release running jobs, close the database */
  stop(): Promise<void>;
}

/** The whole service in this process: HTTP intake + API and the scan workers on one database. */
export async function startService(cfg: Config, opts: { snsFetch?: SnsOptions['fetch']; vulndbRefresh?: boolean } = {}): Promise<RunningService> {
  const trust = keylessTrust(cfg); // before anything is opened: a bad file fails the start cleanly
  if (dialectOf(cfg.database.url!) === 'postgres' && !cfg.signing.keyFile) {
    // replicas share one database: a key generated into each one's data directory would sign the
    // same verdicts with different keys, and deploy tools trust one
    throw new CustomsError('config', 'with database.url postgres:// (several replicas) set signing.keyFile to an ECDSA P-256 key every replica reads (e.g. a Kubernetes Secret); Customs does not generate one per replica');
  }
  const database = await openDatabase(cfg);
  const jobs = new JobStore(database);
  const metrics = createMetrics(() => jobs.countByState(), () => new OutboxStore(database).depth());
  const registryClient = new RegistryClient(cfg);
  const publisher = await startPublisher(cfg, database, registryClient);
  // the one context every verdict of this process is reached with: new scans, re-evaluations,
  // signature pushes and releases honour the same switches (policy.actions, trust root, publishing)
  // a newly published advisory in an image an internet-facing workload runs: the webhooks are told (notifications.webhooks)
  const notifier = cfg.notifications.webhooks.length ? new AdvisoryNotifier({ database, targets: cfg.notifications.webhooks }) : undefined;
  const ctx = judgeContext(cfg, database, registryClient, { trust, onPublicationQueued: () => publisher.wake(), ...(notifier ? { onNewFindings: (image, added) => notifier.newFindings(image, added) } : {}) });
  const onScanned = async (job: Job, digest: string, report: ScanReport) => {
    await judge(ctx, { registry: job.registry, repository: job.repository, digest, ...(job.tag ? { tag: job.tag } : {}) }, report, job.id, { findingsChanged: true });
  };
  // Harbor's per-request registry credentials: handed from the API to the workers in memory only
  const pullCredentials = new PullCredentials();
  const workers = new WorkerPool({ store: jobs, cfg: cfg.workers, run: createJobRunner({ cfg, database, store: jobs, registryClient, onScanned, pullCredentials: (image) => pullCredentials.get(image) }), metrics });
  const signatures = signatureReevaluator(ctx);
  // PostgreSQL: a queued job wakes every replica's workers at once (NOTIFY), not at their next poll
  const JOBS_CHANNEL = 'customs_jobs';
  const stopListening = database.signals?.listen(JOBS_CHANNEL, () => workers.notify());
  const onQueued = () => {
    workers.notify();
    database.signals?.notify(JOBS_CHANNEL).catch((e: Error) => log.warn({ err: e.message }, 'could not notify the other replicas of a queued job'));
  };
  // what runs in the clusters Customs can reach (workloads.clusters): listed at start and every intervalMs
  const workloadSync = new WorkloadSync({ database, clusters: cfg.workloads.clusters, criticalityKey: cfg.priorities.criticalityLabel,
    lease: (cluster, ttlMs) => new Lease(database, `workload-sync:${cluster}`, workers.owner, ttlMs) });
  let admissionRuntime: AdmissionRuntime | undefined;
  // the embedded file: webhook groups are written by a thread of their own (no fsync on this event loop)
  const intakeThread = database.url.startsWith('file:') ? startIntakeThread(database.url, cfg.workers.maxAttempts, BUSY_WAIT_MS) : undefined;
  const intake = new IntakeWriter(database, cfg.workers.maxAttempts, intakeThread?.write);
  const app = createApp({ database, cfg, jobs, metrics, judge: ctx, pullCredentials, registryClient, onQueued, intake, onSignature: signatures.onSignature, onAdmission: (a) => { admissionRuntime = a; }, workloadSync, ...(opts.snsFetch ? { snsFetch: opts.snsFetch } : {}) });
  let server: Server;
  try {
    server = await new Promise<Server>((resolve, reject) => {
      const s = serve({ fetch: app.fetch, hostname: cfg.server.host, port: cfg.server.port }, () => resolve(s as Server)) as Server;
      s.once('error', (e: any) => reject(new CustomsError('config', `cannot listen on ${cfg.server.host}:${cfg.server.port}: ${e.code ?? e.message}`)));
    });
  } catch (e) {
    await publisher.stop();
    await admissionRuntime?.close();
    database.close();
    throw e;
  }
  let gate: Gate | undefined;
  try {
    // a digest pulled where Customs has no verdict for it is queued for a scan (gate.scanOnPull)
    const scanUnseen = async (image: { registry: string; repository: string; digest: string }) => {
      const { job, fresh } = await jobs.enqueue({ ...image, origin: 'gate' }, cfg.workers.maxAttempts);
      if (fresh) { log.info({ ...image, jobId: job.id }, 'gate queued a scan of a digest pulled where it has no verdict'); onQueued(); }
    };
    if (cfg.gate.enabled) gate = await startGate(cfg.gate, database, { scanUnseen });
  } catch (e) {
    server.close();
    await publisher.stop();
    await admissionRuntime?.close();
    database.close();
    throw new CustomsError('config', `cannot start the pull gate on ${cfg.gate.host}:${cfg.gate.port}: ${(e as { code?: string }).code ?? (e as Error).message}`);
  }
  let admission: AdmissionListener | undefined;
  try {
    if (cfg.admission.enabled && cfg.admission.tls) admission = await startAdmissionListener(cfg.admission.tls, app.fetch);
  } catch (e) {
    server.close();
    await gate?.close();
    await publisher.stop();
    await admissionRuntime?.close();
    database.close();
    throw new CustomsError('config', `cannot start the admission webhook's HTTPS listener: ${(e as { code?: string }).code ?? (e as Error).message}`);
  }
  // Tasks one replica runs at a time, under database leases (a dead holder's lapse; another takes over).
  const owner = workers.owner;
  const watchLease = new Lease(database, 'reevaluation', owner, Math.max(3 * cfg.policy.reevaluateIntervalMs, 5_000));
  const stopWatcher = startReevaluationWatcher(ctx, new VulnStore(database), cfg.policy.reevaluateIntervalMs, cfg.policy.unjudgedAfterMs, watchLease);
  workers.start();
  // The vulnerability data refresh schedule (customs serve only: tests and embedders opt in).
  const refreshLease = new Lease(database, 'vulndb-refresh', owner, Math.max(cfg.vulndb.refreshIntervalMs, 600_000) + 600_000);
  const refresh = opts.vulndbRefresh && cfg.workers.vulndbRefresh ? startVulnDbRefresh(cfg, new VulnStore(database), { lease: refreshLease }) : undefined;
  workloadSync.start();
  let stopped: Promise<void> | undefined;
  return {
    port: (server.address() as AddressInfo).port, database, jobs, workers, publisher, workloadSync,
    ...(admissionRuntime ? { admissionRuntime } : {}),
    ...(notifier ? { notifier } : {}),
    ...(gate ? { gatePort: gate.address().port } : {}),
    ...(admission ? { admissionPort: admission.port } : {}),
    stop: () => stopped ??= (async () => {
      const closed = new Promise<void>((r) => server.close(() => r()));
      server.closeIdleConnections();
      stopWatcher();
      stopListening?.();
      signatures.stop();
      await workloadSync.stop();
      await refresh?.stop();
      await refreshLease.release().catch(() => {});
      await gate?.close();
      await admission?.close();
      await admissionRuntime?.close();
      await workers.stop();
      await notifier?.stop();
      await publisher.stop();
      server.closeAllConnections();
      await closed;
      await intakeThread?.close();
      await registryClient.close();
      database.close();
    })(),
  };
}
