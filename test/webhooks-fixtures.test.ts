// Payloads the registries really send (test/fixtures/webhooks/<source>/, origins in each README),
// fed byte for byte through the HTTP route of a running service: each must queue the job it names
// (registry, repository, digest/tag, read back from the jobs API), be ignored with its reason, or be
// refused with the reason. Workers are off: the hosts are the senders' own, not reachable here.
import { spawn, type ChildProcess } from 'node:child_process';
import { createHmac } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startService, type RunningService } from '../src/server/service.ts';
import { CUSTOMS_BIN } from './helpers/cli.ts';
import { freePort, testConfig } from './helpers/registry.ts';

const S = 'fixture-secret-0123456789';
const ZOT_HOST = 'zot.internal:5000';
const FIXTURES = join(import.meta.dirname, 'fixtures/webhooks');
let dir: string;
let svc: RunningService;
let base: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'customs-fixtures-'));
  const src = { secret: S };
  svc = await startService(testConfig({
    dataDir: dir, database: { url: `file:${join(dir, 'customs.db')}` }, server: { host: '127.0.0.1', port: 0 },
    webhooks: { sources: { distribution: src, harbor: src, acr: src, dockerhub: src, github: src, quay: src, ecr: src, gar: src, zot: { ...src, registry: ZOT_HOST } } },
    workers: { concurrency: 0, vulndbRefresh: false },
  }));
  base = `http://127.0.0.1:${svc.port}`;
}, 60_000);

afterAll(async () => {
  await svc?.stop();
  rmSync(dir, { recursive: true, force: true });
});

const fixture = (path: string) => readFileSync(join(FIXTURES, path), 'utf8');

/** How each source authenticates (README: Authentication): a token in the query or a header. */
function auth(source: string, body: string): { headers: Record<string, string>; query: string } {
  if (source === 'github') return { headers: { 'x-hub-signature-256': 'sha256=' + createHmac('sha256', S).update(body).digest('hex') }, query: '' };
  if (source === 'dockerhub' || source === 'quay' || source === 'gar') return { headers: {}, query: `?token=${S}` };
  return { headers: { authorization: source === 'harbor' ? S : `Bearer ${S}` }, query: '' };
}

async function deliver(source: string, body: string, headers: Record<string, string> = {}) {
  const a = auth(source, body);
  const res = await fetch(`${base}/webhooks/${source}${a.query}`, { method: 'POST', body, headers: { 'content-type': 'application/json', ...a.headers, ...headers } });
  return { status: res.status, body: (await res.json()) as any };
}

async function job(id: string) {
  const j = (await (await fetch(`${base}/api/v1/jobs/${id}`)).json()) as any;
  return { registry: j.registry, repository: j.repository, digest: j.digest ?? undefined, tag: j.tag ?? undefined, state: j.state };
}

type Expect = { outcome: 'queued' | 'duplicate' | 'deleted' | 'ignored' | 'invalid'; reason?: string | RegExp; job?: { registry: string; repository: string; digest?: string; tag?: string } };
interface Case { source: string; file: string; headers?: Record<string, string>; refused?: RegExp; events?: Expect[] }

