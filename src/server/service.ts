import { serve } from '@hono/node-server';
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

export interface RunningService {
  port: number;
  database: Database;
  jobs: JobStore;
  workers: WorkerPool;
  /** stop accepting, stop claiming, finish or release running jobs, close the database */
  stop(): Promise<void>;
}

/** The whole service in this process: HTTP intake + API and the scan workers on one database. */
export async function startService(cfg: Config, opts: { snsFetch?: SnsOptions['fetch'] } = {}): Promise<RunningService> {
  const database = await openDatabase(cfg);
  const jobs = new JobStore(database);
  const metrics = createMetrics(() => jobs.countByState());
  const workers = new WorkerPool({ store: jobs, cfg: cfg.workers, run: createJobRunner({ cfg, database, store: jobs }), metrics });
  const app = createApp({ database, cfg, jobs, metrics, onQueued: () => workers.notify(), ...(opts.snsFetch ? { snsFetch: opts.snsFetch } : {}) });
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
  workers.start();
  let stopped: Promise<void> | undefined;
  return {
    port: (server.address() as AddressInfo).port, database, jobs, workers,
    stop: () => stopped ??= (async () => {
      const closed = new Promise<void>((r) => server.close(() => r()));
      server.closeIdleConnections();
      await workers.stop();
      server.closeAllConnections();
      await closed;
      database.close();
    })(),
  };
}
