import { randomUUID } from 'node:crypto';
import type { InStatement, Row } from '@libsql/client';
import type { Database } from '../db/client.ts';
import { forUpdate, skipLocked } from '../db/dialect.ts';
import { multiRow, type Guard } from '../db/statements.ts';
import type { RegistryEvent } from '../webhooks/event.ts';
import { imageScannedStatements } from '../scan/image-store.ts';
import type { ScanRecord } from '../scan/scan-record.ts';
import { ScanStore, scanRecordedStatement } from '../scan/scan-store.ts';

export type { ScanRecord };

// Durable scan jobs. Every state change is one SQL statement (or one batch = one transaction) whose
// WHERE clause checks state and lease owner, so several Customs processes can share the database:
// a job is claimed by exactly one worker, and only the lease holder can finish it.

export type JobState = 'queued' | 'running' | 'succeeded' | 'failed';
export const JOB_STATES: readonly JobState[] = ['queued', 'running', 'succeeded', 'failed'];

export interface Job {
  id: string;
  state: JobState;
  registry: string;
  repository: string;
  digest: string | null;
  tag: string | null;
  origin: string;
  attempts: number;
  maxAttempts: number;
  nextRunAt: number;
  leaseOwner: string | null;
  leaseExpiresAt: number | null;
  lastError: string | null;
  lastErrorKind: string | null;
  scanId: string | null;
  createdAt: number;
  updatedAt: number;
  finishedAt: number | null;
}

export interface NewJob {
  registry: string;
  repository: string;
  digest?: string | undefined;
  tag?: string | undefined;
  origin: string;
  /** skip de-duplication (explicit re-scan) */
  force?: boolean;
}


export function dedupKey(j: { registry: string; repository: string; digest?: string | null | undefined }): string | null {
  return j.digest ? `${j.registry}/${j.repository}@${j.digest}` : null;
}

/** Statements that add a job unless the same image already has one; the last returns {job_id, fresh}. */
export function enqueueStatements(j: NewJob, now: number, maxAttempts: number): { id: string; statements: InStatement[] } {
  const id = randomUUID();
  const key = j.force ? null : dedupKey(j);
  return {
    id,
    statements: [
      {
        sql: `INSERT INTO jobs (id, state, registry, repository, digest, tag, origin, dedup_key, attempts, max_attempts, next_run_at, created_at, updated_at)
              VALUES (?, 'queued', ?, ?, ?, ?, ?, ?, 0, ?, ?, ?, ?) ON CONFLICT DO NOTHING`,
        args: [id, j.registry, j.repository, j.digest ?? null, j.tag ?? null, j.origin, key, maxAttempts, now, now, now],
      },
      {
        sql: `SELECT COALESCE((SELECT id FROM jobs WHERE dedup_key = ?), ?) AS job_id`,
        args: [key, id],
      },
    ],
  };
}

export function toJob(r: Row): Job {
  const n = (v: unknown) => (v === null || v === undefined ? null : Number(v));
  return {
    id: String(r.id), state: String(r.state) as JobState, registry: String(r.registry), repository: String(r.repository),
    digest: (r.digest as string | null) ?? null, tag: (r.tag as string | null) ?? null, origin: String(r.origin),
    attempts: Number(r.attempts), maxAttempts: Number(r.max_attempts), nextRunAt: Number(r.next_run_at),
    leaseOwner: (r.lease_owner as string | null) ?? null, leaseExpiresAt: n(r.lease_expires_at),
    lastError: (r.last_error as string | null) ?? null, lastErrorKind: (r.last_error_kind as string | null) ?? null,
    scanId: (r.scan_id as string | null) ?? null, createdAt: Number(r.created_at), updatedAt: Number(r.updated_at),
    finishedAt: n(r.finished_at),
  };
}

export class JobStore {
  readonly database: Database;
  constructor(database: Database) { this.database = database; }

