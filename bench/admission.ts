// Admission webhook latency: POST /k8s/admission at a fixed rate (open loop: requests are sent on
// schedule whether or not earlier ones were answered) against a database holding N stored verdicts
// and tags, the server in its own `customs serve` process; this process is the client (the API server).
// Two servers on the same database, one after the other, ROUNDS times (A B A B …): `database` reads
// every review's tags and verdicts from the database (admission.indexRefreshMs: 0), `index` answers
// from the in-memory index (src/admission/verdict-index.ts); ratios index/database at the end.
//   node bench/admission.ts            (BENCH_ADMISSION_VERDICTS=10000 RATE=500 SECONDS=10 ROUNDS=2 VARIANTS=database,index)
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Pool } from 'undici';
import { loadConfig } from '../src/config/load.ts';
import { openDatabase } from '../src/db/client.ts';
import { tags } from '../src/db/schema.ts';
import { DEFAULT_POLICY } from '../src/policy/default.ts';
import { recordVerdict } from '../src/quarantine/verdict-store.ts';
import { freePort } from '../test/helpers/registry.ts';

const ROOT = resolve(import.meta.dirname, '..');
const VERDICTS = Number(process.env.BENCH_ADMISSION_VERDICTS ?? 10_000);
const RATE = Number(process.env.RATE ?? 500);
const SECONDS = Number(process.env.SECONDS ?? 10);
const ROUNDS = Number(process.env.ROUNDS ?? 2);
const VARIANTS = (process.env.VARIANTS ?? 'database,index').split(',') as ('database' | 'index')[];
const REGISTRY = 'registry.bench:5000';

const digestOf = (i: number) => 'sha256:' + createHash('sha256').update(String(i)).digest('hex');
/** verdict n is stored for repoOf(n)@digestOf(n), tagged v<n> */
const repoOf = (n: number) => `team${n % 50}/app${n % 200}`;
const pct = (s: number[], p: number) => s[Math.min(s.length - 1, Math.floor(p * s.length))]!;
function cpuMs(pid: number): number {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(f[11]) + Number(f[12])) * 10;
}

const dir = mkdtempSync(join(tmpdir(), 'customs-bench-admission-'));
const port = await freePort();
const configFile = (variant: 'database' | 'index') => {
  const f = join(dir, `customs-${variant}.json`);
  writeFileSync(f, JSON.stringify({
    dataDir: dir, server: { host: '127.0.0.1', port }, log: { level: 'warn' },
    workers: { concurrency: 0, vulndbRefresh: false },
    admission: { enabled: true, unscanned: 'warn', resolveTimeoutMs: 0, indexRefreshMs: variant === 'index' ? 1000 : 0 },
  }));
  return f;
};
const cfg = loadConfig({ file: configFile('database') });
const database = await openDatabase(cfg);
const t0 = performance.now();
for (let i = 0; i < VERDICTS; i += 200) {
  await Promise.all(Array.from({ length: Math.min(200, VERDICTS - i) }, async (_, k) => {
    const n = i + k;
    const image = { registry: REGISTRY, repository: repoOf(n), digest: digestOf(n) };
    const verdict = n % 10 === 0 ? 'fail' : n % 3 === 0 ? 'warn' : 'pass';
    await recordVerdict(database, image, { verdict, policy: { name: 'default', version: 0, mode: 'enforce' }, dbVersion: null, platforms: [] } as any, DEFAULT_POLICY, null);
    await database.db.insert(tags).values({ registry: REGISTRY, repository: image.repository, tag: `v${n}`, digest: image.digest, updatedAt: new Date() });
  }));
}
database.close();
console.log(`${VERDICTS} verdicts and tags stored in ${((performance.now() - t0) / 1000).toFixed(1)} s`);

const base = `http://127.0.0.1:${port}`;
const byDigest = (k: number) => `${REGISTRY}/${repoOf(k)}@${digestOf(k)}`;
const body = (n: number) => JSON.stringify({
  apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview',
  request: {
    uid: `bench-${n}`, kind: { group: 'apps', version: 'v1', kind: 'Deployment' }, resource: { group: 'apps', version: 'v1', resource: 'deployments' },
    namespace: 'team-a', name: `app-${n}`, operation: 'CREATE', userInfo: { username: 'bench' }, dryRun: false,
    object: { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: `app-${n}`, namespace: 'team-a', labels: { app: 'bench' } },
      spec: { replicas: 2, selector: { matchLabels: { app: 'bench' } }, template: { metadata: { labels: { app: 'bench' } }, spec: {
        initContainers: [{ name: 'init', image: byDigest((n * 7919 + 7) % VERDICTS) }],
        containers: [
          { name: 'app', image: `${REGISTRY}/${repoOf(n % VERDICTS)}:v${n % VERDICTS}` },
          { name: 'sidecar', image: byDigest((n * 31 + 3) % VERDICTS) },
        ] } } } },
  },
});

