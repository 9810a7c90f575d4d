// Each webhook source: a payload in the source's own format through the real HTTP route, the image
// served by a real docker-registry; the job must end with a scan of the pushed digest.
import { createHmac, createSign } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RegistryClient } from '../src/registry/client.ts';
import { startService, type RunningService } from '../src/server/service.ts';
import { allowList, authenticateWebhook } from '../src/webhooks/auth.ts';
import { amazonUrl, snsStringToSign } from '../src/webhooks/sns.ts';
import { caught } from './helpers/util.ts';
import { pushImage, type PushedImage } from './helpers/push.ts';
import { startRegistry, testConfig, type TestRegistry } from './helpers/registry.ts';
import { gzip, makeTar } from './helpers/tar.ts';

const S = 'a-webhook-secret-0123456789';
const OCI = 'application/vnd.oci.image.manifest.v1+json';
let dir: string;
let reg: TestRegistry;
let svc: RunningService;
let base: string;
let snsKey: string;
const confirmed: string[] = [];
const client = new RegistryClient(testConfig());

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'customs-hooks-'));
  // A self-signed certificate standing in for SNS's signing certificate (injected through config).
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', join(dir, 'sns.key'), '-out', join(dir, 'sns.pem'),
    '-days', '1', '-subj', '/CN=sns.us-east-1.amazonaws.com'], { stdio: 'ignore' });
  snsKey = readFileSync(join(dir, 'sns.key'), 'utf8');
  reg = await startRegistry();
  const src = (extra: object = {}) => ({ secret: S, ...extra });
  const cfg = testConfig({
    dataDir: dir, database: { url: `file:${join(dir, 'customs.db')}` }, server: { host: '127.0.0.1', port: 0 },
    webhooks: {
      sources: {
        distribution: src(), harbor: src(), acr: src({ header: 'x-acr-token', allowIps: ['127.0.0.1/32'] }), quay: src(), gar: src(), zot: src({ registry: reg.host }),
        github: src({ registry: reg.host }), dockerhub: src({ registry: reg.host }),
        ecr: src({ registry: reg.host, snsCertificatePem: readFileSync(join(dir, 'sns.pem'), 'utf8') }),
      },
    },
    workers: { concurrency: 2, pollMs: 50, leaseMs: 5000, backoffMs: 50, maxBackoffMs: 200 },
  });
  svc = await startService(cfg, {
    snsFetch: async (url) => { confirmed.push(url); return { ok: true, status: 200, text: async () => '<ConfirmSubscriptionResponse/>' }; },
  });
  base = `http://127.0.0.1:${svc.port}`;
}, 60_000);

afterAll(async () => {
  await svc?.stop();
  await reg?.stop();
  await client.close();
  rmSync(dir, { recursive: true, force: true });
});

async function push(repo: string, tag: string | undefined = 'v1'): Promise<PushedImage> {
  return pushImage(client, reg.host, repo, tag, {
    layers: [{ data: gzip(await makeTar([{ path: 'etc/os-release', content: `ID=alpine\nVERSION_ID=3.19.1\n# ${repo}:${tag}\n` }])) }],
    config: { architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [] } },
  });
}

async function deliver(source: string, body: unknown, headers: Record<string, string> = { authorization: `Bearer ${S}` }, query = '') {
  const raw = typeof body === 'string' ? body : JSON.stringify(body);
  const res = await fetch(`${base}/webhooks/${source}${query}`, { method: 'POST', body: raw, headers: { 'content-type': 'application/json', ...headers } });
  return { status: res.status, body: (await res.json()) as any };
}

/** The job's final state; it must have scanned `digest`. */
async function scanned(jobId: string, digest: string): Promise<void> {
  for (let i = 0; i < 200; i++) {
    const j = (await (await fetch(`${base}/api/v1/jobs/${jobId}`)).json()) as any;
    if (j.state === 'succeeded') {
      const scan = (await (await fetch(`${base}/api/v1/scans/${j.scanId}`)).json()) as any;
      expect(scan.digest).toBe(digest);
      return;
    }
    if (j.state === 'failed') throw new Error(`job failed: ${j.lastError}`);
    await sleep(50);
  }
  throw new Error('timed out waiting for the scan');
}