const D = (hex: string) => `sha256:${hex}`;
const CASES: Case[] = [
  // CNCF distribution: captured from Debian's docker-registry 2.8.2, and the project's docs
  { source: 'distribution', file: 'distribution/registry-2.8.2-layer-push.json', events: [{ outcome: 'ignored', reason: 'not a manifest (layer or artifact blob)' }] },
  { source: 'distribution', file: 'distribution/registry-2.8.2-manifest-push.json', events: [{ outcome: 'queued', job: { registry: '127.0.0.1:34387', repository: 'lab/alpine', digest: D('63f825d3e8a7a3833153852ca78bf87421f40fa9afc26324a90a203dd0594d45'), tag: '3.19' } }] },
  { source: 'distribution', file: 'distribution/docs-pull.json', events: [{ outcome: 'ignored', reason: 'pull' }] },
  {
    source: 'distribution', file: 'distribution/docs-envelope-push.json', headers: { 'content-type': 'application/vnd.docker.distribution.events.v2+json' }, events: [
      { outcome: 'queued', job: { registry: 'registrycluster.local', repository: 'library/test', digest: D('fea8895f450959fa676bcc1df0611ea93823a735a01205fd8622846041d0c7cf') } },
      { outcome: 'ignored', reason: 'not a manifest (layer or artifact blob)' }, { outcome: 'ignored', reason: 'not a manifest (layer or artifact blob)' },
    ],
  },
  // Harbor 2.x docs (an artifact pushed by digest: tag = the digest), a user's capture, Harbor 1.x
  { source: 'harbor', file: 'harbor/push-artifact-by-digest.json', events: [{ outcome: 'queued', job: { registry: 'localhost', repository: 'harbor/alpine', digest: D('954b378c375d852eb3c63ab88978f640b4348b01c1b3456a024a81536dafbbf4') } }] },
  { source: 'harbor', file: 'harbor/push-artifact-by-digest.cloudevents.json', headers: { 'content-type': 'application/cloudevents+json' }, events: [{ outcome: 'duplicate', job: { registry: 'localhost', repository: 'harbor/alpine', digest: D('954b378c375d852eb3c63ab88978f640b4348b01c1b3456a024a81536dafbbf4') } }] },
  { source: 'harbor', file: 'harbor/push-artifact-kobold.json', events: [{ outcome: 'queued', job: { registry: 'harbor.mydomain.lan', repository: 'mynamespace/myapp', digest: D('fd49e9a1a36d28c54520d89bb23f07365802c5c75108c7eaca4400ed60bb19a5'), tag: 'master-491-6bac849' } }] },
  { source: 'harbor', file: 'harbor/push-image-1.x-keel.json', events: [{ outcome: 'queued', job: { registry: 'harbor.mydomain.com', repository: 'library/ai-rag', digest: D('b4758aaed11c155a476b9857e1178f157759c99cb04c907a04993f5481eff848'), tag: '1.2.3' } }] },
  { source: 'harbor', file: 'harbor/pull-artifact.json', events: [{ outcome: 'ignored', reason: 'type PULL_ARTIFACT' }] },
  { source: 'harbor', file: 'harbor/delete-artifact.json', events: [{ outcome: 'deleted' }] },
  { source: 'harbor', file: 'harbor/delete-artifact.cloudevents.json', headers: { 'content-type': 'application/cloudevents+json' }, events: [{ outcome: 'deleted' }] },
  { source: 'harbor', file: 'harbor/scanning-completed.json', events: [{ outcome: 'ignored', reason: 'type SCANNING_COMPLETED' }] },
  { source: 'harbor', file: 'harbor/quota-exceed.json', events: [{ outcome: 'ignored', reason: 'type QUOTA_EXCEED' }] },
  // Azure Container Registry webhook reference
  { source: 'acr', file: 'acr/docs-push.json', events: [{ outcome: 'queued', job: { registry: 'myregistry.azurecr.io', repository: 'hello-world', digest: D('80f0d5c8786bb9e621a45ece0db56d11cdc624ad20da9fe62e9d25490f331d7d'), tag: 'v1' } }] },
  { source: 'acr', file: 'acr/docs-delete.json', events: [{ outcome: 'deleted' }] },
  { source: 'acr', file: 'acr/docs-chart-push.json', events: [{ outcome: 'ignored', reason: 'helm chart (chart_push), not a container image' }] },
  { source: 'acr', file: 'acr/docs-chart-delete.json', events: [{ outcome: 'ignored', reason: 'helm chart (chart_delete), not a container image' }] },
  // Docker Hub docs, and a captured delivery with push_data.media_type
  { source: 'dockerhub', file: 'dockerhub/docs-push.json', events: [{ outcome: 'queued', job: { registry: 'docker.io', repository: 'svendowideit/testhook', tag: 'latest' } }] },
  { source: 'dockerhub', file: 'dockerhub/push-manifest-list-kobold.json', events: [{ outcome: 'queued', job: { registry: 'docker.io', repository: 'bluebrown/busybox', tag: 'latest' } }] },
  // GitHub: a captured GHCR `package` delivery (multi-platform index) and GitHub's own example
  { source: 'github', file: 'github/package-published-ghcr-homelab.json', headers: { 'x-github-event': 'package' }, events: [{ outcome: 'queued', job: { registry: 'ghcr.io', repository: 'theryangeary/www', digest: D('89160c587d0c36bf54090497a465445c14980ba48efbcf3b0d03c49b76f3feb8'), tag: '0e2a89b' } }] },
  { source: 'github', file: 'github/registry-package-published-octokit.json', headers: { 'x-github-event': 'registry_package' }, events: [{ outcome: 'queued', job: { registry: 'ghcr.io', repository: 'codertocat/hello-world', digest: D('3da1996a8115d7616457760d9920b815241d0a03b34cf5f04e9a0e9d8de37498') } }] },
  // Quay docs (current list form, and the older tag → image map)
  { source: 'quay', file: 'quay/docs-repo-push.json', events: [{ outcome: 'queued', job: { registry: 'quay.io', repository: 'dgangaia/test', tag: 'latest' } }] },
  { source: 'quay', file: 'quay/docs-repo-push-tag-map.json', events: [{ outcome: 'queued', job: { registry: 'quay.io', repository: 'mynamespace/repository', tag: 'latest' } }] },
  // zot, binary-mode CloudEvent as its events extension sends it (source is always zotregistry.dev)
  {
    source: 'zot', file: 'zot/image-updated.data.json',
    headers: { 'ce-specversion': '1.0', 'ce-id': '0bd7b4f5-5c6a-4f0e-9c2a-3d1c9d1b7f10', 'ce-source': 'zotregistry.dev', 'ce-type': 'zotregistry.image.updated', 'ce-time': '2026-01-01T00:00:00Z' },
    events: [{ outcome: 'queued', job: { registry: ZOT_HOST, repository: 'space/my-image', digest: D('63f825d3e8a7a3833153852ca78bf87421f40fa9afc26324a90a203dd0594d45'), tag: 'latest' } }],
  },
  // Amazon ECR and Artifact Registry docs: their push examples elide the digest, which is refused
  { source: 'ecr', file: 'ecr/docs-image-push.json', refused: /^digest "sha256:7f5b2640fe6fb4f46592dfd3410c4a79dac4f89e4782432e0378abcd1234" is not valid$/ },
  { source: 'ecr', file: 'ecr/docs-image-scan.json', events: [{ outcome: 'ignored', reason: 'not a successful image action' }] },
  { source: 'gar', file: 'gar/docs-delete-by-tag.json', events: [{ outcome: 'deleted' }] },
  { source: 'gar', file: 'gar/docs-insert-elided-digest.json', refused: /^digest "sha256:\.\.\." is not valid$/ },
];

