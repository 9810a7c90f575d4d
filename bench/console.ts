// The console with 10,000 stored images (bench part of `npm run bench`, or `node bench/console.ts`):
// server-side render time (p95) and weight of the images page and of an image page (targets
// ≤ 150 ms p95, ≤ 150 KB), beside the JSON API answering for the same image in the same run.
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseDpkgStatus } from '../src/analyzers/dpkg.ts';
import { loadConfig } from '../src/config/load.ts';
import { openDatabase } from '../src/db/client.ts';
import { images, scans, tags } from '../src/db/schema.ts';
import { setLogLevel } from '../src/log.ts';
import type { ScanReport } from '../src/scan/types.ts';
import { createApp } from '../src/server/app.ts';
import type { PackageRecord } from '../src/types.ts';
import type { Finding } from '../src/vulndb/types.ts';

const p95 = (a: number[]) => [...a].sort((x, y) => x - y)[Math.floor(a.length * 0.95)]!;

export async function benchConsole(work = mkdtempSync(join(tmpdir(), 'customs-console-bench-')), count = 10_000) {
  setLogLevel('warn');
  mkdirSync(work, { recursive: true });
  const cfg = loadConfig({ env: { CUSTOMS_DATA: join(work, 'console-bench') } });
  const database = await openDatabase(cfg);
  try {
    const packages = parseDpkgStatus('/var/lib/dpkg/status', readFileSync('/var/lib/dpkg/status')).slice(0, 200).map((p) => ({ ...p, layerIndex: 0 })) as PackageRecord[];
    const findings: Finding[] = packages.slice(0, 60).map((p, i) => ({
      id: `CVE-2024-${20000 + i}`, aliases: [], advisories: [`DEBIAN-CVE-2024-${20000 + i}`], package: { name: p.name, version: p.version, type: 'deb' },
      ecosystem: 'Debian:12', matchedName: p.sourceName ?? p.name, matchedVersion: p.version, fixedVersions: [`${p.version}+1`], fixedVersion: `${p.version}+1`, status: 'fixed-available',
      guidance: `upgrade ${p.name}`, severity: { rating: (['low', 'medium', 'high', 'critical'] as const)[i % 4], source: 'vendor', provider: 'Debian' }, summary: `${p.name}: a flaw in input handling`, foundIn: '/var/lib/dpkg/status', layerIndex: 0,
    }) as Finding);
    const now = new Date();
    let sample = '';
    for (let i = 0; i < count; i += 500) {
      const chunk = Array.from({ length: Math.min(500, count - i) }, (_, j) => {
        const k = i + j;
        const digest = 'sha256:' + createHash('sha256').update(`console-bench-${k}`).digest('hex');
        const report: ScanReport = {
          ref: `registry.example/team${k % 50}/app@${digest}`, rootDigest: digest, startedAt: now.toISOString(), finishedAt: now.toISOString(), dbVersion: null, warnings: [],
          platforms: [{ inventory: { source: 'bench', rootDigest: digest, manifestDigest: digest, platform: { os: 'linux', architecture: 'amd64' }, configDigest: digest, config: { user: 'app' }, layers: [{ digest, size: 30_000_000, mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', cached: false }], os: { id: 'debian', versionId: '12', foundIn: '/etc/os-release', prettyName: 'Debian GNU/Linux 12' }, packages, warnings: [] }, findings }],
        };
        return { k, digest, report };
      });
      sample ||= chunk[0]!.digest;
      await database.db.insert(scans).values(chunk.map((r) => ({ id: `scan-${r.k}`, registry: 'registry.example', repository: `team${r.k % 50}/app`, digest: r.digest, ref: r.report.ref, dbVersion: null, startedAt: now, finishedAt: new Date(now.getTime() - r.k * 60_000), platforms: 1, packages: packages.length, findings: findings.length, critical: 15, high: 15, medium: 15, low: 15, report: JSON.stringify(r.report) })));
      await database.db.insert(images).values(chunk.map((r) => ({ registry: 'registry.example', repository: `team${r.k % 50}/app`, digest: r.digest, firstSeenAt: now, lastSeenAt: new Date(now.getTime() - r.k * 60_000), lastScanId: `scan-${r.k}` })));
      await database.db.insert(tags).values(chunk.map((r) => ({ registry: 'registry.example', repository: `team${r.k % 50}/app`, tag: `v${r.k}`, digest: r.digest, updatedAt: now })));
    }
    const app = createApp({ database, cfg });
    const measure = async (path: string, n = 60) => {
      const t: number[] = [];
      let bytes = 0;
      for (let i = 0; i < n; i++) {
        const t0 = performance.now();
        const res = await app.request(path);
        const body = await res.arrayBuffer();
        t.push(performance.now() - t0);
        if (res.status !== 200) throw new Error(`${path}: HTTP ${res.status}`);
        bytes = body.byteLength;
      }
      return { p95Ms: +p95(t).toFixed(1), kb: +(bytes / 1024).toFixed(1) };
    };
    const imagePath = `/images/registry.example/team0/app/@${sample}`;
    return {
      images: count, packagesPerImage: packages.length, findingsPerImage: findings.length,
      imagesPage: await measure('/images'), imagesPageFiltered: await measure('/images?repository=team7&severity=high&sort=critical'),
      imagesPageLast: await measure(`/images?page=${Math.ceil(count / 50)}`),
      imagePage: await measure(imagePath), apiImageFindings: await measure(`/api/v1/images/${sample}/findings`),
      overview: await measure('/', 20), target: '≤ 150 ms p95, ≤ 150 KB',
    };
  } finally {
    database.close();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) console.log(JSON.stringify(await benchConsole(), null, 2));