  /** Add a job (API); returns the job and whether it is new (false: the image already had one). */
  async enqueue(j: NewJob, maxAttempts: number): Promise<{ job: Job; fresh: boolean }> {
    const { id, statements } = enqueueStatements(j, Date.now(), maxAttempts);
    const rs = await this.database.client.batch(statements, 'write');
    const jobId = String(rs[1]!.rows[0]!.job_id);
    return { job: (await this.get(jobId))!, fresh: jobId === id };
  }

  async get(id: string): Promise<Job | undefined> {
    const rs = await this.database.client.execute({ sql: 'SELECT * FROM jobs WHERE id = ?', args: [id] });
    return rs.rows[0] ? toJob(rs.rows[0]) : undefined;
  }

  /**
   * Claim the next due job (queued and due, or running with an expired lease) for `owner`.
   * One UPDATE … WHERE id = (SELECT …) RETURNING: atomic, so two workers never get the same job.
   * Registries in `busy` are skipped (per-registry concurrency).
   */
  async claim(owner: string, leaseMs: number, busy: string[] = []): Promise<Job | undefined> {
    const now = Date.now();
    // Look before taking the write lock: an idle poll is a read (no lock in WAL mode), so idle
    // workers never make other writers (webhook intake, other processes) wait.
    const look = await this.database.client.execute({
      sql: `SELECT EXISTS (SELECT 1 FROM jobs WHERE state = 'queued' AND next_run_at <= ?1)
              OR EXISTS (SELECT 1 FROM jobs WHERE state = 'running' AND lease_expires_at < ?1) AS due`,
      args: [now],
    });
    if (!Number(look.rows[0]!.due)) return undefined;
    // A job whose worker died on its last allowed attempt ends here rather than running forever.
    await this.database.client.execute({
      sql: `UPDATE jobs SET state = 'failed', lease_owner = NULL, lease_expires_at = NULL, finished_at = ?1, updated_at = ?1,
              last_error = COALESCE(last_error, 'worker lost ' || attempts || ' times (lease expired)'), last_error_kind = COALESCE(last_error_kind, 'lease-expired')
            WHERE state = 'running' AND lease_expires_at < ?1 AND attempts >= max_attempts`,
      args: [now],
    });
    const due = `((state = 'queued' AND next_run_at <= ?3) OR (state = 'running' AND lease_expires_at < ?3))`;
    const notBusy = busy.length ? `AND registry NOT IN (${busy.map((_, i) => `?${i + 4}`).join(', ')})` : '';
    const rs = await this.database.client.execute({
      sql: `UPDATE jobs SET state = 'running', lease_owner = ?1, lease_expires_at = ?2, attempts = attempts + 1, updated_at = ?3
            WHERE id = (SELECT id FROM jobs WHERE ${due} ${notBusy} ORDER BY next_run_at, created_at LIMIT 1 ${skipLocked(this.database.dialect)}) AND ${due}
            RETURNING *`,
      args: [owner, now + leaseMs, now, ...busy],
    });
    return rs.rows[0] ? toJob(rs.rows[0]) : undefined;
  }

  /** Extend the lease; false when it was lost (expired and taken by another worker). */
  async renew(id: string, owner: string, leaseMs: number): Promise<boolean> {
    const now = Date.now();
    const rs = await this.database.client.execute({
      sql: `UPDATE jobs SET lease_expires_at = ?, updated_at = ? WHERE id = ? AND state = 'running' AND lease_owner = ?`,
      args: [now + leaseMs, now, id, owner],
    });
    return rs.rowsAffected === 1;
  }

  /** Store the scan and finish the job in one transaction, only while `owner` holds the lease. */
  async succeed(job: Job, owner: string, scan: ScanRecord): Promise<boolean> {
    const now = Date.now();
    const rs = await this.database.client.batch([
      this.lockStatement(job),
      scanRecordedStatement(job.id, job.id, job, scan, leaseHeld(job, owner)),
      ...imageScannedStatements(job, scan.digest, job.id, now, leaseHeld(job, owner)),
      this.finishStatement(job, owner, job.id, scan.digest, now),
    ], 'write');
    return rs[rs.length - 1]!.rowsAffected === 1;
  }