interface Run { variant: string; p50: number; p99: number; max: number; cpuPerReview: number; denied: number; unscanned: number }

async function run(variant: 'database' | 'index'): Promise<Run> {
  const server = spawn(join(ROOT, 'node_modules/.bin/node'), ['--max-semi-space-size=2', ...(process.env.PROFILE_DIR ? ['--cpu-prof', `--cpu-prof-dir=${process.env.PROFILE_DIR}`] : []), join(ROOT, 'src/main.ts'), 'serve', '--config', configFile(variant)], { env: { ...process.env, CUSTOMS_LOG_LEVEL: 'warn' }, stdio: 'inherit' });
  for (let i = 0; ; i++) {
    try { if ((await fetch(`${base}/healthz`)).ok) break; } catch { /* starting */ }
    if (i > 200) throw new Error('customs serve did not start');
    await new Promise((r) => setTimeout(r, 100));
  }
  const pool = new Pool(base, { connections: 64 });
  const send = async (n: number) => {
    const started = performance.now();
    const r = await pool.request({ path: '/k8s/admission', method: 'POST', headers: { 'content-type': 'application/json' }, body: body(n) });
    const text = await r.body.text();
    if (r.statusCode !== 200 || !text.includes(`"uid":"bench-${n}"`)) throw new Error(`answer ${r.statusCode}: ${text.slice(0, 200)}`);
    return { ms: performance.now() - started, allowed: text.includes('"allowed":true'), unscanned: text.includes('not scanned') };
  };
  for (let i = 0; i < 200; i++) await send(i); // warm-up
  const cpu0 = cpuMs(server.pid!);
  const total = RATE * SECONDS;
  const startedAt = performance.now();
  const pending: ReturnType<typeof send>[] = [];
  for (let n = 0; n < total; n++) {
    const due = startedAt + (n * 1000) / RATE;
    const wait = due - performance.now();
    if (wait > 1) await new Promise((r) => setTimeout(r, wait));
    pending.push(send(n + 1000));
  }
  const results = await Promise.all(pending);
  const wall = (performance.now() - startedAt) / 1000;
  const cpu = cpuMs(server.pid!) - cpu0;
  const ms = results.map((r) => r.ms).sort((a, b) => a - b);
  const out = { variant, p50: pct(ms, 0.5), p99: pct(ms, 0.99), max: ms.at(-1)!, cpuPerReview: cpu / total, denied: results.filter((r) => !r.allowed).length, unscanned: results.filter((r) => r.unscanned).length };
  console.log(`${variant.padEnd(8)} ${total} reviews (3 images each) at ${RATE}/s over ${wall.toFixed(1)} s against ${VERDICTS} stored verdicts: ` +
    `p50 ${out.p50.toFixed(1)} ms, p99 ${out.p99.toFixed(1)} ms, max ${out.max.toFixed(1)} ms; ` +
    `denied ${out.denied}, with an unscanned image ${out.unscanned}; server CPU ${out.cpuPerReview.toFixed(2)} ms per review`);
  await pool.close();
  server.kill('SIGTERM');
  await new Promise((r) => server.once('exit', r));
  return out;
}

const runs: Run[] = [];
for (let round = 0; round < ROUNDS; round++) for (const v of VARIANTS) runs.push(await run(v));
const median = (xs: number[]) => { const s = [...xs].sort((a, b) => a - b); return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2; };
if (VARIANTS.includes('database') && VARIANTS.includes('index')) {
  const of = (v: string, f: keyof Run) => median(runs.filter((r) => r.variant === v).map((r) => r[f] as number));
  const line = (f: keyof Run, unit: string) => `${String(f)} ${of('database', f).toFixed(2)} → ${of('index', f).toFixed(2)} ${unit} (×${(of('index', f) / of('database', f)).toFixed(2)})`;
  console.log(`index vs database (median of ${ROUNDS} round(s) each): ${line('p50', 'ms')}, ${line('p99', 'ms')}, ${line('max', 'ms')}, ${line('cpuPerReview', 'ms')}`);
}
rmSync(dir, { recursive: true, force: true });
