// The durable job table on real libsql files: leases exclusive across connections (as several
// processes would hold), expiry, renewal, retries with backoff, permanent failures, lost leases.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openDatabase, type Database } from '../src/db/client.ts';
import { CustomsError } from '../src/errors.ts';
import { IntakeWriter } from '../src/jobs/intake.ts';
import { startIntakeThread } from '../src/jobs/intake-thread.ts';
import { JobStore, type Job, type ScanRecord } from '../src/jobs/job-store.ts';
import { classifyFailure } from '../src/jobs/retry-policy.ts';
import { WorkerPool } from '../src/jobs/worker.ts';
import { testConfig } from './helpers/registry.ts';
import { freshPgDatabase } from './helpers/postgres.ts';

const D1 = 'sha256:' + '1'.repeat(64);
const D2 = 'sha256:' + '2'.repeat(64);
const scan = (digest: string): ScanRecord => ({
  digest, ref: `r.example/app@${digest}`, dbVersion: null, startedAt: Date.now(), finishedAt: Date.now(),
  platforms: 1, packages: 3, findings: 0, critical: 0, high: 0, medium: 0, low: 0, unknown: 0, report: '{}',
});

let dir: string;
let a: Database;
let b: Database;

// Every store test runs on both databases: the embedded file and PostgreSQL.
describe.each(['sqlite', 'postgres'] as const)('job store (%s)', (dialect) => {
beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'customs-jobs-'));
  const url = dialect === 'postgres' ? await freshPgDatabase() : `file:${join(dir, 'customs.db')}`;
  const cfg = testConfig({ dataDir: dir, database: { url } });
  a = await openDatabase(cfg);
  b = await openDatabase(cfg); // a second connection pool to the same database, as a second process would have
});
afterEach(() => { a.close(); b.close(); rmSync(dir, { recursive: true, force: true }); });

  it('de-duplicates the same image while queued and after it succeeded; force and other digests make new jobs', async () => {
    const s = new JobStore(a);
    const first = await s.enqueue({ registry: 'r.example', repository: 'app', digest: D1, origin: 'distribution' }, 3);
    const again = await s.enqueue({ registry: 'r.example', repository: 'app', digest: D1, origin: 'harbor' }, 3);
    expect(first.fresh).toBe(true);
    expect(again).toMatchObject({ fresh: false, job: { id: first.job.id } });
    expect((await s.enqueue({ registry: 'r.example', repository: 'other', digest: D1, origin: 'x' }, 3)).fresh).toBe(true);
    expect((await s.enqueue({ registry: 'r.example', repository: 'app', digest: D1, origin: 'rescan', force: true }, 3)).fresh).toBe(true);
    const job = (await s.claim('w1', 10_000))!;
    expect(await s.succeed(job, 'w1', scan(D1))).toBe(true);
    expect((await s.enqueue({ registry: 'r.example', repository: 'app', digest: D1, origin: 'distribution' }, 3)).fresh).toBe(false);
  });

  it('intake records events, jobs, images and tags in one commit per group, with outcomes', async () => {
    const w = new IntakeWriter(a, 3);
    const deliveries = await Promise.all(Array.from({ length: 50 }, (_, i) => w.record('distribution', [
      { action: 'push', registry: 'r.example', repository: 'app', digest: i % 2 ? D1 : D2, tag: `t${i}`, mediaType: 'application/vnd.oci.image.manifest.v1+json' },
      { action: 'ignored', registry: 'r.example', repository: 'app', reason: 'pull' },
    ])));
    const outcomes = deliveries.map((d) => d[0]!.outcome);
    expect(outcomes.filter((o) => o === 'queued')).toHaveLength(2);
    expect(outcomes.filter((o) => o === 'duplicate')).toHaveLength(48);
    expect(deliveries.every((d) => d[1]!.outcome === 'ignored')).toBe(true);
    const n = async (sql: string) => Number((await b.client.execute(sql)).rows[0]!.n);
    expect(await n('SELECT COUNT(*) AS n FROM jobs')).toBe(2);
    expect(await n('SELECT COUNT(*) AS n FROM webhook_events')).toBe(50);
    expect(await n('SELECT COUNT(*) AS n FROM tags')).toBe(50);
    expect(await n('SELECT COUNT(*) AS n FROM images')).toBe(2);
    await w.record('distribution', [{ action: 'delete', registry: 'r.example', repository: 'app', digest: D1 }]);
    expect(await n('SELECT COUNT(*) AS n FROM images WHERE deleted_at IS NOT NULL')).toBe(1);
    expect(await n('SELECT COUNT(*) AS n FROM tags WHERE deleted_at IS NOT NULL')).toBe(25);
  });

  it('two connections claiming concurrently never get the same job', async () => {
    const sa = new JobStore(a);
    const sb = new JobStore(b);
    for (let i = 0; i < 20; i++) await sa.enqueue({ registry: 'r.example', repository: `app${i}`, digest: D1, origin: 'x' }, 3);
    const claimed: Job[] = [];
    await Promise.all(Array.from({ length: 30 }, async (_, i) => {
      const j = await (i % 2 ? sa : sb).claim(`w${i}`, 60_000);
      if (j) claimed.push(j);
    }));
    expect(claimed).toHaveLength(20);
    expect(new Set(claimed.map((j) => j.id)).size).toBe(20);
    expect(await sa.claim('late', 60_000)).toBeUndefined();
  });

  it('an expired lease is claimed again; the old holder can neither renew nor finish', async () => {
    const s = new JobStore(a);
    await s.enqueue({ registry: 'r.example', repository: 'app', digest: D1, origin: 'x' }, 3);
    const first = (await s.claim('dead', 200))!;
    expect(await new JobStore(b).claim('w2', 60_000)).toBeUndefined(); // still leased
    await sleep(250);
    const second = (await new JobStore(b).claim('w2', 60_000))!;
    expect(second).toMatchObject({ id: first.id, attempts: 2, leaseOwner: 'w2' });
    expect(await s.renew(first.id, 'dead', 1000)).toBe(false);
    expect(await s.succeed(first, 'dead', scan(D1))).toBe(false);
    expect(Number((await a.client.execute('SELECT COUNT(*) AS n FROM scans')).rows[0]!.n)).toBe(0);
    expect(await s.renew(second.id, 'w2', 60_000)).toBe(true);
    expect(await s.succeed(second, 'w2', scan(D1))).toBe(true);
    expect(await s.get(first.id)).toMatchObject({ state: 'succeeded', scanId: first.id, leaseOwner: null });
  });

  it('a job whose worker keeps dying ends failed once attempts are used up', async () => {
    const s = new JobStore(a);
    const { job } = await s.enqueue({ registry: 'r.example', repository: 'app', digest: D1, origin: 'x' }, 2);
    await s.claim('d1', 50); await sleep(60);
    await s.claim('d2', 50); await sleep(60);
    expect(await s.claim('w3', 60_000)).toBeUndefined();
    expect(await s.get(job.id)).toMatchObject({ state: 'failed', lastErrorKind: 'lease-expired' });
  });

  it('transient failures are retried after the backoff, permanent ones fail at once', async () => {
    const s = new JobStore(a);
    const { job } = await s.enqueue({ registry: 'r.example', repository: 'app', digest: D1, origin: 'x' }, 3);
    const c1 = (await s.claim('w', 60_000))!;
    const transient = classifyFailure(new CustomsError('registry', 'HTTP 503', { transient: true }));
    expect(await s.fail(c1, 'w', transient, 300)).toBe('queued');
    expect(await s.claim('w', 60_000)).toBeUndefined(); // not due yet
    await sleep(320);
    const c2 = (await s.claim('w', 60_000))!;
    expect(c2.attempts).toBe(2);
    expect(await s.fail(c2, 'w', classifyFailure(new CustomsError('not-found', 'manifest unknown')), 300)).toBe('failed');
    expect(await s.get(job.id)).toMatchObject({ state: 'failed', attempts: 2, lastError: 'manifest unknown', lastErrorKind: 'not-found' });
    expect(classifyFailure(new CustomsError('unsupported', 'x')).retryable).toBe(false);
    // a failing statement through drizzle: the database's reason, not every parameter it carried
    const { leases } = await import('../src/db/schema.ts');
    const big = 'secret-ish-'.repeat(1000);
    await a.db.insert(leases).values({ key: 'dup', owner: big, expiresAt: new Date() });
    const err = await a.db.insert(leases).values({ key: 'dup', owner: big, expiresAt: new Date() }).then(() => undefined, (x) => x);
    const failure = classifyFailure(err);
    expect(failure).toMatchObject({ kind: 'internal', retryable: true });
    expect(failure.message).toMatch(/^database: .*(UNIQUE|unique|duplicate).* \(in: insert into "leases"/);
    expect(failure.message).not.toContain('secret-ish');
    expect(failure.message.length).toBeLessThan(500);
    expect(classifyFailure(new CustomsError('unreachable', 'refused', { transient: true })).retryable).toBe(true);
  });

  it('worker pool: global and per-registry limits, retries with backoff, release at shutdown', async () => {
    const s = new JobStore(a);
    for (let i = 0; i < 4; i++) await s.enqueue({ registry: 'one.example', repository: `a${i}`, digest: D1, origin: 'x' }, 3);
    for (let i = 0; i < 2; i++) await s.enqueue({ registry: 'two.example', repository: `b${i}`, digest: D2, origin: 'x' }, 3);
    let running = 0; let peak = 0; const perReg = new Map<string, number>(); let peakOne = 0;
    let failedOnce = false;
    const pool = new WorkerPool({
      store: s,
      cfg: { ...testConfig().workers, concurrency: 3, perRegistry: 2, pollMs: 20, leaseMs: 5000, backoffMs: 30, maxBackoffMs: 60, shutdownMs: 100 },
      run: async (job, owner) => {
        running++; peak = Math.max(peak, running);
        perReg.set(job.registry, (perReg.get(job.registry) ?? 0) + 1);
        peakOne = Math.max(peakOne, perReg.get('one.example') ?? 0);
        await sleep(40);
        running--; perReg.set(job.registry, perReg.get(job.registry)! - 1);
        if (job.repository === 'a0' && !failedOnce) { failedOnce = true; throw new CustomsError('registry', '502', { transient: true }); }
        return { stored: await s.succeed(job, owner, scan(job.digest!)), scanId: job.id };
      },
    });
    pool.start();
    for (let i = 0; i < 100 && (await s.countByState()).succeeded < 6; i++) await sleep(30);
    await pool.stop();
    expect(await s.countByState()).toMatchObject({ succeeded: 6, queued: 0, running: 0, failed: 0 });
    expect(peak).toBe(3);
    expect(peakOne).toBe(2);
    expect((await s.list({ limit: 10, offset: 0 })).find((j) => j.repository === 'a0')!.attempts).toBe(2);

    // A scan still running at shutdown is released (queued again, the attempt not counted).
    const { job } = await s.enqueue({ registry: 'one.example', repository: 'slow', digest: D2, origin: 'x' }, 3);
    const slow = new WorkerPool({
      store: s, cfg: { ...testConfig().workers, concurrency: 1, pollMs: 20, shutdownMs: 50 },
      run: () => new Promise(() => undefined),
    });
    slow.start();
    for (let i = 0; i < 50 && (await s.get(job.id))!.state !== 'running'; i++) await sleep(20);
    await slow.stop();
    expect(await s.get(job.id)).toMatchObject({ state: 'queued', attempts: 0, leaseOwner: null });
  });
});