  /** Finish the job with a scan that already exists for its digest (no duplicate work). */
  async linkExisting(job: Job, owner: string, scanId: string, digest: string): Promise<boolean> {
    const now = Date.now();
    const rs = await this.database.client.batch([
      this.lockStatement(job),
      ...imageScannedStatements(job, digest, scanId, now, leaseHeld(job, owner)),
      this.finishStatement(job, owner, scanId, digest, now),
    ], 'write');
    return rs[rs.length - 1]!.rowsAffected === 1;
  }

  /** The newest scan of an image, if any. */
  async latestScanId(registry: string, repository: string, digest: string): Promise<string | undefined> {
    return new ScanStore(this.database).latestIdOf(registry, repository, digest);
  }

  /** The newest job for an image (registry, repository, digest), whatever its state. */
  async latestFor(registry: string, repository: string, digest: string): Promise<Job | undefined> {
    const rs = await this.database.client.execute({
      sql: 'SELECT * FROM jobs WHERE registry = ? AND repository = ? AND digest = ? ORDER BY created_at DESC LIMIT 1',
      args: [registry, repository, digest],
    });
    return rs.rows[0] ? toJob(rs.rows[0]) : undefined;
  }

  /** Record a failure: retry later (transient, attempts left) or fail for good. Returns the new state. */
  async fail(job: Job, owner: string, err: { message: string; kind: string; retryable: boolean }, retryInMs: number): Promise<JobState | undefined> {
    const now = Date.now();
    const retry = err.retryable && job.attempts < job.maxAttempts;
    const message = err.message.slice(0, 2000);
    const rs = await this.database.client.execute({
      sql: retry
        ? `UPDATE jobs SET state = 'queued', next_run_at = ?, lease_owner = NULL, lease_expires_at = NULL, last_error = ?, last_error_kind = ?, updated_at = ?
           WHERE id = ? AND state = 'running' AND lease_owner = ?`
        : `UPDATE jobs SET state = 'failed', finished_at = ?, lease_owner = NULL, lease_expires_at = NULL, last_error = ?, last_error_kind = ?, updated_at = ?
           WHERE id = ? AND state = 'running' AND lease_owner = ?`,
      args: [retry ? now + retryInMs : now, message, err.kind, now, job.id, owner],
    });
    if (rs.rowsAffected !== 1) return undefined;
    return retry ? 'queued' : 'failed';
  }

  /** Give a claimed job back untouched (shutdown): queued again at once, the attempt not counted. */
  async release(job: Job, owner: string): Promise<boolean> {
    const rs = await this.database.client.execute({
      sql: `UPDATE jobs SET state = 'queued', next_run_at = ?, lease_owner = NULL, lease_expires_at = NULL, attempts = CASE WHEN attempts > 0 THEN attempts - 1 ELSE 0 END, updated_at = ?
            WHERE id = ? AND state = 'running' AND lease_owner = ?`,
      args: [Date.now(), Date.now(), job.id, owner],
    });
    return rs.rowsAffected === 1;
  }

  async countByState(): Promise<Record<JobState, number>> {
    const rs = await this.database.client.execute('SELECT state, COUNT(*) AS n FROM jobs GROUP BY state');
    const out = { queued: 0, running: 0, succeeded: 0, failed: 0 } as Record<JobState, number>;
    for (const r of rs.rows) out[String(r.state) as JobState] = Number(r.n);
    return out;
  }

  async list(opts: { state?: JobState; limit: number; offset: number }): Promise<Job[]> {
    const rs = await this.database.client.execute({
      sql: `SELECT * FROM jobs ${opts.state ? 'WHERE state = ?' : ''} ORDER BY created_at DESC, id LIMIT ? OFFSET ?`,
      args: [...(opts.state ? [opts.state] : []), opts.limit, opts.offset],
    });
    return rs.rows.map(toJob);
  }

