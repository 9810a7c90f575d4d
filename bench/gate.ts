// Pull gate cost: blob throughput through the gate vs straight from the registry, and manifest
// latency (p50/p99) through the gate vs direct — both measured in the same run, alternated. The gate
// runs as it does in production, in its own `customs serve` process; this process is the client.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join, resolve } from 'node:path';
import { request } from 'undici';
import { loadConfig } from '../src/config/load.ts';
import { openDatabase } from '../src/db/client.ts';
import { DEFAULT_POLICY } from '../src/policy/default.ts';
import { recordVerdict } from '../src/quarantine/verdict-store.ts';
import { RegistryClient } from '../src/registry/client.ts';
import { pushImage } from '../test/helpers/push.ts';
import { freePort } from '../test/helpers/registry.ts';

const ROOT = resolve(import.meta.dirname, '..');

const BLOB_MB = 256;
const MANIFEST_REQUESTS = 2000;
/** blob transfers per side; the order alternates (direct first, then gate first) against drift */
const BLOB_RUNS = Number(process.env.BENCH_GATE_RUNS ?? 7);

async function drain(url: string, headers: Record<string, string> = {}): Promise<number> {
  const res = await request(url, { headers });
  let n = 0;
  for await (const c of res.body) n += (c as Buffer).length;
  if (res.statusCode !== 200) throw new Error(`${url}: ${res.statusCode}`);
  return n;
}

/** CPU time (ms) a process has used so far, from /proc/<pid>/stat (utime + stime, USER_HZ = 100) */
function cpuMs(pid: number): number {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(f[11]) + Number(f[12])) * 10;
}

function pct(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]!;
}

export async function benchGate(registryHost: string, work: string) {
  const dataDir = join(work, 'gate-bench');
  const cfg = loadConfig({ env: { CUSTOMS_DATA: dataDir } });
  const database = await openDatabase(cfg);
  const client = new RegistryClient(cfg);
  let img;
  try {
    const blob = randomBytes(BLOB_MB * 1024 * 1024); // incompressible, stored as-is
    img = await pushImage(client, registryHost, 'bench/gate', 'v1', { layers: [{ data: blob, mediaType: 'application/vnd.oci.image.layer.v1.tar' }], config: { architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [] } } });
    // a stored passing verdict: the gate's normal path is one primary-key lookup
    await recordVerdict(database, { registry: registryHost, repository: 'bench/gate', digest: img.manifestDigest },
      { verdict: 'pass', policy: { name: 'default', version: 0, mode: 'enforce' }, dbVersion: null, platforms: [] }, DEFAULT_POLICY, null);
  } finally {
    await client.close();
    database.close();
  }
  const [apiPort, gatePort] = [await freePort(), await freePort()];
  const cfgFile = join(work, 'gate-bench.json');
  writeFileSync(cfgFile, JSON.stringify({
    dataDir, database: { url: cfg.database.url }, server: { host: '127.0.0.1', port: apiPort },
    workers: { concurrency: 0, vulndbRefresh: false }, gate: { enabled: true, port: gatePort, upstream: `http://${registryHost}` },
  }));
  const server = spawn(join(ROOT, 'bin/customs'), ['serve', '--config', cfgFile], { env: { ...process.env, CUSTOMS_LOG_LEVEL: 'warn' }, stdio: 'inherit' });
  try {
    for (let i = 0; ; i++) {
      try { if ((await fetch(`http://127.0.0.1:${apiPort}/readyz`)).ok) break; } catch { /* starting */ }
      if (i > 400) throw new Error('customs serve did not start');
      await new Promise((r) => setTimeout(r, 50));
    }
    const g = `127.0.0.1:${gatePort}`;
    const blobPath = `/v2/bench/gate/blobs/${img.layers[0]!.digest}`;
    const direct: number[] = [], gated: number[] = [];
    await drain(`http://${registryHost}${blobPath}`); // page cache warm-up
    // the gate's own CPU per relayed GiB says what the relay costs whatever else runs on the machine
    let gateCpu = 0;
    const viaDirect = async () => { const t = performance.now(); await drain(`http://${registryHost}${blobPath}`); direct.push((performance.now() - t) / 1000); };
    const viaGate = async () => {
      const c = cpuMs(server.pid!);
      const t = performance.now(); await drain(`http://${g}${blobPath}`); gated.push((performance.now() - t) / 1000);
      gateCpu += cpuMs(server.pid!) - c;
    };
    for (let i = 0; i < BLOB_RUNS; i++) {
      if (i % 2 === 0) { await viaDirect(); await viaGate(); } else { await viaGate(); await viaDirect(); }
    }
    const med = (a: number[]) => pct(a, 50);
    const pairRatios = direct.map((d, i) => d / gated[i]!).sort((a, b) => a - b);
    const accept = { accept: img.manifestMediaType };
    const lat = { direct: [] as number[], gate: [] as number[] };
    for (let i = 0; i < MANIFEST_REQUESTS; i++) {
      let t = performance.now(); await drain(`http://${registryHost}/v2/bench/gate/manifests/v1`, accept); lat.direct.push(performance.now() - t);
      t = performance.now(); await drain(`http://${g}/v2/bench/gate/manifests/v1`, accept); lat.gate.push(performance.now() - t);
    }
    const out = {
      blobMiB: BLOB_MB,
      directMiBps: +(BLOB_MB / med(direct)).toFixed(0),
      gateMiBps: +(BLOB_MB / med(gated)).toFixed(0),
      throughputRatio: +(med(direct) / med(gated)).toFixed(3),
      blobRuns: BLOB_RUNS,
      pairRatioMin: +pairRatios[0]!.toFixed(3), pairRatioMax: +pairRatios.at(-1)!.toFixed(3),
      gateCpuMsPerGiB: Math.round(gateCpu / (BLOB_RUNS * BLOB_MB / 1024)),
      cores: availableParallelism(),
      manifestRequests: MANIFEST_REQUESTS,
      directP50Ms: +pct(lat.direct, 50).toFixed(2), directP99Ms: +pct(lat.direct, 99).toFixed(2),
      gateP50Ms: +pct(lat.gate, 50).toFixed(2), gateP99Ms: +pct(lat.gate, 99).toFixed(2),
      addedP99Ms: +(pct(lat.gate, 99) - pct(lat.direct, 99)).toFixed(2),
      targets: 'throughputRatio >= 0.90, addedP99Ms <= 10',
    };
    return out;
  } finally {
    server.kill('SIGTERM');
    await new Promise((r) => server.once('exit', r));
  }
}

// `node --max-semi-space-size=2 bench/gate.ts`: this part alone, on its own registry
if (import.meta.main) {
  const { mkdtempSync, rmSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const { startRegistry } = await import('../test/helpers/registry.ts');
  const { setLogLevel } = await import('../src/log.ts');
  setLogLevel('warn');
  const work = mkdtempSync(join(tmpdir(), 'customs-bench-gate-'));
  const registry = await startRegistry({ auth: 'none' });
  try {
    console.log(JSON.stringify(await benchGate(registry.host, work), null, 2));
  } finally {
    await registry.stop();
    rmSync(work, { recursive: true, force: true });
  }
}
