// `npm run bench:verdict`: push-to-verdict latency of the lab image (lab/app:vuln) through the service
// vs. the CLI scan time of the same image (target ≤ 1.3×), both cold (no layer cache), same registry.
//   push-to-verdict: skopeo finishes pushing (the manifest is pushed last, so the registry's
//   notification follows) → the scan is readable at GET /api/v1/images/{digest}.
// Needs the lab image (../shared/lab/registry-lab.sh images; LAB=/tmp/lab by default) and skopeo.
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { freePort, startRegistry } from '../test/helpers/registry.ts';

const ROOT = resolve(import.meta.dirname, '..');
const LAB = process.env.LAB ?? '/tmp/lab';
const CUSTOMS = join(ROOT, 'bin/customs');
const SECRET = 'bench-verdict-secret-0123456789';
const RUNS = Number(process.env.BENCH_RUNS ?? 2);

const work = mkdtempSync(join(tmpdir(), 'customs-bench-verdict-'));
const port = await freePort();
const reg = await startRegistry({ notifications: { url: `http://127.0.0.1:${port}/webhooks/distribution`, headers: { Authorization: [`Bearer ${SECRET}`] } } });
const results: Record<string, unknown> = { image: 'lab/app:vuln', runs: RUNS };
try {
  // CLI baseline: a cold scan (no cache) of the image already in the registry.
  execFileSync('skopeo', ['copy', '-q', '--dest-tls-verify=false', `oci:${join(LAB, 'oci')}:app`, `docker://${reg.host}/lab/app:vuln`], { stdio: 'inherit' });
  const cli: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const data = join(work, `cli-${i}`);
    const t0 = performance.now();
    const r = spawnSync(CUSTOMS, ['scan', `${reg.host}/lab/app:vuln`, '--format', 'json', '--no-cache'], { env: { ...process.env, CUSTOMS_DATA: data, CUSTOMS_LOG_LEVEL: 'warn' }, encoding: 'utf8', maxBuffer: 256 << 20 });
    cli.push((performance.now() - t0) / 1000);
    if (r.status !== 0) throw new Error(`customs scan failed: ${r.stderr}`);
  }

  // Service: a fresh data directory (cold cache) per run, pushed to a new repository each time.
  const service: number[] = [];
  const inService: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const data = join(work, `svc-${i}`);
    mkdirSync(data);
    writeFileSync(join(data, 'customs.json'), JSON.stringify({
      dataDir: data, server: { host: '127.0.0.1', port },
      webhooks: { sources: { distribution: { secret: SECRET } } }, workers: { concurrency: 2, pollMs: 200, vulndbRefresh: false },
    }));
    const child = spawn(CUSTOMS, ['serve', '--config', join(data, 'customs.json')], { env: { ...process.env, CUSTOMS_LOG_LEVEL: 'warn' }, stdio: 'inherit' });
    try {
      for (let k = 0; ; k++) {
        try { if ((await fetch(`http://127.0.0.1:${port}/readyz`)).ok) break; } catch { /* starting */ }
        if (k > 200) throw new Error('customs did not start');
        await sleep(50);
      }
      const digestFile = join(data, 'digest');
      execFileSync('skopeo', ['copy', '-q', '--dest-tls-verify=false', '--digestfile', digestFile, `oci:${join(LAB, 'oci')}:app`, `docker://${reg.host}/lab/run${i}:vuln`], { stdio: 'inherit' });
      const pushed = performance.now();
      const digest = readFileSync(digestFile, 'utf8').trim();
      let scan: any;
      for (let k = 0; k < 3000 && !scan; k++) {
        const res = await fetch(`http://127.0.0.1:${port}/api/v1/images/${digest}`);
        if (res.ok) scan = await res.json(); else { await res.arrayBuffer(); await sleep(20); }
      }
      if (!scan) throw new Error('no verdict within 60 s');
      service.push((performance.now() - pushed) / 1000);
      inService.push((Date.parse(scan.scan.finishedAt) - Date.parse(scan.scan.startedAt)) / 1000);
    } finally {
      child.kill('SIGTERM');
      await new Promise((r) => child.once('exit', r));
    }
  }
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  Object.assign(results, {
    cliScanSeconds: cli, pushToVerdictSeconds: service, scanInsideServiceSeconds: inService,
    ratio: Math.round((median(service) / median(cli)) * 100) / 100, target: 1.3,
  });
  console.log(JSON.stringify(results, null, 2));
  mkdirSync(join(ROOT, 'bench/out'), { recursive: true });
  writeFileSync(join(ROOT, 'bench/out/push-to-verdict.json'), JSON.stringify(results, null, 2) + '\n');
} finally {
  await reg.stop();
  rmSync(work, { recursive: true, force: true });
}
