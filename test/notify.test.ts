// Notifications out (src/notify/advisory-webhook.ts): a scanned image runs in an internet-facing
// Deployment (the workload inventory, from kubectl output); the vulnerability database gains real
// advisories (test/fixtures/osv/pypi/aiohttp); the re-evaluation re-matches the stored inventory and
// the webhook receives one CloudEvent (structured mode) whose HMAC-SHA256 signature the local
// receiver checks the way a receiver must: over "<timestamp>.<raw body>", compared in constant time.
import { createHmac, timingSafeEqual } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { configSchema, type Config } from '../src/config/schema.ts';
import { openDatabase, type Database } from '../src/db/client.ts';
import { images, scans } from '../src/db/schema.ts';
import { judgeContext } from '../src/judge/judge.ts';
import { reevaluateAll } from '../src/judge/reevaluate.ts';
import { log } from '../src/log.ts';
import { AdvisoryNotifier, EVENT_TYPE } from '../src/notify/advisory-webhook.ts';
import { RegistryClient } from '../src/registry/client.ts';
import { scanImage } from '../src/scan/scan-image.ts';
import { toScanRecord } from '../src/scan/scan-record.ts';
import { VulnStore } from '../src/vulndb/store.ts';
import { ingestInventory } from '../src/workloads/ingest.ts';
import { pushDebianImage } from './helpers/push.ts';
import { startRegistry, testConfig, type TestRegistry } from './helpers/registry.ts';
import { PYPI_DIR } from './vulndb-helpers.ts';

const SECRET = 'notify-test-secret-0123456789abcdef-xyz';
let reg: TestRegistry;
let cfg: Config;
let dir: string;
let database: Database;
let receiver: Server;
let url: string;
/** what the receiver got: the raw body, the headers, whether the signature verified */
const received: { body: string; headers: IncomingHttpHeaders; verified: boolean }[] = [];
/** answers the receiver gives, one per request, then 202 */
const answers: number[] = [];

function verify(headers: IncomingHttpHeaders, body: string): boolean {
  const ts = Number(headers['customs-webhook-timestamp']);
  const sig = String(headers['customs-webhook-signature'] ?? '');
  if (!Number.isInteger(ts) || Math.abs(Date.now() / 1000 - ts) > 300 || !sig.startsWith('v1=')) return false;
  const expected = createHmac('sha256', SECRET).update(`${ts}.${body}`).digest();
  const given = Buffer.from(sig.slice(3), 'hex');
  return given.length === expected.length && timingSafeEqual(given, expected);
}

