// `npm run bench:webhooks`: webhook intake throughput and latency (target ≥ 2,000 accepted events/s,
// p99 ≤ 25 ms), each event stored durably before the 202. Customs runs as `bin/customs serve` (workers
// off, so scans do not compete for the 2 cores); autocannon is the load, from this second process.
// Every request is a distribution 2.8 envelope with one manifest push of a new digest (a new job,
// image, tag and event row). Afterwards the rows in the database are counted against the 202s.
// Both databases (BENCH_DB=file|postgres|both, default both): the embedded file and a private
// PostgreSQL cluster on this machine with its durable defaults (fsync on).
import { spawn } from 'node:child_process';
import { createHash, generateKeyPairSync } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { createClient } from '@libsql/client';
import autocannon from 'autocannon';
import pg from 'pg';
import { freePort } from '../test/helpers/registry.ts';
import { startPgCluster } from '../test/helpers/pg-cluster.ts';

const ROOT = resolve(import.meta.dirname, '..');
const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 32);
const SECRET = 'bench-secret-0123456789abcdef';

const KINDS = (process.env.BENCH_DB ?? 'both') === 'both' ? ['file', 'postgres'] : [process.env.BENCH_DB!];
const all: Record<string, unknown> = {};
for (const kind of KINDS) all[kind] = await benchIntake(kind);
console.log(JSON.stringify(all, null, 2));
mkdirSync(join(ROOT, 'bench/out'), { recursive: true });
writeFileSync(join(ROOT, 'bench/out/webhooks.json'), JSON.stringify(all, null, 2) + '\n');

async function benchIntake(kind: string): Promise<Record<string, unknown>> {
const cluster = kind === 'postgres' ? await startPgCluster({ durable: true }) : undefined;
const dir = mkdtempSync(join(tmpdir(), 'customs-bench-hooks-'));
const port = await freePort();
const dbFile = join(dir, 'customs.db');
writeFileSync(join(dir, 'customs.json'), JSON.stringify({
  dataDir: dir, database: { url: cluster ? cluster.url : `file:${dbFile}` }, server: { host: '127.0.0.1', port }, signing: { keyFile: writeKey(dir) },
  webhooks: { sources: { distribution: { secret: SECRET } } }, workers: { concurrency: 0, vulndbRefresh: false },
}));
const server = spawn(join(ROOT, 'bin/customs'), ['serve', '--config', join(dir, 'customs.json')], { env: { ...process.env, CUSTOMS_LOG_LEVEL: 'warn' }, stdio: 'inherit' });
try {
  for (let i = 0; ; i++) {
    try { if ((await fetch(`http://127.0.0.1:${port}/readyz`)).ok) break; } catch { /* starting */ }
    if (i > 200) throw new Error('customs did not start');
    await sleep(50);
  }
  let n = 0;
  const body = (i: number) => {
    const digest = 'sha256:' + createHash('sha256').update(`bench-${i}`).digest('hex');
    return JSON.stringify({ events: [{
      id: `ev-${i}`, timestamp: new Date().toISOString(), action: 'push',
      target: { mediaType: 'application/vnd.oci.image.manifest.v1+json', size: 1234, digest, length: 1234, repository: `bench/app${i % 50}`, url: `http://registry.bench:5000/v2/bench/app${i % 50}/manifests/${digest}`, tag: `t${i}` },
      request: { id: `r-${i}`, addr: '10.0.0.1:5555', host: 'registry.bench:5000', method: 'PUT', useragent: 'docker/27' }, actor: {}, source: { addr: 'registry:5000', instanceID: 'x' },
    }] });
  };
  const run = async (duration: number, make: (i: number) => string = body) => autocannon({
    url: `http://127.0.0.1:${port}`, connections: CONNECTIONS, duration,
    requests: [{
      method: 'POST', path: '/webhooks/distribution',
      headers: { 'content-type': 'application/vnd.docker.distribution.events.v1+json', authorization: `Bearer ${SECRET}` },
      setupRequest: (req: any) => ({ ...req, body: make(n++) }),
    }],
  });
  const warm = await run(2); // warm-up (JIT, page cache); its rows count too
  const r = await run(SECONDS);
  // Baseline in the same run, same route, same parsing and authentication: pull events, which are
  // answered without a database write. The gap is the cost of storing durably.
  const pull = (i: number) => body(i).replace('"action":"push"', '"action":"pull"');
  const base = await run(Math.max(3, Math.round(SECONDS / 2)), pull);
  const count = async (q: string) => {
    if (!cluster) { const db = createClient({ url: `file:${dbFile}` }); try { return Number((await db.execute(q)).rows[0]!.n); } finally { db.close(); } }
    const c = new pg.Client({ connectionString: cluster.url }); await c.connect();
    try { return Number((await c.query(q)).rows[0].n); } finally { await c.end(); }
  };
  const stored = await count(`SELECT COUNT(*) AS n FROM webhook_events WHERE outcome = 'queued'`);
  const jobs = await count(`SELECT COUNT(*) AS n FROM jobs`);
  const accepted = r['2xx'];
  const results = {
    database: kind, connections: CONNECTIONS, seconds: SECONDS, requests: r.requests.total, accepted, non2xx: r.non2xx, errors: r.errors, timeouts: r.timeouts,
    acceptedPerSecond: Math.round(accepted / SECONDS),
    latencyMs: { p50: r.latency.p50, p90: r.latency.p90, p99: r.latency.p99, max: r.latency.max },
    acceptedPushesIncludingWarmup: warm['2xx'] + accepted, storedEvents: stored, jobs,
    baselineNoWrite: { perSecond: Math.round(base['2xx'] / Math.max(3, Math.round(SECONDS / 2))), latencyMs: { p50: base.latency.p50, p99: base.latency.p99 } },
    targets: { eventsPerSecond: 2000, p99Ms: 25 },
  };
  return results;
} finally {
  server.kill('SIGTERM');
  await new Promise((r) => server.once('exit', r));
  cluster?.stop();
  rmSync(dir, { recursive: true, force: true });
}
}

function writeKey(dir: string): string {
  const path = join(dir, 'key.pem');
  writeFileSync(path, generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).privateKey.export({ type: 'pkcs8', format: 'pem' }));
  return path;
}
