// Harbor's scanner API (bench part of `npm run bench`, or BENCH_ONLY=harbor):
//   1. a scan request → its report available, against `customs scan` of the same image in the same
//      run (both cold: fresh data directories; target ≤ 1.3×)
//   2. rendering the vulnerability report of a 1,000-finding image (target ≤ 50 ms)
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { configSchema } from '../src/config/schema.ts';
import { toHarborVulnerabilityReport } from '../src/harbor/reports.ts';
import { setLogLevel } from '../src/log.ts';
import type { ScanReport } from '../src/scan/types.ts';
import { startService } from '../src/server/service.ts';
import type { Finding } from '../src/vulndb/types.ts';

const ROOT = resolve(import.meta.dirname, '..');
const med = (a: number[]) => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)]!;

/** A report of `n` findings shaped like real ones (CVSS vectors, aliases, several advisories). */
function syntheticReport(n: number): ScanReport {
  const findings: Finding[] = [];
  for (let i = 0; i < n; i++) {
    findings.push({
      id: `CVE-2024-${10000 + i}`, aliases: [`GHSA-${'abcd'.repeat(1)}-${'2345'}-${'6789'}`, `DSA-${5000 + i}-1`], advisories: [`DEBIAN-CVE-2024-${10000 + i}`, `DSA-${5000 + i}-1`],
      package: { name: `pkg${i % 200}`, version: `1.${i % 7}.0-1`, type: 'deb', sourceName: `src${i % 150}` },
      ecosystem: 'Debian:12', matchedName: `src${i % 150}`, matchedVersion: `1.${i % 7}.0-1`, fixedVersions: [`1.${i % 7}.1-1`], fixedVersion: `1.${i % 7}.1-1`,
      status: 'fixed-available', guidance: `upgrade pkg${i % 200} to 1.${i % 7}.1-1`,
      severity: { rating: (['low', 'medium', 'high', 'critical'] as const)[i % 4], score: 7.5, vector: 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H', type: 'CVSS_V3', source: 'nvd', provider: 'nvd@nist.gov' },
      ratings: [{ rating: 'high', score: 7.5, vector: 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H', type: 'CVSS_V3', source: 'nvd', provider: 'nvd@nist.gov' }, { rating: 'medium', type: 'urgency', source: 'vendor', provider: 'Debian', label: 'medium' }],
      summary: 'A flaw was found in the parsing of ASN.1 object identifiers that can lead to a denial of service.'.repeat(2),
      layer: `sha256:${'a'.repeat(64)}`, layerIndex: i % 3, foundIn: '/var/lib/dpkg/status',
    } as Finding);
  }
  return { ref: 'registry.example/app@sha256:' + 'b'.repeat(64), rootDigest: 'sha256:' + 'b'.repeat(64), startedAt: new Date().toISOString(), finishedAt: new Date().toISOString(), dbVersion: null, warnings: [],
    platforms: [{ inventory: { source: 'x', rootDigest: '', manifestDigest: '', platform: { os: 'linux', architecture: 'amd64' }, configDigest: '', config: {}, layers: [], packages: [], warnings: [] }, findings }] } as ScanReport;
}

export async function benchHarbor(registryHost: string, repository: string, digest: string, customs: string, work = mkdtempSync(join(tmpdir(), 'customs-harbor-bench-'))) {
  setLogLevel('warn');
  mkdirSync(work, { recursive: true });
  // 2. rendering
  const report = syntheticReport(1000);
  const render: number[] = [];
  for (let i = 0; i < 30; i++) {
    const t = performance.now();
    JSON.stringify(toHarborVulnerabilityReport(report, { repository: 'app', digest: report.rootDigest }));
    render.push(performance.now() - t);
  }
  // 1. request → report vs the CLI, both cold
  const runs = Number(process.env.BENCH_RUNS ?? 3);
  const viaHarbor: number[] = [];
  const viaCli: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    const r = spawnSync(customs, ['scan', `${registryHost}/${repository}@${digest}`, '--format', 'json', '--output', join(work, `cli-${i}.json`)], { env: { ...process.env, CUSTOMS_DATA: join(work, `cli-${i}`), CUSTOMS_LOG_LEVEL: 'error' } });
    if (r.status !== 0) throw new Error(`customs scan failed: ${r.stderr}`);
    viaCli.push((performance.now() - t0) / 1000);
    const cfg = configSchema.parse({ dataDir: join(work, `svc-${i}`), database: { url: `file:${join(work, `svc-${i}`, 'customs.db')}` }, server: { host: '127.0.0.1', port: 0 }, harbor: { registries: [registryHost], refreshAfterSeconds: 1 }, workers: { pollMs: 50 } });
    const svc = await startService(cfg);
    try {
      const base = `http://127.0.0.1:${svc.port}/harbor/api/v1`;
      const t1 = performance.now();
      const res = await fetch(`${base}/scan`, { method: 'POST', body: JSON.stringify({ registry: { url: `http://${registryHost}` }, artifact: { repository, digest } }) });
      const { id } = await res.json() as { id: string };
      // poll as Harbor does, but every 100 ms so the figure is the scan's, not the polling interval's
      for (let k = 0; k < 3000; k++) {
        const rep = await fetch(`${base}/scan/${id}/report`, { redirect: 'manual' });
        await rep.arrayBuffer();
        if (rep.status === 200) break;
        if (rep.status !== 302) throw new Error(`report: HTTP ${rep.status}`);
        await new Promise((r) => setTimeout(r, 100));
      }
      viaHarbor.push((performance.now() - t1) / 1000);
    } finally {
      await svc.stop();
    }
  }
  return {
    requestToReportS: +med(viaHarbor).toFixed(3), cliScanS: +med(viaCli).toFixed(3),
    requestToReportOverCli: +(med(viaHarbor) / med(viaCli)).toFixed(3), target1: '≤ 1.3',
    render1000FindingsMs: +med(render).toFixed(2), target2: '≤ 50 ms',
  };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  console.log(JSON.stringify((await benchHarbor(process.argv[2]!, process.argv[3]!, process.argv[4]!, join(ROOT, 'bin/customs'))), null, 2));
}