describe('real payloads through the HTTP route', () => {
  it.each(CASES.map((c) => [`${c.source}: ${c.file.split('/')[1]}`, c] as const))('%s', async (_name, c) => {
    const r = await deliver(c.source, fixture(c.file), c.headers);
    if (c.refused) {
      expect(r.status).toBe(400);
      expect(r.body.detail).toMatch(c.refused);
      return;
    }
    expect(r.status, JSON.stringify(r.body)).toBe(202);
    expect(r.body.events).toHaveLength(c.events!.length);
    for (const [i, want] of c.events!.entries()) {
      const got = r.body.events[i];
      expect(got.outcome).toBe(want.outcome);
      if (want.reason !== undefined) expect(got.reason).toMatch(want.reason);
      if (want.job) expect(await job(got.jobId)).toEqual({ ...want.job, state: 'queued' });
    }
  });

  it('docker hub: a Helm chart (non-image media_type) is ignored with the reason', async () => {
    const chart = JSON.parse(fixture('dockerhub/push-manifest-list-kobold.json'));
    chart.push_data.media_type = 'application/vnd.cncf.helm.config.v1+json';
    const r = await deliver('dockerhub', JSON.stringify(chart));
    expect(r.body.events).toEqual([{ outcome: 'ignored', reason: 'not a container image (media_type application/vnd.cncf.helm.config.v1+json)' }]);
  });

  it('github: only package events with GitHub\'s actions (published, updated) are its format', async () => {
    const body = fixture('github/package-published-ghcr-homelab.json');
    const create = await deliver('github', body, { 'x-github-event': 'create' });
    expect(create.status).toBe(400);
    expect(create.body.detail).toBe('X-GitHub-Event create is not a package event: subscribe this webhook to "Packages" only');
    const created = await deliver('github', body.replace('"action": "published"', '"action": "created"'), { 'x-github-event': 'package' });
    expect(created.status).toBe(400);
    expect(created.body.detail).toBe('package action "created" is not one GitHub sends (published, updated)');
    const updated = await deliver('github', body.replace('"action": "published"', '"action": "updated"'), { 'x-github-event': 'package' });
    expect(updated.body.events[0].outcome).toBe('duplicate');
    expect((await deliver('github', '{"zen":"Design for failure.","hook_id":1}', { 'x-github-event': 'ping' })).body).toEqual({ accepted: 0, events: [] });
  });

  it('a malformed event beside a valid push: the push is queued, the rest answered one by one; nothing valid → 400', async () => {
    const capture = JSON.parse(fixture('distribution/registry-2.8.2-manifest-push.json')).events[0];
    const layer = JSON.parse(fixture('distribution/registry-2.8.2-layer-push.json')).events[0];
    const upper = { ...capture, target: { ...capture.target, repository: 'Lab/Alpine' } };
    const r = await deliver('distribution', JSON.stringify({ events: [upper, capture, { action: 'push' }, layer, 42] }));
    expect(r.status).toBe(202);
    expect(r.body.accepted).toBe(5);
    expect(r.body.events.map((e: any) => e.outcome)).toEqual(['invalid', expect.stringMatching(/^(queued|duplicate)$/), 'invalid', 'ignored', 'invalid']);
    expect(r.body.events[0].reason).toBe('repository "Lab/Alpine" is not valid');
    expect(r.body.events[2].reason).toBe('event without action or target');
    expect(await job(r.body.events[1].jobId)).toMatchObject({ registry: '127.0.0.1:34387', repository: 'lab/alpine', digest: capture.target.digest });

    const none = await deliver('distribution', JSON.stringify({ events: [upper, { action: 'push' }, 'x'] }));
    expect(none.status).toBe(400);
    expect(none.body.detail).toBe('repository "Lab/Alpine" is not valid (and 2 more invalid events)');

    // Harbor's resources are judged the same way.
    const harbor = JSON.parse(fixture('harbor/push-artifact-kobold.json'));
    harbor.event_data.resources.unshift({ digest: 'sha256:nothex', tag: 'v1', resource_url: 'harbor.mydomain.lan/mynamespace/myapp:v1' });
    const h = await deliver('harbor', JSON.stringify(harbor));
    expect(h.body.events.map((e: any) => [e.outcome, e.reason])).toEqual([['invalid', 'digest "sha256:nothex" is not valid'], ['duplicate', undefined]]);
  });
});

