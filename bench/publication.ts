// The publication outbox against a local docker-registry: N real images (one shared layer, distinct
// configs) with stored scans; their first verdicts queue all three statements, a policy change then
// flips every verdict and queues the verdict statement alone. Measured: re-evaluation time, the
// outbox drain rate (images/s, both layouts) for each, whether the pull gate answers from the new
// verdicts before anything is published, and a baseline in the same run — the same number of
// statement-sized blobs and manifests pushed unsigned, at the same concurrency.
// `node bench/publication.ts` alone, or as part of `npm run bench`.
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import PQueue from 'p-queue';
import { parseDpkgStatus } from '../src/analyzers/dpkg.ts';
import { imageStatements } from '../src/attest/statements.ts';
import { loadConfig } from '../src/config/load.ts';
import { configSchema } from '../src/config/schema.ts';
import { openDatabase } from '../src/db/client.ts';
import { images, scans } from '../src/db/schema.ts';
import { startGate } from '../src/gate/server.ts';
import { MT } from '../src/image/media-types.ts';
import { judgeContext } from '../src/judge/judge.ts';
import { setLogLevel } from '../src/log.ts';
import { parsePolicy } from '../src/policy/parse.ts';
import { PolicyStore } from '../src/policy/store.ts';
import { evaluateReport } from '../src/policy/verdicts.ts';
import { OutboxStore } from '../src/publish/outbox.ts';
import { startPublisher } from '../src/publish/publisher.ts';
import { reevaluateAll } from '../src/judge/reevaluate.ts';
import { RegistryClient } from '../src/registry/client.ts';
import type { ScanReport } from '../src/scan/types.ts';
import type { PackageRecord } from '../src/types.ts';
import { VulnStore } from '../src/vulndb/store.ts';
import { pushImage } from '../test/helpers/push.ts';
import { startRegistry } from '../test/helpers/registry.ts';
import { gzip, makeTar } from '../test/helpers/tar.ts';

const policy = (deny: string, version: string) => parsePolicy(`apiVersion: customs.dev/v1
kind: Policy
metadata: { name: bench, description: "${version}" }
spec:
  rules:
    - { type: deny-packages, packages: ["${deny}"] }
  actions:
    fail: [{ type: gate }]
`);

function cpuSeconds(u: NodeJS.CpuUsage): number {
  return +((u.user + u.system) / 1e6).toFixed(2);
}