  /**
   * First in a guarded batch: on PostgreSQL it locks the job's row, so the lease cannot move to
   * another replica between the guards and the final update (READ COMMITTED re-reads per
   * statement); SQLite runs one writer at a time, where it is a plain read.
   */
  private lockStatement(job: Job): InStatement {
    return { sql: `SELECT id FROM jobs WHERE id = ? ${forUpdate(this.database.dialect)}`, args: [job.id] };
  }

  private finishStatement(job: Job, owner: string, scanId: string, digest: string, now: number): InStatement {
    return {
      sql: `UPDATE jobs SET state = 'succeeded', scan_id = ?, digest = COALESCE(digest, ?), finished_at = ?, updated_at = ?, lease_owner = NULL, lease_expires_at = NULL
            WHERE id = ? AND state = 'running' AND lease_owner = ?`,
      args: [scanId, digest, now, now, job.id, owner],
    };
  }
}

/** While `owner` still holds the job's lease. */
function leaseHeld(job: Job, owner: string): Guard {
  return { sql: `EXISTS (SELECT 1 FROM jobs WHERE id = ? AND state = 'running' AND lease_owner = ?)`, args: [job.id, owner] };
}

// Statements intake's one-transaction batch carries (intake-write.ts): jobs proposed for pushes, the
// deliveries' events, and the job that owns each dedup key afterwards. Raw, multi-row SQL.

/** New queued jobs, one per push; a push whose dedup key already has a job is ignored. */
export function jobsQueuedStatement(rows: { id: string; event: RegistryEvent; origin: string; key: string | null; at: number }[], maxAttempts: number): InStatement {
  return multiRow(
    `INSERT INTO jobs (id, state, registry, repository, digest, tag, origin, dedup_key, attempts, max_attempts, next_run_at, created_at, updated_at) VALUES`,
    `(?, 'queued', ?, ?, ?, ?, ?, ?, 0, ?, ?, ?, ?)`, ' ON CONFLICT DO NOTHING',
    rows.map((p) => [p.id, p.event.registry, p.event.repository, p.event.digest ?? null, p.event.tag ?? null, p.origin, p.key, maxAttempts, p.at, p.at, p.at]),
  );
}

const EVENT_COLUMNS = 'source, received_at, action, registry, repository, digest, tag, media_type, delivery_id, outcome, job_id';

/** Push events, each with its job: the one proposed (`id`, outcome queued) or the image's existing one (duplicate). */
export function pushEventsStatement(rows: { source: string; at: number; event: RegistryEvent; id: string; key: string | null }[]): InStatement {
  // The job of a push: the one proposed here, or the image's existing one (same rule as intake's in JS).
  const jobOf = `COALESCE((SELECT id FROM jobs WHERE dedup_key = ?), ?)`;
  return multiRow(`INSERT INTO webhook_events (${EVENT_COLUMNS}) VALUES`,
    `(?, ?, ?, ?, ?, ?, ?, ?, ?, CASE WHEN ${jobOf} = ? THEN 'queued' ELSE 'duplicate' END, ${jobOf})`, '',
    rows.map(({ source, at, event: e, id, key }) => [source, at, e.action, e.registry, e.repository, e.digest ?? null, e.tag ?? null, e.mediaType ?? null, e.deliveryId ?? null, key, id, id, key, id]));
}

/** Delete events (no job). */
export function deleteEventsStatement(rows: { source: string; at: number; event: RegistryEvent }[]): InStatement {
  return multiRow(`INSERT INTO webhook_events (${EVENT_COLUMNS}) VALUES`, `(?, ?, ?, ?, ?, ?, ?, ?, ?, 'deleted', NULL)`, '',
    rows.map(({ source, at, event: e }) => [source, at, e.action, e.registry, e.repository, e.digest ?? null, e.tag ?? null, e.mediaType ?? null, e.deliveryId ?? null]));
}

/** The job owning each of these dedup keys (rows: id, dedup_key). */
export function jobIdsByKeyStatement(keys: readonly string[]): InStatement {
  return { sql: `SELECT id, dedup_key FROM jobs WHERE dedup_key IN (${keys.map(() => '?').join(', ')})`, args: [...keys] };
}
