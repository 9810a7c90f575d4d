import type { Config } from '../config/schema.ts';
import type { Database } from '../db/client.ts';
import type { RegistryClient } from '../registry/client.ts';
import type { Credentials } from '../registry/credentials.ts';
import { scanImage } from '../scan/scan-image.ts';
import { deadlineSignal } from '../util/deadline.ts';
import { log } from '../log.ts';
import type { ScanReport } from '../scan/types.ts';
import type { Job, JobStore } from './job-store.ts';
import { bytesPulled, toScanRecord } from '../scan/scan-record.ts';
import type { JobRunner } from './worker.ts';

/** Origin of explicit re-scans: they scan even when the digest already has a scan. */
export const RESCAN_ORIGIN = 'rescan';

export interface RunnerDeps {
  cfg: Config;
  database: Database;
  store: JobStore;
  /** the process's registry client (one per process: per-registry pools, credential and token caches) */
  registryClient: RegistryClient;
  /** after a new scan is stored: judge it (src/judge/judge.ts: verdict, actions, publication) */
  onScanned?: (job: Job, digest: string, report: ScanReport) => Promise<void>;
  /** credentials a caller handed over for this image's pull (Harbor's scan request), held in memory only */
  pullCredentials?: (image: { registry: string; repository: string; digest: string }) => Record<string, Credentials> | undefined;
}

/**
 * The job runner of `customs serve`: resolve a tag-only job to its digest, reuse an existing scan of
 * that digest (no duplicate work), else scan by digest and store the report with the job's lease.
 */
export function createJobRunner(deps: RunnerDeps): JobRunner {
  return async (job, owner) => {
    let digest = job.digest;
    if (!digest) {
      digest = await deps.registryClient.headManifest(job.registry, job.repository, job.tag ?? 'latest');
    }
    if (job.origin !== RESCAN_ORIGIN) {
      const existing = await deps.store.latestScanId(job.registry, job.repository, digest);
      if (existing) return { stored: await deps.store.linkExisting(job, owner, existing, digest), scanId: existing };
    }
    const credentials = deps.pullCredentials?.({ registry: job.registry, repository: job.repository, digest });
    const report = await scanImage(`${job.registry}/${job.repository}@${digest}`, {
      cfg: deps.cfg, database: deps.database, signal: deadlineSignal(deps.cfg.workers.scanTimeoutMs, 'the scan deadline, workers.scanTimeoutMs'),
      ...(credentials ? { credentials } : {}),
      client: deps.registryClient,
    });
    const record = toScanRecord(report);
    const stored = await deps.store.succeed(job, owner, record);
    if (stored && deps.onScanned) {
      // the scan is stored whatever the verdict step does: a failure here is logged, not retried as a scan
      try { await deps.onScanned(job, digest, report); } catch (e) { log.error({ jobId: job.id, err: (e as Error).message }, 'policy evaluation after the scan failed'); }
    }
    return { stored, scanId: job.id, bytes: bytesPulled(report) };
  };
}