export async function benchPublication(work: string, count = Number(process.env.BENCH_PUBLICATION_IMAGES ?? 300)) {
  const reg = await startRegistry({ auth: 'none' });
  const dataDir = join(work, 'publication-bench');
  const base = loadConfig({ env: { CUSTOMS_DATA: dataDir } });
  const cfg = configSchema.parse({ ...base, attestations: { ...base.attestations, enabled: true, format: 'both' }, gate: { enabled: true, port: 0, upstream: `http://${reg.host}` } });
  const database = await openDatabase(cfg);
  const client = new RegistryClient(cfg);
  const gate = await startGate(cfg.gate, database);
  try {
    // real package records (this machine's dpkg database), one shared layer, N distinct images
    const deb = parseDpkgStatus('/var/lib/dpkg/status', readFileSync('/var/lib/dpkg/status')).slice(0, 200).map((p) => ({ ...p, layerIndex: 0 })) as PackageRecord[];
    const layer = gzip(await makeTar([{ path: 'etc/os-release', content: 'ID=debian\nVERSION_ID="12"\n' }]));
    const now = new Date();
    const pushed: { repo: string; digest: string }[] = [];
    const q = new PQueue({ concurrency: 8 });
    await Promise.all(Array.from({ length: count }, (_, i) => q.add(async () => {
      const repo = `bench/app${i % 10}`;
      const img = await pushImage(client, reg.host, repo, `v${i}`, { layers: [{ data: layer }], config: { architecture: 'amd64', os: 'linux', config: { Labels: { n: String(i) } }, rootfs: { type: 'layers', diff_ids: [] } } });
      pushed.push({ repo, digest: img.manifestDigest });
    })));
    const rows = pushed.map(({ repo, digest }, i) => {
      const report: ScanReport = {
        ref: `${reg.host}/${repo}@${digest}`, rootDigest: digest, startedAt: now.toISOString(), finishedAt: now.toISOString(), dbVersion: null, warnings: [],
        platforms: [{ inventory: { source: 'bench', rootDigest: digest, manifestDigest: digest, platform: { os: 'linux', architecture: 'amd64' }, configDigest: digest, config: { user: 'app' }, layers: [], os: { id: 'debian', versionId: '12', foundIn: '/etc/os-release' }, packages: deb, warnings: [] }, findings: [] }],
      };
      return { id: `scan-${i}`, repo, digest, report };
    });
    await database.db.insert(scans).values(rows.map((r) => ({ id: r.id, registry: reg.host, repository: r.repo, digest: r.digest, ref: r.report.ref, dbVersion: null, startedAt: now, finishedAt: now, platforms: 1, packages: deb.length, findings: 0, report: JSON.stringify(r.report) })));
    await database.db.insert(images).values(rows.map((r) => ({ registry: reg.host, repository: r.repo, digest: r.digest, firstSeenAt: now, lastSeenAt: now, lastScanId: r.id })));

    const store = new VulnStore(database);
    const outbox = new OutboxStore(database);
    const policies = new PolicyStore(database);
    const ctx = judgeContext(cfg, database, client);
    // 1. first verdicts (pass): every image needs all three statements
    await policies.apply(policy('no-such-package', 'v1'), { actor: 'bench' });
    const first = await reevaluateAll(ctx, store, { rematch: false });
    const queuedAll = (await outbox.depth()).pending;
    let publisher = await startPublisher(cfg, database, client);
    let t = performance.now();
    let cpu = process.cpuUsage();
    await publisher.idle();
    const drainAllS = (performance.now() - t) / 1000;
    const drainAllCpuS = cpuSeconds(process.cpuUsage(cpu));
    await publisher.stop();
    const publishedAll = publisher.stats.published;

    // 2. a policy change that flips every verdict to fail; the gate must refuse at once, before any publication
    await policies.apply(policy(deb[0]!.name, 'v2'), { actor: 'bench' });
    const flip = await reevaluateAll(ctx, store, { rematch: false });
    const queuedVerdict = (await outbox.depth()).pending;
    const sample = pushed.filter((_, i) => i % Math.max(1, Math.floor(count / 50)) === 0);
    let refusedBeforePublication = 0;
    for (const p of sample) {
      const res = await fetch(`http://127.0.0.1:${gate.address().port}/v2/${p.repo}/manifests/${p.digest}`, { headers: { accept: MT.ociManifest } });
      await res.body?.cancel();
      if (res.status === 403) refusedBeforePublication++;
    }
    publisher = await startPublisher(cfg, database, client);
    t = performance.now();
    cpu = process.cpuUsage();
    await publisher.idle();
    const drainVerdictS = (performance.now() - t) / 1000;
    const drainVerdictCpuS = cpuSeconds(process.cpuUsage(cpu));
    await publisher.stop();
    const publishedVerdict = publisher.stats.published;

    // baseline: the registry work alone — the three statements as unsigned blobs plus one manifest per
    // image, same concurrency as the publisher's per-registry limit, no signing, no read-modify-write
    const governing = await policies.governing(reg.host, rows[0]!.repo);
    const bq = new PQueue({ concurrency: cfg.attestations.perRegistry });
    t = performance.now();
    await Promise.all(rows.map((r) => bq.add(async () => {
      const image = { registry: reg.host, repository: r.repo, digest: r.digest };
      const layers = [];
      for (const st of imageStatements(image, r.report, evaluateReport(r.report, image, governing))) {
        layers.push({ mediaType: 'application/json', ...(await client.pushBlob(reg.host, r.repo, Buffer.from(JSON.stringify(st)))) });
      }
      const empty = await client.pushBlob(reg.host, r.repo, Buffer.from('{}'));
      const bytes = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: MT.ociManifest, config: { mediaType: MT.ociEmpty, ...empty }, layers }));
      await client.putManifest(reg.host, r.repo, `baseline-${createHash('sha256').update(r.digest).digest('hex').slice(0, 12)}`, bytes, MT.ociManifest);
    })));
    const baselineS = (performance.now() - t) / 1000;
    const rate = (n: number, s: number) => +(n / s).toFixed(1);
    return {
      images: count, packagesPerImage: deb.length,
      firstVerdicts: { reevaluateSeconds: +(first.ms / 1000).toFixed(2), queued: queuedAll, published: publishedAll, drainSeconds: +drainAllS.toFixed(2), customsCpuSeconds: drainAllCpuS, imagesPerSecond: rate(publishedAll, drainAllS), statements: 3, layouts: 'legacy .att + referrers (fallback index)' },
      policyFlip: { reevaluateSeconds: +(flip.ms / 1000).toFixed(2), changed: flip.changed, queued: queuedVerdict, published: publishedVerdict, drainSeconds: +drainVerdictS.toFixed(2), customsCpuSeconds: drainVerdictCpuS, imagesPerSecond: rate(publishedVerdict, drainVerdictS), statements: 1 },
      gateRefusedBeforePublication: `${refusedBeforePublication}/${sample.length}`,
      baseline: { seconds: +baselineS.toFixed(2), imagesPerSecond: rate(count, baselineS), what: '3 unsigned statement blobs + 1 manifest per image' },
      allStatementsOverBaseline: +((count / drainAllS) / (count / baselineS)).toFixed(3),
      target: 'imagesPerSecond >= 20 (three statements, both layouts); gate refuses all before publication',
    };
  } finally {
    await gate.close();
    await client.close();
    database.close();
    await reg.stop();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  setLogLevel('warn');
  const work = mkdtempSync(join(tmpdir(), 'customs-bench-pub-'));
  try {
    console.log(JSON.stringify(await benchPublication(work), null, 2));
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}
