// Re-evaluating 10,000 stored images after a vulnerability database update: every stored inventory
// re-matched and judged again, zero blobs downloaded (no registry is even running for it).
// Inventories are real records: the first `osPackages` entries of this machine's dpkg database (the
// lab image has 124) plus Python packages that have real advisories in ../shared/data/osv, each
// image under its own digest.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseDpkgStatus } from '../src/analyzers/dpkg.ts';
import { loadConfig } from '../src/config/load.ts';
import { openDatabase } from '../src/db/client.ts';
import { images, scans } from '../src/db/schema.ts';
import { parsePolicy } from '../src/policy/parse.ts';
import { PolicyStore } from '../src/policy/store.ts';
import { reevaluateAll } from '../src/judge/reevaluate.ts';
import { judgeContext } from '../src/judge/judge.ts';
import { RegistryClient } from '../src/registry/client.ts';
import type { ScanReport } from '../src/scan/types.ts';
import type { PackageRecord } from '../src/types.ts';
import { VulnStore } from '../src/vulndb/store.ts';

const SHARED_OSV = resolve(import.meta.dirname, '../../shared/data/osv');

export async function benchReevaluate(work: string, count = 10_000, osPackages = 200) {
  const cfg = loadConfig({ env: { CUSTOMS_DATA: join(work, 'reeval-bench') } });
  const database = await openDatabase(cfg);
  const client = new RegistryClient(cfg);
  try {
    const deb = parseDpkgStatus('/var/lib/dpkg/status', readFileSync('/var/lib/dpkg/status')).slice(0, osPackages).map((p) => ({ ...p, layerIndex: 0 })) as PackageRecord[];
    const py: PackageRecord[] = [['aiohttp', '3.7.3'], ['requests', '2.25.0'], ['jinja2', '2.10'], ['urllib3', '1.26.4'], ['pyyaml', '5.3']]
      .map(([name, version]) => ({ type: 'pypi', name: name!, version: version!, foundIn: `/usr/local/lib/python3.11/site-packages/${name}-${version}.dist-info/METADATA`, layerIndex: 0 }));
    const packages = [...deb, ...py];
    const now = new Date();
    const rows = [];
    for (let i = 0; i < count; i++) {
      const digest = 'sha256:' + createHash('sha256').update(`bench-image-${i}`).digest('hex');
      const report: ScanReport = {
        ref: `registry.example/team${i % 50}/app@${digest}`, rootDigest: digest, startedAt: now.toISOString(), finishedAt: now.toISOString(), dbVersion: null, warnings: [],
        platforms: [{ inventory: { source: 'bench', rootDigest: digest, manifestDigest: digest, platform: { os: 'linux', architecture: 'amd64' }, configDigest: digest, config: { user: 'app' }, layers: [], os: { id: 'debian', versionId: '12', foundIn: '/etc/os-release' }, packages, warnings: [] }, findings: [] }],
      };
      rows.push({ report, digest, repo: `team${i % 50}/app` });
    }
    const t0 = performance.now();
    for (let i = 0; i < rows.length; i += 500) {
      const chunk = rows.slice(i, i + 500);
      await database.db.insert(scans).values(chunk.map((r, j) => ({ id: `scan-${i + j}`, registry: 'registry.example', repository: r.repo, digest: r.digest, ref: r.report.ref, dbVersion: null, startedAt: now, finishedAt: now, platforms: 1, packages: packages.length, findings: 0, report: JSON.stringify(r.report) })));
      await database.db.insert(images).values(chunk.map((r, j) => ({ registry: 'registry.example', repository: r.repo, digest: r.digest, firstSeenAt: now, lastSeenAt: now, lastScanId: `scan-${i + j}` })));
    }
    const storeMs = performance.now() - t0;
    const store = new VulnStore(database);
    const imported = await store.importFrom([SHARED_OSV]);
    await new PolicyStore(database).apply(parsePolicy(`apiVersion: customs.dev/v1
kind: Policy
metadata: { name: bench }
spec:
  rules:
    - { type: vulnerabilities, maxSeverity: medium }
  actions:
    fail: [{ type: gate }]
`), { actor: 'bench' });
    // publication on (as in production with attestations): every changed verdict also queues its
    // publication in the same transaction — that cost is part of the figure
    const ctx = judgeContext({ ...cfg, attestations: { ...cfg.attestations, enabled: true } }, database, client);
    const s = await reevaluateAll(ctx, store, { rematch: true });
    // then a policy change that flips every stored verdict (no re-match): the 10,000-flip case
    await new PolicyStore(database).apply(parsePolicy(`apiVersion: customs.dev/v1
kind: Policy
metadata: { name: bench }
spec:
  rules:
    - { type: vulnerabilities, maxSeverity: critical }
  actions:
    fail: [{ type: gate }]
`), { actor: 'bench' });
    const flip = await reevaluateAll(ctx, store, { rematch: false });
    return {
      images: s.images, packagesPerImage: packages.length, advisories: imported.imported,
      rematched: s.rematched, changed: s.changed, quarantined: s.quarantined, failed: s.failed, publicationsQueued: s.published,
      seconds: +(s.ms / 1000).toFixed(1), perImageMs: +(s.ms / s.images).toFixed(2), storeSeconds: +(storeMs / 1000).toFixed(1),
      policyFlip: { changed: flip.changed, publicationsQueued: flip.published, seconds: +(flip.ms / 1000).toFixed(1), perImageMs: +(flip.ms / flip.images).toFixed(2) },
      blobDownloads: 0, target: 'seconds <= 60 (both)',
    };
  } finally {
    await client.close();
    database.close();
  }
}