describe('wrong-typed fields', () => {
  /** every object path of a JSON value, to depth `max` */
  function paths(v: unknown, max: number, at: (string | number)[] = []): (string | number)[][] {
    if (at.length >= max || !v || typeof v !== 'object') return [];
    const keys: (string | number)[] = Array.isArray(v) ? v.map((_, i) => i) : Object.keys(v);
    return keys.flatMap((k) => [[...at, k], ...paths((v as any)[k], max, [...at, k])]);
  }
  function replaced(v: unknown, path: (string | number)[], value: unknown): unknown {
    const copy = structuredClone(v) as any;
    let o = copy;
    for (const k of path.slice(0, -1)) o = o[k];
    o[path.at(-1)!] = value;
    return copy;
  }

  it('any field of any real payload replaced by null, an array, a number, a string or an object: 202 or 400, never a 500', async () => {
    const failures: string[] = [];
    let sent = 0;
    for (const c of CASES) {
      const body = JSON.parse(fixture(c.file));
      for (const path of paths(body, 4)) {
        for (const value of [null, [], 7, 'x', {}]) {
          const r = await deliver(c.source, JSON.stringify(replaced(body, path, value)), c.headers);
          sent++;
          if (r.status !== 202 && r.status !== 400) failures.push(`${c.file} ${path.join('.')}=${JSON.stringify(value)} → ${r.status} ${JSON.stringify(r.body).slice(0, 200)}`);
        }
      }
    }
    expect(failures).toEqual([]);
    expect(sent).toBeGreaterThan(1000);
  }, 120_000);
});