beforeAll(async () => {
  reg = await startRegistry();
  dir = mkdtempSync(join(tmpdir(), 'customs-notify-'));
  cfg = testConfig({ dataDir: dir, database: { url: `file:${join(dir, 'customs.db')}` } });
  database = await openDatabase(cfg);
  receiver = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      received.push({ body, headers: req.headers, verified: verify(req.headers, body) });
      res.writeHead(answers.shift() ?? 202).end();
    });
  });
  await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
  url = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hooks/customs`;
}, 60_000);
afterAll(async () => {
  receiver?.closeAllConnections();
  await new Promise<void>((r) => receiver?.close(() => r()));
  database?.close();
  await reg?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('a newly published advisory in an internet-facing workload', () => {
  it('is sent as a signed CloudEvent naming the advisories and the workloads; retried on 503', async () => {
    const client = new RegistryClient(cfg);
    const meta = 'Metadata-Version: 2.1\nName: aiohttp\nVersion: 3.7.3\n';
    const pushed = await pushDebianImage(client, reg.host, 'shop/web', '1', [['libc6', '2.36-9']], { extra: [{ path: 'opt/app/lib/python3.11/site-packages/aiohttp-3.7.3.dist-info/METADATA', content: meta }] });
    const digest = pushed.manifestDigest;
    // scanned with an empty database (no findings), stored as the service stores a scan
    const report = await scanImage(`${reg.host}/shop/web:1`, { cfg, database });
    expect(report.platforms[0]!.findings).toEqual([]);
    const rec = toScanRecord(report);
    await database.db.insert(scans).values({ id: 'scan-web', registry: reg.host, repository: 'shop/web', digest: rec.digest, ref: rec.ref, dbVersion: rec.dbVersion, startedAt: new Date(rec.startedAt), finishedAt: new Date(rec.finishedAt), platforms: rec.platforms, packages: rec.packages, findings: rec.findings, report: rec.report });
    await database.db.insert(images).values({ registry: reg.host, repository: 'shop/web', digest, firstSeenAt: new Date(), lastSeenAt: new Date(), lastScanId: 'scan-web' });

    // it runs behind a LoadBalancer in prod-eu, and in an internal-only Deployment of staging
    const pod = (ns: string, hash: string) => ({ apiVersion: 'v1', kind: 'Pod', metadata: { name: `web-${hash}-x1`, namespace: ns, labels: { app: 'web', 'pod-template-hash': hash }, annotations: { 'customs.dev/criticality': 'high' }, ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: `web-${hash}`, controller: true, uid: 'u' }] },
      spec: { containers: [{ name: 'web', image: `${reg.host}/shop/web:1` }] }, status: { containerStatuses: [{ name: 'web', image: `${reg.host}/shop/web:1`, imageID: `${reg.host}/shop/web@${digest}` }] } });
    await ingestInventory(database, 'prod-eu', { apiVersion: 'v1', kind: 'List', items: [pod('shop', '6b7c8d9f5'), { apiVersion: 'v1', kind: 'Service', metadata: { name: 'web', namespace: 'shop' }, spec: { type: 'LoadBalancer', selector: { app: 'web' } } }] });
    await ingestInventory(database, 'staging', { apiVersion: 'v1', kind: 'List', items: [pod('shop', '5f6a7b8c9')] });

    const targets = configSchema.parse({ notifications: { webhooks: [{ name: 'secops', url, secret: SECRET, attempts: 3 }, { name: 'criticals-only', url, secret: SECRET, minSeverity: 'critical' }] } }).notifications.webhooks;
    const notifier = new AdvisoryNotifier({ database, targets, backoffMs: 50 });
    const ctx = judgeContext(cfg, database, client, { onNewFindings: (image, added) => notifier.newFindings(image, added) });
    const vulns = new VulnStore(database);
    const warn = vi.spyOn(log, 'warn');
    let warned: unknown[][] = [];
    try {
      await reevaluateAll(ctx, vulns, { rematch: true }); // nothing new: no event
      await notifier.idle();
      expect(received).toEqual([]);

      answers.push(503); // the receiver fails once: retried
      await vulns.importFrom([join(PYPI_DIR, 'aiohttp')]);
      await reevaluateAll(ctx, vulns, { rematch: true });
      await notifier.idle();
    } finally {
      warned = [...warn.mock.calls];
      warn.mockRestore();
      await client.close();
    }
    // secops: 503, then delivered; criticals-only: the aiohttp advisories of the fixtures are not critical → nothing
    expect(received.length).toBe(2);
    expect(received.every((r) => r.verified)).toBe(true);
    expect(received[0]!.body).toBe(received[1]!.body); // the same event, signed again
    expect(warned.some((c) => String(c[1]).includes('notification to secops failed (HTTP 503), retrying'))).toBe(true);
    expect(JSON.stringify(warned)).not.toContain(SECRET);
    const { headers, body } = received[1]!;
    expect(headers['content-type']).toBe('application/cloudevents+json; charset=utf-8');
    const event = JSON.parse(body);
    expect(event).toMatchObject({ specversion: '1.0', type: EVENT_TYPE, source: '/customs', subject: `${reg.host}/shop/web@${digest}`, datacontenttype: 'application/json' });
    expect(event.id).toBe(headers['customs-webhook-id']);
    expect(new Date(event.time).getTime()).toBeGreaterThan(Date.now() - 60_000);
    expect(event.data.image).toEqual({ registry: reg.host, repository: 'shop/web', digest });
    expect(event.data.advisories.length).toBeGreaterThan(0);
    expect(event.data.advisories.map((a: any) => a.id)).toContain('CVE-2021-21330');
    expect(event.data.advisories[0]).toMatchObject({ package: { type: 'pypi', name: 'aiohttp', version: '3.7.3' }, platform: 'linux/amd64' });
    // only the internet-facing workload: staging's runs the image too, but nothing exposes it
    expect(event.data.workloads).toEqual([{ cluster: 'prod-eu', namespace: 'shop', kind: 'Deployment', name: 'web', container: 'web', replicas: 1, exposedBy: ['Service/web (LoadBalancer)'], criticality: 'high', digest }]);
    // a tampered body does not verify
    expect(verify(headers, body.replace('aiohttp', 'aiohttq'))).toBe(false);
  }, 120_000);

  it('the configuration names a webhook without a usable URL or secret', () => {
    const parse = (w: unknown) => configSchema.safeParse({ notifications: { webhooks: [w] } });
    expect(parse({ name: 'a', url: 'ftp://x', secret: SECRET }).success).toBe(false);
    expect(parse({ name: 'a', url, secret: 'short' }).error?.issues[0]?.message).toMatch(/at least 32 characters/);
    expect(parse({ name: 'a', url, secret: SECRET, minSeverity: 'severe' }).success).toBe(false);
  });
});