async function expectQueuedAndScanned(r: { status: number; body: any }, digest: string): Promise<void> {
  expect(r.status).toBe(202);
  expect(r.body.events[0].outcome).toBe('queued');
  await scanned(r.body.events[0].jobId, digest);
}

describe('webhook sources', () => {
  it('distribution 3.x: one bare event per request (v2 envelope content type); write-back tags ignored', async () => {
    const img = await push('dist/app');
    const event = { id: 'e1', timestamp: new Date().toISOString(), action: 'push', target: { mediaType: OCI, digest: img.manifestDigest, size: img.manifestSize, repository: 'dist/app', tag: 'v1', url: `http://${reg.host}/v2/dist/app/manifests/${img.manifestDigest}` }, request: { host: reg.host }, actor: {}, source: { addr: 'x' } };
    await expectQueuedAndScanned(await deliver('distribution', { events: [event] }, { authorization: `Bearer ${S}`, 'content-type': 'application/vnd.docker.distribution.events.v2+json' }), img.manifestDigest);
    const sig = `sha256-${img.manifestDigest.slice(7)}.sig`;
    const r = await deliver('distribution', { ...event, target: { ...event.target, tag: sig, digest: 'sha256:' + 'e'.repeat(64) } });
    expect(r.body.events).toEqual([{ outcome: 'ignored', reason: 'write-back tag' }]);
    // An artifact (empty config) is not an image.
    const art = await deliver('distribution', { events: [{ ...event, target: { ...event.target, tag: 'art', digest: 'sha256:' + 'f'.repeat(64), references: [{ mediaType: 'application/vnd.oci.empty.v1+json' }] } }] });
    expect(art.body.events[0]).toMatchObject({ outcome: 'ignored' });
  }, 20_000);

  it('harbor: default format and CloudEvents (structured), Authorization verbatim', async () => {
    const img = await push('library/h1');
    await expectQueuedAndScanned(await deliver('harbor', {
      type: 'PUSH_ARTIFACT', occur_at: 1678082303, operator: 'admin',
      event_data: { resources: [{ digest: img.manifestDigest, tag: 'v1', resource_url: `${reg.host}/library/h1:v1` }], repository: { date_created: 1, name: 'h1', namespace: 'library', repo_full_name: 'library/h1', repo_type: 'private' } },
    }, { authorization: S }), img.manifestDigest);
    const img2 = await push('library/h2');
    await expectQueuedAndScanned(await deliver('harbor', {
      specversion: '1.0', id: 'ce-1', source: '/projects/1/webhook/policies/1', type: 'harbor.artifact.pushed', datacontenttype: 'application/json', time: new Date().toISOString(),
      data: { resources: [{ digest: img2.manifestDigest, tag: 'v1', resource_url: `${reg.host}/library/h2:v1` }], repository: { name: 'h2', namespace: 'library', repo_full_name: 'library/h2', repo_type: 'public' } },
    }, { authorization: S, 'content-type': 'application/cloudevents+json' }), img2.manifestDigest);
  }, 20_000);

  it('harbor: an artifact pushed by digest (Harbor puts the digest in `tag`) is scanned, default and CloudEvents formats', async () => {
    // Harbor's documented payloads for an untagged push, pointed at images pushed here by digest only.
    const fixture = (name: string) => readFileSync(join(import.meta.dirname, 'fixtures/webhooks/harbor', name), 'utf8');
    for (const [i, [name, headers]] of ([
      ['push-artifact-by-digest.json', { authorization: S }],
      ['push-artifact-by-digest.cloudevents.json', { authorization: S, 'content-type': 'application/cloudevents+json' }],
    ] as const).entries()) {
      const repo = `harbor/bydigest-${i}`;
      const img = await push(repo, undefined);
      const body = fixture(name).replaceAll('localhost/harbor/alpine', `${reg.host}/${repo}`).replaceAll('"harbor/alpine"', `"${repo}"`)
        .replaceAll('sha256:954b378c375d852eb3c63ab88978f640b4348b01c1b3456a024a81536dafbbf4', img.manifestDigest);
      const r = await deliver('harbor', body, headers);
      expect(r.status, JSON.stringify(r.body)).toBe(202);
      await expectQueuedAndScanned(r, img.manifestDigest);
      const j = (await (await fetch(`${base}/api/v1/jobs/${r.body.events[0].jobId}`)).json()) as any;
      expect([j.repository, j.digest, j.tag]).toEqual([repo, img.manifestDigest, null]);
    }
  }, 20_000);

  it('github: X-Hub-Signature-256 verified; wrong signature refused', async () => {
    const img = await push('octo-org/hello');
    const body = JSON.stringify({
      action: 'published',
      registry_package: {
        id: 1, name: 'hello', namespace: 'octo-org', package_type: 'CONTAINER', ecosystem: 'CONTAINER', owner: { login: 'octo-org' },
        package_version: {
          id: 2, name: img.manifestDigest, package_url: 'ghcr.io/octo-org/hello:v1',
          container_metadata: { tag: { name: 'v1', digest: img.manifestDigest }, labels: {}, manifest: { digest: img.manifestDigest, media_type: OCI } },
        },
      },
    });
    const sig = 'sha256=' + createHmac('sha256', S).update(body).digest('hex');
    const headers = { 'x-github-event': 'registry_package', 'x-github-delivery': 'd-1', 'x-hub-signature-256': sig };
    await expectQueuedAndScanned(await deliver('github', body, headers), img.manifestDigest);
    const bad = await deliver('github', body, { ...headers, 'x-hub-signature-256': 'sha256=' + '0'.repeat(64) });
    expect(bad.status).toBe(401);
    expect(bad.body.detail).toBe('X-Hub-Signature-256 does not match');
    expect((await deliver('github', body.replace('published', 'updated!'), headers)).status).toBe(401); // body changed
  }, 20_000);

  it('docker hub and quay: tag only, resolved to the digest when scanned; ?token= secret', async () => {
    const img = await push('ns/hubapp', 'latest');
    await expectQueuedAndScanned(await deliver('dockerhub', {
      callback_url: 'https://registry.hub.docker.com/u/ns/hubapp/hook/x/', push_data: { pushed_at: 1417566161, pusher: 'trustedbuilder', tag: 'latest' },
      repository: { repo_name: 'ns/hubapp', namespace: 'ns', name: 'hubapp', is_private: false },
    }, {}, `?token=${S}`), img.manifestDigest);
    const q = await push('quayns/app', 'v2');
    await expectQueuedAndScanned(await deliver('quay', {
      repository: 'quayns/app', namespace: 'quayns', name: 'app', docker_url: `${reg.host}/quayns/app`, homepage: 'https://quay.io/repository/quayns/app', updated_tags: ['v2'],
    }, {}, `?token=${S}`), q.manifestDigest);
    expect((await deliver('quay', { repository: 'x' }, {}, '?token=nope-nope-nope')).status).toBe(401);
  }, 20_000);

  it('acr (custom header, IP allow-list), gar (Pub/Sub push), zot (CloudEvents binary mode)', async () => {
    const a = await push('acr/app');
    await expectQueuedAndScanned(await deliver('acr', {
      id: 'acr-1', timestamp: new Date().toISOString(), action: 'push',
      target: { mediaType: OCI, size: a.manifestSize, digest: a.manifestDigest, length: a.manifestSize, repository: 'acr/app', tag: 'v1' },
      request: { id: 'r', host: reg.host, method: 'PUT', useragent: 'docker' },
    }, { 'x-acr-token': S }), a.manifestDigest);
    const g = await push('proj/repo/img', '1.1');
    const data = Buffer.from(JSON.stringify({ action: 'INSERT', digest: `${reg.host}/proj/repo/img@${g.manifestDigest}`, tag: `${reg.host}/proj/repo/img:1.1` })).toString('base64');
    await expectQueuedAndScanned(await deliver('gar', { message: { data, messageId: '136969346945', publishTime: new Date().toISOString() }, subscription: 'projects/p/subscriptions/customs' }, {}, `?token=${S}`), g.manifestDigest);
    const z = await push('zot/app');
    await expectQueuedAndScanned(await deliver('zot', { name: 'zot/app', reference: 'v1', digest: z.manifestDigest, mediaType: OCI }, {
      authorization: `Bearer ${S}`, 'ce-specversion': '1.0', 'ce-type': 'zotregistry.image.updated', 'ce-source': 'zotregistry.dev', 'ce-id': 'z-1',
    }), z.manifestDigest);
  }, 20_000);

  it('ecr: EventBridge through an API destination, and through SNS with confirmation and signature', async () => {
    const img = await push('ecr/app');
    const event = (digest: string) => ({
      version: '0', id: 'eb-1', 'detail-type': 'ECR Image Action', source: 'aws.ecr', account: '123456789012', time: new Date().toISOString(), region: 'us-west-2', resources: [],
      detail: { result: 'SUCCESS', 'repository-name': 'ecr/app', 'image-digest': digest, 'action-type': 'PUSH', 'image-tag': 'v1', 'manifest-media-type': OCI, 'artifact-media-type': 'application/vnd.oci.image.config.v1+json' },
    });
    await expectQueuedAndScanned(await deliver('ecr', event(img.manifestDigest), { 'x-api-key': S, authorization: `Bearer ${S}` }), img.manifestDigest);

    const sign = <T extends Record<string, string>>(m: T) => ({ ...m, SignatureVersion: '2', SigningCertURL: 'https://sns.us-east-1.amazonaws.com/SimpleNotificationService-x.pem', Signature: createSign('RSA-SHA256').update(snsStringToSign(m)).sign(snsKey, 'base64') });
    const topic = 'arn:aws:sns:us-west-2:123456789012:ecr-events';
    const confirm = sign({ Type: 'SubscriptionConfirmation', MessageId: 'm1', Token: 't', TopicArn: topic, Message: 'You have chosen to subscribe', SubscribeURL: 'https://sns.us-west-2.amazonaws.com/?Action=ConfirmSubscription&TopicArn=x&Token=t', Timestamp: new Date().toISOString() });
    const c = await deliver('ecr', confirm, { authorization: `Bearer ${S}` });
    expect(c.status).toBe(202);
    expect(confirmed).toEqual([confirm.SubscribeURL]);
    const img2 = await push('ecr/app', 'v2');
    const note = sign({ Type: 'Notification', MessageId: 'm2', TopicArn: topic, Message: JSON.stringify(event(img2.manifestDigest)), Timestamp: new Date().toISOString() });
    await expectQueuedAndScanned(await deliver('ecr', note, { authorization: `Bearer ${S}` }), img2.manifestDigest);
    const tampered = await deliver('ecr', { ...note, Message: JSON.stringify(event('sha256:' + '9'.repeat(64))) }, { authorization: `Bearer ${S}` });
    expect(tampered.status).toBe(401);
    expect(tampered.body.detail).toBe('SNS signature does not verify');
    // The certificate and confirmation URLs must be amazonaws.com over https.
    expect((await caught(Promise.resolve().then(() => amazonUrl('https://evil.example.com/cert.pem', 'SigningCertURL')))).kind).toBe('auth');
    expect((await caught(Promise.resolve().then(() => amazonUrl('http://sns.us-east-1.amazonaws.com/c.pem', 'SigningCertURL')))).kind).toBe('auth');
    expect((await caught(Promise.resolve().then(() => amazonUrl('https://sns.us-east-1.amazonaws.com.evil.io/c.pem', 'SigningCertURL')))).kind).toBe('auth');
  }, 20_000);

  it('IP allow-list, malformed payloads per source', async () => {
    const only10 = allowList(['10.0.0.0/8']);
    const input = (ip: string) => ({ header: () => undefined, query: () => undefined, clientIp: ip, rawBody: Buffer.alloc(0) });
    expect(authenticateWebhook('quay', { allowIps: [] }, only10, input('::ffff:127.0.0.1'))).toEqual({ ok: false, status: 403, reason: 'source address not allowed' });
    expect(authenticateWebhook('quay', { allowIps: [] }, only10, input('10.1.2.3'))).toEqual({ ok: true });
    for (const source of ['distribution', 'harbor', 'gar', 'zot', 'acr']) {
      const headers: Record<string, string> = source === 'acr' ? { 'x-acr-token': S } : { authorization: `Bearer ${S}` };
      const r = await deliver(source, { hello: 'world' }, headers, source === 'gar' ? `?token=${S}` : '');
      expect(r.status, source).toBe(400);
      expect(r.body.title).toBe('Bad Request');
    }
    expect((await deliver('gar', { message: { data: Buffer.from('{"action":"INSERT","digest":"h/x@sha256:zz"}').toString('base64') } }, {}, `?token=${S}`)).status).toBe(400);
  }, 20_000);
});