describe('observability', () => {
  let child: ChildProcess | undefined;
  afterAll(() => { child?.kill('SIGKILL'); });

  it('`customs serve` logs each accepted delivery once at info (source, events, outcomes, job ids), never a secret', async () => {
    const port = await freePort();
    const cfgFile = join(dir, 'serve.json');
    writeFileSync(cfgFile, JSON.stringify({
      dataDir: join(dir, 'serve'), server: { host: '127.0.0.1', port }, log: { level: 'info' },
      webhooks: { sources: { distribution: { secret: S }, dockerhub: { secret: S } } },
      workers: { concurrency: 0, vulndbRefresh: false },
    }));
    const env = { ...process.env };
    delete env.CUSTOMS_LOG_LEVEL; // the configured level (info) applies
    child = spawn(CUSTOMS_BIN, ['serve', '--config', cfgFile], { env, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr!.on('data', (d) => { stderr += d; });
    for (let i = 0; i < 200 && !stderr.includes('customs listening'); i++) await sleep(50);
    base = `http://127.0.0.1:${port}`;
    const queued = await deliver('distribution', fixture('distribution/registry-2.8.2-manifest-push.json'));
    const ignored = await deliver('dockerhub', JSON.stringify({ ...JSON.parse(fixture('dockerhub/push-manifest-list-kobold.json')), push_data: { tag: 'x', media_type: 'application/vnd.cncf.helm.config.v1+json' } }));
    expect((await deliver('distribution', '{"events":[]}', { authorization: 'Bearer wrong-secret-do-not-log' })).status).toBe(401);
    // pino writes asynchronously: wait for the three lines (two accepted, one refused)
    for (let i = 0; i < 100 && ((stderr.match(/webhook accepted/g) ?? []).length < 2 || !stderr.includes('webhook refused')); i++) await sleep(50);
    base = `http://127.0.0.1:${svc.port}`;
    const accepted = stderr.split('\n').filter((l) => l.includes('"webhook accepted"')).map((l) => JSON.parse(l));
    expect(accepted).toEqual([
      expect.objectContaining({ level: 30, source: 'distribution', events: 1, outcomes: { queued: 1 }, jobIds: [queued.body.events[0].jobId] }),
      expect.objectContaining({ level: 30, source: 'dockerhub', events: 1, outcomes: { ignored: 1 }, jobIds: [] }),
    ]);
    expect(ignored.status).toBe(202);
    expect(stderr).toContain('"webhook refused"');
    expect(stderr).not.toContain(S);
    expect(stderr).not.toContain('wrong-secret-do-not-log');
  }, 30_000);
});
