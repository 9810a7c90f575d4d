import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import PQueue from 'p-queue';
import type { WorkersConfig } from '../config/service-schema.ts';
import { log } from '../log.ts';
import { backoffDelay } from '../registry/http.ts';
import type { Metrics } from '../metrics.ts';
import { JobStore, type Job } from './job-store.ts';
import { classifyFailure } from './retry-policy.ts';

// The worker pool of one process: claims due jobs with a lease while it has capacity (p-queue for the
// global limit, a per-registry count passed to the claim so one registry cannot take every slot),
// renews leases while scanning, and records success, a retry with backoff, or a final failure.

/** What running one job means: scan (or find an existing scan) and store it; false = lease lost. */
export type JobRunner = (job: Job, owner: string) => Promise<{ stored: boolean; scanId: string; bytes?: number }>;

export class WorkerPool {
  readonly owner = `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
  private readonly store: JobStore;
  private readonly cfg: WorkersConfig;
  private readonly run: JobRunner;
  private readonly metrics: Metrics | undefined;
  private readonly queue: PQueue;
  private readonly perRegistry = new Map<string, number>();
  private readonly inFlight = new Map<string, Job>();
  private stopping = false;
  private wake: (() => void) | undefined;
  private loop: Promise<void> | undefined;

  constructor(deps: { store: JobStore; cfg: WorkersConfig; run: JobRunner; metrics?: Metrics }) {
    this.store = deps.store;
    this.cfg = deps.cfg;
    this.run = deps.run;
    this.metrics = deps.metrics;
    this.queue = new PQueue({ concurrency: Math.max(1, deps.cfg.concurrency) });
  }

  start(): void {
    if (this.cfg.concurrency === 0 || this.loop) return;
    this.loop = this.claimLoop();
  }

  /** A new job was queued: look now rather than at the next poll. */
  notify(): void { this.wake?.(); }

  /** Stop claiming; wait up to shutdownMs for running jobs, then release the leases of the rest. */
  async stop(): Promise<void> {
    this.stopping = true;
    this.wake?.();
    await this.loop;
    const idle = this.queue.onIdle();
    const timer = new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), this.cfg.shutdownMs).unref());
    if (await Promise.race([idle.then(() => 'idle' as const), timer]) === 'timeout') {
      for (const job of this.inFlight.values()) {
        const released = await this.store.release(job, this.owner).catch(() => false);
        log.info({ jobId: job.id, released }, 'job released at shutdown');
      }
    }
  }

  private busyRegistries(): string[] {
    return [...this.perRegistry].filter(([, n]) => n >= this.cfg.perRegistry).map(([r]) => r);
  }

  private async claimLoop(): Promise<void> {
    while (!this.stopping) {
      let claimed: Job | undefined;
      if (this.queue.pending + this.queue.size < this.cfg.concurrency) {
        try {
          claimed = await this.store.claim(this.owner, this.cfg.leaseMs, this.busyRegistries());
        } catch (e) {
          log.warn({ err: (e as Error).message }, 'claiming a job failed');
        }
      }
      if (claimed) {
        const job = claimed;
        this.inFlight.set(job.id, job);
        this.perRegistry.set(job.registry, (this.perRegistry.get(job.registry) ?? 0) + 1);
        void this.queue.add(() => this.execute(job)).finally(() => {
          this.inFlight.delete(job.id);
          const n = (this.perRegistry.get(job.registry) ?? 1) - 1;
          if (n <= 0) this.perRegistry.delete(job.registry); else this.perRegistry.set(job.registry, n);
          this.wake?.();
        });
        continue;
      }
      await new Promise<void>((resolve) => {
        const t = setTimeout(done, this.cfg.pollMs);
        function done() { clearTimeout(t); resolve(); }
        this.wake = () => { this.wake = undefined; done(); };
      });
    }
  }

  private async execute(job: Job): Promise<void> {
    const jlog = log.child({ jobId: job.id, registry: job.registry, repository: job.repository, digest: job.digest ?? undefined, attempt: job.attempts });
    const started = performance.now();
    // Renew at a third of the lease so two missed renewals still leave time.
    const renew = setInterval(() => {
      this.store.renew(job.id, this.owner, this.cfg.leaseMs)
        .then((ok) => { if (!ok) jlog.warn('lease lost; the result will be discarded'); })
        .catch((e) => jlog.warn({ err: (e as Error).message }, 'lease renewal failed'));
    }, Math.max(100, Math.floor(this.cfg.leaseMs / 3)));
    try {
      jlog.info('scan started');
      const r = await this.run(job, this.owner);
      const seconds = (performance.now() - started) / 1000;
      this.metrics?.scanDuration.observe({ result: 'succeeded' }, seconds);
      this.metrics?.jobsFinished.inc({ result: r.stored ? 'succeeded' : 'lease-lost' });
      if (r.bytes) this.metrics?.bytesPulled.inc({ registry: job.registry }, r.bytes);
      jlog.info({ scanId: r.scanId, stored: r.stored, seconds: Math.round(seconds * 1000) / 1000 }, 'scan finished');
    } catch (e) {
      const failure = classifyFailure(e);
      if (['unreachable', 'registry', 'auth', 'digest-mismatch', 'not-found'].includes(failure.kind)) this.metrics?.registryErrors.inc({ registry: job.registry, kind: failure.kind });
      if (this.stopping && failure.retryable) {
        await this.store.release(job, this.owner).catch(() => undefined);
        return;
      }
      const wait = backoffDelay(job.attempts - 1, { backoffMs: this.cfg.backoffMs, maxBackoffMs: this.cfg.maxBackoffMs });
      const state = await this.store.fail(job, this.owner, failure, wait).catch((e2) => { jlog.error({ err: (e2 as Error).message }, 'recording the failure failed'); return undefined; });
      this.metrics?.scanDuration.observe({ result: 'failed' }, (performance.now() - started) / 1000);
      this.metrics?.jobsFinished.inc({ result: state === 'queued' ? 'retry' : 'failed' });
      jlog.warn({ kind: failure.kind, err: failure.message, next: state, retryInMs: state === 'queued' ? wait : undefined }, 'scan failed');
    } finally {
      clearInterval(renew);
    }
  }
}
