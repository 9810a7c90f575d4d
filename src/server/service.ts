import { readFileSync } from 'node:fs';
import { serve } from '@hono/node-server';
import type { TrustMaterial } from '@sigstore/verify';
import { publicGoodRoot, trustFromRoot } from '../signing/verify-keyless.ts';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Config } from '../config/schema.ts';
import { openDatabase, type Database } from '../db/client.ts';
import { CustomsError } from '../errors.ts';
import { JobStore } from '../jobs/job-store.ts';
import { createJobRunner } from '../jobs/run-job.ts';
import { WorkerPool } from '../jobs/worker.ts';
import type { SnsOptions } from '../webhooks/sns.ts';
import { createApp } from './app.ts';
import { createMetrics } from './metrics.ts';
import { startGate, type Gate } from '../gate/server.ts';
import type { Job } from '../jobs/job-store.ts';
import { enforce } from '../quarantine/enforce.ts';
import { attestAfterScan } from '../attest/after-scan.ts';
import { signatureReevaluator } from '../signing/reevaluate-signed.ts';
import { startReevaluationWatcher } from '../quarantine/reevaluate.ts';
import { RegistryClient } from '../registry/client.ts';
import type { ScanReport } from '../scan/types.ts';
import { startVulnDbRefresh } from '../vulndb/refresh.ts';
import { VulnStore } from '../vulndb/store.ts';

/** The configured trusted root for keyless signatures; a bad file stops the start with a clear error. */
function keylessTrust(cfg: Config): TrustMaterial | undefined {
  const root = cfg.signing.trustedRoot;
  if (root === 'none') return undefined;
  try {
    return trustFromRoot(root === 'public-good' ? publicGoodRoot() : readFileSync(root));
  } catch (e) {
    throw new CustomsError('config', `signing.trustedRoot ${root}: ${(e as { code?: string }).code ?? (e as Error).message}`);
  }
}

export interface RunningService {
  port: number;
  /** the pull gate's port when gate.enabled */
  gatePort?: number;
  database: Database;
  jobs: JobStore;
  workers: WorkerPool;
  /** stop accepting, stop claiming, finish or release running jobs, close the database */
  stop(): Promise<void>;
}

/** The whole service in this process: HTTP intake + API and the scan workers on one database. */
export async function startService(cfg: Config, opts: { snsFetch?: SnsOptions['fetch']; vulndbRefresh?: boolean } = {}): Promise<RunningService> {
  const trust = keylessTrust(cfg); // before anything is opened: a bad file fails the start cleanly
  const database = await openDatabase(cfg);
  const jobs = new JobStore(database);
  const metrics = createMetrics(() => jobs.countByState());
  const registryClient = new RegistryClient(cfg);
  const actions = { client: registryClient, ...(trust ? { trust } : {}) };
  // without policy actions verdicts are still judged, signatures included: same trusted root
  const judgeOnly = { ...actions, dryRun: true };
  // verdict after every new scan; actions only when configured (a verdict is always recorded)
  const onScanned = async (job: Job, digest: string, report: ScanReport) => {
    const { verdict } = await enforce({ database, actions: cfg.policy.actions ? actions : judgeOnly }, { registry: job.registry, repository: job.repository, digest, ...(job.tag ? { tag: job.tag } : {}) }, report, job.id);
    await attestAfterScan(cfg, registryClient, { registry: job.registry, repository: job.repository, digest }, report, verdict, database);
  };
  const workers = new WorkerPool({ store: jobs, cfg: cfg.workers, run: createJobRunner({ cfg, database, store: jobs, onScanned }), metrics });
  const app = createApp({ database, cfg, jobs, metrics, registryClient, onQueued: () => workers.notify(), onSignature: signatureReevaluator({ database, actions: cfg.policy.actions ? actions : judgeOnly }), ...(opts.snsFetch ? { snsFetch: opts.snsFetch } : {}) });
  let server: Server;
  try {
    server = await new Promise<Server>((resolve, reject) => {
      const s = serve({ fetch: app.fetch, hostname: cfg.server.host, port: cfg.server.port }, () => resolve(s as Server)) as Server;
      s.once('error', (e: any) => reject(new CustomsError('config', `cannot listen on ${cfg.server.host}:${cfg.server.port}: ${e.code ?? e.message}`)));
    });
  } catch (e) {
    database.close();
    throw e;
  }
  let gate: Gate | undefined;
  try {
    if (cfg.gate.enabled) gate = await startGate(cfg.gate, database);
  } catch (e) {
    server.close();
    database.close();
    throw new CustomsError('config', `cannot start the pull gate on ${cfg.gate.host}:${cfg.gate.port}: ${(e as { code?: string }).code ?? (e as Error).message}`);
  }
  const stopWatcher = startReevaluationWatcher({ database, actions, store: new VulnStore(database) }, cfg.policy.reevaluateIntervalMs);
  workers.start();
  // The vulnerability data refresh schedule (customs serve only: tests and embedders opt in).
  const refresh = opts.vulndbRefresh && cfg.workers.vulndbRefresh ? startVulnDbRefresh(cfg, new VulnStore(database)) : undefined;
  let stopped: Promise<void> | undefined;
  return {
    port: (server.address() as AddressInfo).port, database, jobs, workers,
    ...(gate ? { gatePort: gate.address().port } : {}),
    stop: () => stopped ??= (async () => {
      const closed = new Promise<void>((r) => server.close(() => r()));
      server.closeIdleConnections();
      stopWatcher();
      await refresh?.stop();
      await gate?.close();
      await workers.stop();
      server.closeAllConnections();
      await closed;
      await registryClient.close();
      database.close();
    })(),
  };
}
