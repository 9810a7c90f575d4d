// `node bench/attestations.ts`: signing + publishing the three attestations in both formats for one
// image against a local docker-registry, and verifying an image's signatures, each with a baseline
// measured in the same run (the bare registry work: the same bytes pushed unsigned in one manifest;
// finding and downloading the signatures without verifying them). Results: bench/out/attestations.json.
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { createPublicKey, generateKeyPairSync, sign } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { publishAttestations } from '../src/attest/publish.ts';
import { imageStatements } from '../src/attest/statements.ts';
import { openDatabase } from '../src/db/client.ts';
import { MT } from '../src/image/media-types.ts';
import { setLogLevel } from '../src/log.ts';
import { judge, judgeContext } from '../src/judge/judge.ts';
import { RegistryClient } from '../src/registry/client.ts';
import { scanImage } from '../src/scan/scan-image.ts';
import { discoverSignatures } from '../src/signing/discover.ts';
import { loadSigner } from '../src/signing/key.ts';
import { verifyImageSignatures } from '../src/signing/verify-image.ts';
import { pushImage } from '../test/helpers/push.ts';
import { startRegistry, testConfig } from '../test/helpers/registry.ts';
import { gzip, makeTar } from '../test/helpers/tar.ts';

const RUNS = Number(process.env.BENCH_RUNS ?? 15);
const PACKAGES = Number(process.env.BENCH_PACKAGES ?? 500);
setLogLevel('warn');

async function timed(n: number, fn: (i: number) => Promise<unknown>): Promise<{ medianMs: number; p90Ms: number }> {
  const ms: number[] = [];
  for (let i = 0; i < n; i++) { const t = performance.now(); await fn(i); ms.push(performance.now() - t); }
  ms.sort((a, b) => a - b);
  const r = (x: number) => Math.round(x * 10) / 10;
  return { medianMs: r(ms[Math.floor(n / 2)]!), p90Ms: r(ms[Math.floor(n * 0.9)]!) };
}

const reg = await startRegistry({ auth: 'none' });
const work = mkdtempSync(join(tmpdir(), 'customs-bench-attest-'));
try {
  const cfg = testConfig({ dataDir: work, database: { url: `file:${join(work, 'customs.db')}` }, attestations: { enabled: true } });
  const database = await openDatabase(cfg);
  const client = new RegistryClient(cfg);
  const status = Array.from({ length: PACKAGES }, (_, i) => `Package: pkg${i}\nStatus: install ok installed\nArchitecture: amd64\nVersion: 1.${i}-1\nSource: src${i % 50}\n`).join('\n');
  const layer = gzip(await makeTar([{ path: 'etc/os-release', content: 'ID=debian\nVERSION_ID="12"\n' }, { path: 'var/lib/dpkg/status', content: status }]));
  const img = await pushImage(client, reg.host, 'bench/app', 'v1', { layers: [{ data: layer }], config: { architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [] } } });
  const image = { registry: reg.host, repository: 'bench/app', digest: img.manifestDigest };
  const report = await scanImage(`${reg.host}/bench/app:v1`, { cfg, database });
  const { verdict } = await judge(judgeContext({ ...cfg, policy: { ...cfg.policy, actions: false } }, database, client), { ...image, tag: 'v1' }, report, null, { findingsChanged: true });
  const signer = loadSigner(cfg);
  const statementBytes = imageStatements(image, report, verdict).map((s) => Buffer.byteLength(JSON.stringify(s)));

  // baseline: the same statements pushed unsigned as blobs of one manifest (no signing, no read-modify-write)
  const baseline = await timed(RUNS, async (i) => {
    const layers = [];
    for (const s of imageStatements(image, { ...report, finishedAt: new Date(Date.now() + i).toISOString() }, verdict)) {
      layers.push({ mediaType: 'application/json', ...(await client.pushBlob(reg.host, 'bench/app', Buffer.from(JSON.stringify(s)))) });
    }
    const cfgBlob = await client.pushBlob(reg.host, 'bench/app', Buffer.from('{}'));
    await client.putManifest(reg.host, 'bench/app', 'baseline', Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: MT.ociManifest, config: { mediaType: MT.ociEmpty, ...cfgBlob }, layers })), MT.ociManifest);
  });
  const publish = await timed(RUNS, (i) => publishAttestations({ client, signer, cfg }, image, { ...report, finishedAt: new Date(Date.now() + 1000 + i).toISOString() }, verdict));

  // signatures to verify: a cosign legacy .sig (P-256) next to the bundle referrers just written
  const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  const payload = Buffer.from(JSON.stringify({ critical: { identity: { 'docker-reference': `${reg.host}/bench/app` }, image: { 'docker-manifest-digest': image.digest }, type: 'cosign container image signature' }, optional: null }));
  const b = await client.pushBlob(reg.host, 'bench/app', payload);
  const c = await client.pushBlob(reg.host, 'bench/app', Buffer.from('{}'));
  await client.putManifest(reg.host, 'bench/app', `${image.digest.replace(':', '-')}.sig`, Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: MT.ociManifest, config: { mediaType: MT.ociConfig, ...c },
    layers: [{ mediaType: 'application/vnd.dev.cosign.simplesigning.v1+json', ...b, annotations: { 'dev.cosignproject.cosign/signature': sign('sha256', payload, privateKey).toString('base64') } }] })), MT.ociManifest);
  const authorities = [{ name: 'release', key: createPublicKey(privateKey).export({ type: 'spki', format: 'pem' }).toString() }];
  const fetchOnly = await timed(RUNS, () => discoverSignatures(client, image, cfg.limits.maxManifestBytes));
  let verified = 0;
  let found = 0;
  const verify = await timed(RUNS, async () => { const r = await verifyImageSignatures(client, image, authorities, cfg.limits.maxManifestBytes); found = r.length; verified = r.filter((x) => x.verified).length; });

  const out = {
    runs: RUNS, packages: PACKAGES, statementBytes,
    publishBothFormats: publish, publishBaselineUnsigned: baseline, publishRatio: Math.round((publish.medianMs / baseline.medianMs) * 100) / 100,
    verifySignatures: { ...verify, signaturesFound: found, verified }, verifyBaselineFetchOnly: fetchOnly, verifyRatio: Math.round((verify.medianMs / fetchOnly.medianMs) * 100) / 100,
  };
  const dir = resolve(import.meta.dirname, 'out');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'attestations.json'), JSON.stringify(out, null, 2) + '\n');
  console.log(JSON.stringify(out, null, 2));
  await client.close();
  database.close();
} finally {
  await reg.stop();
}