// PostgreSQL writes from the event loop (the server does the fsync); the embedded file from a thread.
describe('intake thread (embedded file)', () => {
  it('the embedded file\'s intake thread writes the same rows and outcomes; a closed thread refuses', async () => {
    const dir2 = mkdtempSync(join(tmpdir(), 'customs-intake-thread-'));
    const cfg = testConfig({ dataDir: dir2, database: { url: `file:${join(dir2, 'customs.db')}` } });
    const a = await openDatabase(cfg);
    const b = await openDatabase(cfg);
    const thread = startIntakeThread(a.url, 3, 10_000);
    const w = new IntakeWriter(a, 3, thread.write);
    const deliveries = await Promise.all(Array.from({ length: 50 }, (_, i) => w.record('distribution', [
      { action: 'push', registry: 'r.example', repository: 'app', digest: i % 2 ? D1 : D2, tag: `t${i}`, mediaType: 'application/vnd.oci.image.manifest.v1+json' },
    ])));
    const outcomes = deliveries.map((d) => d[0]!.outcome);
    expect(outcomes.filter((o) => o === 'queued')).toHaveLength(2);
    expect(outcomes.filter((o) => o === 'duplicate')).toHaveLength(48);
    const jobIds = new Set(deliveries.map((d) => d[0]!.jobId));
    expect(jobIds.size).toBe(2);
    const n = async (sql: string) => Number((await b.client.execute(sql)).rows[0]!.n);
    expect(await n('SELECT COUNT(*) AS n FROM jobs')).toBe(2);
    expect(await n('SELECT COUNT(*) AS n FROM webhook_events')).toBe(50);
    // the main connection and the thread's share the file: a job store on the main one sees the jobs
    expect((await new JobStore(a).claim('w', 60_000))?.id).toBeDefined();
    await thread.close();
    await expect(w.record('distribution', [{ action: 'push', registry: 'r.example', repository: 'x', digest: D1, tag: 'z' }])).rejects.toThrow(/intake is closed/);
    a.close(); b.close(); rmSync(dir2, { recursive: true, force: true });
  });

});
