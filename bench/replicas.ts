// `npm run bench:replicas`: what the database costs per job, and what a second replica brings.
// (1) Per-job database overhead: enqueue, claim and store a scan (succeed) for 1,000 jobs through the
//     job store, on the embedded file and on a private PostgreSQL cluster (durable defaults), from
//     4 concurrent workers — ms per job, and PostgreSQL / file.
// (2) Throughput of 2 replicas vs 1: `bin/customs serve` ×1, then ×2 on one PostgreSQL database,
//     scanning the same 40 images (pushed to a real registry, each its own layer) queued by the API;
//     images per second, 2 / 1. On a 2-core machine scans are CPU-bound, so the target is no
//     collapse under contention (≥ 1.0×), not 2×.
import { spawn, type ChildProcess } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { configSchema } from '../src/config/schema.ts';
import { openDatabase } from '../src/db/client.ts';
import { JobStore, type ScanRecord } from '../src/jobs/job-store.ts';
import { RegistryClient } from '../src/registry/client.ts';
import { startPgCluster, type PgCluster } from '../test/helpers/pg-cluster.ts';
import { pushDebianImage } from '../test/helpers/push.ts';
import { freePort, startRegistry, testConfig } from '../test/helpers/registry.ts';

const ROOT = resolve(import.meta.dirname, '..');
const JOBS = Number(process.env.BENCH_JOBS ?? 1000);
const IMAGES = Number(process.env.BENCH_IMAGES ?? 40);
const dir = mkdtempSync(join(tmpdir(), 'customs-bench-replicas-'));
const cluster: PgCluster = await startPgCluster({ durable: true });
const children = new Set<ChildProcess>();
let dbSeq = 0;

async function freshPg(): Promise<string> {
  const name = `bench_${process.pid}_${dbSeq++}`;
  const c = new pg.Client({ connectionString: cluster.url });
  await c.connect();
  try { await c.query(`CREATE DATABASE ${name}`); } finally { await c.end(); }
  return cluster.url.replace(/\/postgres$/, `/${name}`);
}

async function perJob(url: string): Promise<number> {
  const database = await openDatabase(configSchema.parse({ dataDir: dir, database: { url } }));
  const store = new JobStore(database);
  const report = JSON.stringify({ platforms: [{ packages: Array.from({ length: 50 }, (_, i) => ({ name: `p${i}`, version: '1.0' })) }] });
  const scan = (digest: string): ScanRecord => ({ digest, ref: `r.example/app@${digest}`, dbVersion: null, startedAt: Date.now(), finishedAt: Date.now(),
    platforms: 1, packages: 50, findings: 0, critical: 0, high: 0, medium: 0, low: 0, unknown: 0, report });
  const digest = (i: number) => 'sha256:' + i.toString(16).padStart(64, '0');
  const t0 = performance.now();
  for (let i = 0; i < JOBS; i++) await store.enqueue({ registry: 'r.example', repository: `app${i % 20}`, digest: digest(i), origin: 'bench' }, 3);
  await Promise.all(Array.from({ length: 4 }, async (_, w) => {
    for (;;) {
      const job = await store.claim(`w${w}`, 60_000);
      if (!job) return;
      if (!(await store.succeed(job, `w${w}`, scan(job.digest!)))) throw new Error('lost a lease in the benchmark');
    }
  }));
  const ms = (performance.now() - t0) / JOBS;
  const done = (await store.countByState()).succeeded;
  database.close();
  if (done !== JOBS) throw new Error(`${done} of ${JOBS} jobs succeeded`);
  return ms;
}

function startReplica(name: string, cfg: Record<string, unknown>): { port: number; child: ChildProcess; ready: Promise<void> } {
  const dataDir = join(dir, name);
  mkdirSync(dataDir, { recursive: true });
  writeFileSync(join(dataDir, 'c.json'), JSON.stringify({ ...cfg, dataDir }));
  const child = spawn(join(ROOT, 'bin/customs'), ['serve', '--config', join(dataDir, 'c.json')], { env: { ...process.env, CUSTOMS_LOG_LEVEL: 'warn' }, stdio: ['ignore', 'ignore', 'inherit'] });
  children.add(child);
  const port = (cfg.server as { port: number }).port;
  const ready = (async () => {
    for (let i = 0; i < 400; i++) {
      if (await fetch(`http://127.0.0.1:${port}/readyz`).then((r) => r.ok, () => false)) return;
      await sleep(50);
    }
    throw new Error(`replica ${name} did not start`);
  })();
  return { port, child, ready };
}

async function throughput(replicas: number, refs: string[], keyFile: string): Promise<number> {
  const url = await freshPg();
  const started = [];
  for (let r = 0; r < replicas; r++) {
    started.push(startReplica(`r${replicas}-${r}`, {
      database: { url, postgres: { poolSize: 6 } }, signing: { keyFile }, server: { host: '127.0.0.1', port: await freePort() },
      workers: { concurrency: 2, pollMs: 1000, vulndbRefresh: false }, http: { retries: 1 },
    }));
  }
  await Promise.all(started.map((s) => s.ready));
  const sql = new pg.Client({ connectionString: url });
  await sql.connect();
  const t0 = performance.now();
  for (const [i, ref] of refs.entries()) {
    const res = await fetch(`http://127.0.0.1:${started[i % replicas]!.port}/api/v1/scans`, { method: 'POST', body: JSON.stringify({ image: ref }) });
    if (res.status !== 202) throw new Error(`scan request: HTTP ${res.status} ${await res.text()}`);
  }
  for (let i = 0; ; i++) {
    const n = Number((await sql.query(`SELECT COUNT(*) AS n FROM jobs WHERE state IN ('succeeded', 'failed')`)).rows[0].n);
    if (n >= refs.length) break;
    if (i > 6000) throw new Error('scans did not finish');
    await sleep(20);
  }
  const seconds = (performance.now() - t0) / 1000;
  const failed = Number((await sql.query(`SELECT COUNT(*) AS n FROM jobs WHERE state = 'failed'`)).rows[0].n);
  await sql.end();
  for (const s of started) { s.child.kill('SIGTERM'); await new Promise((r) => s.child.once('exit', r)); }
  if (failed) throw new Error(`${failed} scans failed`);
  return refs.length / seconds;
}

const reg = await startRegistry();
const client = new RegistryClient(testConfig());
try {
  const fileMs = await perJob(`file:${join(dir, 'jobs.db')}`);
  const pgMs = await perJob(await freshPg());
  const keyFile = join(dir, 'key.pem');
  writeFileSync(keyFile, generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).privateKey.export({ type: 'pkcs8', format: 'pem' }));
  const refs: string[] = [];
  for (let i = 0; i < IMAGES; i++) {
    const img = await pushDebianImage(client, reg.host, `bench/r${i}`, 'v1', [['libc6', '2.36-9'], [`pkg${i}`, `1.${i}-1`]]);
    refs.push(`${reg.host}/bench/r${i}@${img.manifestDigest}`);
  }
  await throughput(1, refs.slice(0, 4), keyFile); // warm-up (JIT, page cache)
  const one = await throughput(1, refs, keyFile);
  const two = await throughput(2, refs, keyFile);
  const results = {
    perJobDatabaseMs: { file: +fileMs.toFixed(3), postgres: +pgMs.toFixed(3), postgresOverFile: +(pgMs / fileMs).toFixed(2), jobs: JOBS, workers: 4 },
    replicas: { images: IMAGES, oneReplicaImagesPerSecond: +one.toFixed(2), twoReplicasImagesPerSecond: +two.toFixed(2), twoOverOne: +(two / one).toFixed(2), target: '≥ 1.0 (no collapse under contention)' },
  };
  console.log(JSON.stringify(results, null, 2));
  mkdirSync(join(ROOT, 'bench/out'), { recursive: true });
  writeFileSync(join(ROOT, 'bench/out/replicas.json'), JSON.stringify(results, null, 2) + '\n');
} finally {
  for (const c of children) c.kill('SIGKILL');
  await client.close();
  await reg.stop();
  cluster.stop();
  rmSync(dir, { recursive: true, force: true });
}
