// The workload sync from the Kubernetes API (src/workloads/sync.ts) with the real client
// (@kubernetes/client-node) against a local API server on 127.0.0.1: the list endpoints answer as
// kube-apiserver does — a PodList/ServiceList/IngressList/HTTPRouteList whose items carry no kind
// (kubectl adds it), paged with metadata.continue — built from the kubectl fixtures of
// test/fixtures/k8s/ (README there). Over HTTPS (a certificate for 127.0.0.1, its CA in the
// kubeconfig, as kind and minikube write them), with a bearer token.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { configSchema } from '../src/config/schema.ts';
import { openDatabase, type Database } from '../src/db/client.ts';
import { log } from '../src/log.ts';
import { listWorkloads } from '../src/workloads/store.ts';
import { WorkloadSync } from '../src/workloads/sync.ts';
import { startService } from '../src/server/service.ts';
import { testConfig } from './helpers/registry.ts';

const fixture = (f: string) => JSON.parse(readFileSync(join(import.meta.dirname, 'fixtures/k8s', f), 'utf8')) as { items: any[] };
const ITEMS = [...fixture('kubectl-get-pods-services-ingresses.json').items, ...fixture('kubectl-get-services-httproutes.json').items];
const TOKEN = 'sync-test-token-3f9a1c7e5b2d4e6f8a0b';

type Mode = 'ok' | 'no-gateway' | 'pods-500' | 'pods-hang' | 'pods-bad-json' | 'services-403';
let mode: Mode = 'ok';
const seen: { path: string; auth: string | undefined }[] = [];
let server: Server;
let dir: string;
let database: Database;

/** a kube-apiserver Status body */
const status = (code: number, reason: string, message: string) => JSON.stringify({ kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, code });

const LISTS: Record<string, { kind: string; apiVersion: string; of: string }> = {
  '/api/v1/pods': { kind: 'PodList', apiVersion: 'v1', of: 'Pod' },
  '/api/v1/services': { kind: 'ServiceList', apiVersion: 'v1', of: 'Service' },
  '/apis/networking.k8s.io/v1/ingresses': { kind: 'IngressList', apiVersion: 'networking.k8s.io/v1', of: 'Ingress' },
  '/apis/gateway.networking.k8s.io/v1/httproutes': { kind: 'HTTPRouteList', apiVersion: 'gateway.networking.k8s.io/v1', of: 'HTTPRoute' },
};

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'customs-k8s-sync-'));
  database = await openDatabase(testConfig({ dataDir: dir, database: { url: `file:${join(dir, 'customs.db')}` } }));
  const certFile = join(dir, 'apiserver.crt'), keyFile = join(dir, 'apiserver.key');
  execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-days', '1',
    '-subj', '/CN=kube-apiserver', '-addext', 'subjectAltName=IP:127.0.0.1', '-keyout', keyFile, '-out', certFile], { stdio: 'ignore' });
  server = createServer({ cert: readFileSync(certFile), key: readFileSync(keyFile) }, (req, res) => {
    const url = new URL(req.url!, 'http://x');
    seen.push({ path: url.pathname, auth: req.headers.authorization });
    const send = (code: number, body: string) => { res.writeHead(code, { 'content-type': 'application/json' }); res.end(body); };
    if (req.headers.authorization !== `Bearer ${TOKEN}`) return send(401, status(401, 'Unauthorized', 'Unauthorized'));
    const list = LISTS[url.pathname];
    if (!list) return send(404, status(404, 'NotFound', 'the server could not find the requested resource'));
    if (url.pathname === '/apis/gateway.networking.k8s.io/v1/httproutes' && mode === 'no-gateway') return send(404, '404 page not found\n');
    if (url.pathname === '/api/v1/pods' && mode === 'pods-500') return send(500, status(500, 'InternalError', 'etcdserver: request timed out'));
    if (url.pathname === '/api/v1/pods' && mode === 'pods-hang') return; // never answers
    if (url.pathname === '/api/v1/pods' && mode === 'pods-bad-json') return send(200, '{"kind":"PodList","items":[{"metadata":');
    if (url.pathname === '/api/v1/services' && mode === 'services-403') return send(403, status(403, 'Forbidden', 'services is forbidden: User "system:serviceaccount:customs:customs" cannot list resource "services" in API group "" at the cluster scope'));
    // the API server's items carry no kind and no apiVersion; pages of 3 (fewer than the client's limit), "continue" to go on
    const all = ITEMS.filter((i) => i.kind === list.of).map(({ kind: _k, apiVersion: _a, ...rest }) => rest);
    const limit = Math.min(Number(url.searchParams.get('limit') ?? all.length) || all.length, 3);
    const from = Number(url.searchParams.get('continue') ?? 0);
    const page = all.slice(from, from + limit);
    const next = from + limit < all.length ? String(from + limit) : undefined;
    send(200, JSON.stringify({ kind: list.kind, apiVersion: list.apiVersion, metadata: { resourceVersion: '881300', ...(next ? { continue: next, remainingItemCount: all.length - from - limit } : {}) }, items: page }));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  writeFileSync(join(dir, 'kubeconfig'), [
    'apiVersion: v1', 'kind: Config',
    'clusters:', '- name: local', '  cluster:', `    certificate-authority: ${certFile}`, `    server: https://127.0.0.1:${(server.address() as AddressInfo).port}`,
    'contexts:', '- name: local', '  context:', '    cluster: local', '    user: customs',
    'current-context: local',
    'users:', '- name: customs', '  user:', `    token: ${TOKEN}`, '',
  ].join('\n'));
});
afterAll(async () => {
  server?.closeAllConnections();
  await new Promise<void>((r) => server?.close(() => r()));
  database?.close();
  rmSync(dir, { recursive: true, force: true });
});

const cluster = (extra: Record<string, unknown> = {}) => configSchema.parse({ workloads: { clusters: [{ name: 'kind-local', kubeconfig: join(dir, 'kubeconfig'), intervalMs: 60_000, ...extra }] } }).workloads.clusters;

describe('workload sync from the Kubernetes API', () => {
  it('lists pods, services, ingresses and HTTPRoutes with the kubeconfig token, page by page, into the inventory', async () => {
    const sync = new WorkloadSync({ database, clusters: cluster(), criticalityKey: 'customs.dev/criticality' });
    seen.length = 0;
    const st = await sync.syncNow('kind-local');
    expect(st.lastError).toBeNull();
    expect(st.last).toEqual({ cluster: 'kind-local', pods: 7, workloads: 6, containers: 7, internetFacing: 4, withoutDigest: 1 });
    // every request carried the token; the pods came in 3 pages
    expect(seen.every((s) => s.auth === `Bearer ${TOKEN}`)).toBe(true);
    expect(seen.filter((s) => s.path === '/api/v1/pods').length).toBe(3);
    const items = await listWorkloads(database, { cluster: 'kind-local' });
    const by = (name: string, container: string) => items.find((i) => i.name === name && i.container === container)!;
    expect(by('web', 'web')).toMatchObject({ kind: 'Deployment', replicas: 2, exposure: 'internet', exposedBy: ['Service/web (LoadBalancer)'], criticality: 'high' });
    expect(by('web', 'web').digest).toMatch(/^sha256:[a-f0-9]{64}$/);
    expect(by('api', 'api')).toMatchObject({ exposure: 'internet', exposedBy: ['Ingress/api'], criticality: null });
    // the HTTPRoute attached to a Gateway reaches the queue pods through the queue Service; the detached one exposes nothing
    expect(by('queue', 'queue')).toMatchObject({ kind: 'ReplicaSet', exposure: 'internet', exposedBy: ['HTTPRoute/default/queue'], digest: 'sha256:bd17153e9a3319f401acc7a27759243f37d422c06cbbf01cb3e1f54bbbfe14f4' });
    expect(by('db', 'postgres')).toMatchObject({ exposure: 'internal', exposedBy: [] });
    await sync.stop();
  });

  it('a cluster without the Gateway API (HTTPRoute 404) syncs without routes', async () => {
    mode = 'no-gateway';
    try {
      const sync = new WorkloadSync({ database, clusters: cluster({ name: 'no-gateway' }), criticalityKey: 'customs.dev/criticality' });
      const st = await sync.syncNow('no-gateway');
      expect(st.lastError).toBeNull();
      expect(st.last).toMatchObject({ internetFacing: 3 });
      expect((await listWorkloads(database, { cluster: 'no-gateway' })).find((i) => i.name === 'queue')).toMatchObject({ exposure: 'internal' });
    } finally { mode = 'ok'; }
  });

  it('a failing API (500, 403, no answer, not JSON) is logged with the reason, and the previous inventory stays', async () => {
    const errors = vi.spyOn(log, 'error');
    const before = await listWorkloads(database, { cluster: 'kind-local' });
    expect(before.length).toBe(7);
    const sync = new WorkloadSync({ database, clusters: cluster({ timeoutMs: 2_000 }), criticalityKey: 'customs.dev/criticality' });
    const cases: [Mode, RegExp][] = [
      ['pods-500', /cluster kind-local: listing \/api\/v1\/pods at https:\/\/127\.0\.0\.1:\d+: HTTP 500: etcdserver: request timed out/],
      ['services-403', /listing \/api\/v1\/services .*HTTP 403: services is forbidden/],
      ['pods-hang', /listing \/api\/v1\/pods .*no answer within 2000 ms/],
      ['pods-bad-json', /listing \/api\/v1\/pods .*not JSON/],
    ];
    try {
      for (const [m, why] of cases) {
        mode = m;
        errors.mockClear();
        const st = await sync.syncNow('kind-local');
        expect(st.lastError).toMatch(why);
        expect(st.lastSuccessAt).toBeNull();
        expect(errors).toHaveBeenCalledTimes(1);
        const [fields, msg] = errors.mock.calls[0]! as unknown as [Record<string, unknown>, string];
        expect(fields).toMatchObject({ cluster: 'kind-local' });
        expect(msg).toMatch(/workload sync failed, the previous inventory of kind-local is kept/);
        // the token is never in what is logged
        expect(JSON.stringify(errors.mock.calls)).not.toContain(TOKEN);
        expect(await listWorkloads(database, { cluster: 'kind-local' })).toEqual(before);
      }
      // the API answers again: the next sync replaces the inventory and clears the error
      mode = 'ok';
      const st = await sync.syncNow('kind-local');
      expect(st.lastError).toBeNull();
      expect(st.lastSuccessAt).not.toBeNull();
    } finally {
      mode = 'ok';
      errors.mockRestore();
      await sync.stop();
    }
  });

  it('a wrong token or an unreadable kubeconfig fails the cluster clearly, not the service', async () => {
    writeFileSync(join(dir, 'kubeconfig-bad-token'), readFileSync(join(dir, 'kubeconfig'), 'utf8').replace(TOKEN, 'wrong'));
    const bad = new WorkloadSync({ database, clusters: cluster({ name: 'bad-token', kubeconfig: join(dir, 'kubeconfig-bad-token') }), criticalityKey: 'customs.dev/criticality' });
    expect((await bad.syncNow('bad-token')).lastError).toMatch(/HTTP 401: the credentials were refused/);
    const missing = new WorkloadSync({ database, clusters: cluster({ name: 'missing', kubeconfig: join(dir, 'nope') }), criticalityKey: 'customs.dev/criticality' });
    expect((await missing.syncNow('missing')).lastError).toMatch(/cluster missing: cannot load kubeconfig .*nope/);
    if (!process.env.KUBERNETES_SERVICE_HOST) {
      const outside = new WorkloadSync({ database, clusters: configSchema.parse({ workloads: { clusters: [{ name: 'here', inCluster: true }] } }).workloads.clusters, criticalityKey: 'customs.dev/criticality' });
      expect((await outside.syncNow('here')).lastError).toMatch(/inCluster is set but Customs does not run in a Kubernetes pod/);
    }
  });

  it('runs on its interval once started, and stops', async () => {
    const sync = new WorkloadSync({ database, clusters: cluster({ name: 'periodic', intervalMs: 5_000 }), criticalityKey: 'customs.dev/criticality' });
    sync.start();
    await vi.waitFor(() => expect(sync.status()[0]!.lastSuccessAt).not.toBeNull(), { timeout: 5_000 });
    await sync.stop();
    expect((await listWorkloads(database, { cluster: 'periodic' })).length).toBe(7);
  });

  it('customs serve syncs the configured clusters at start and shows how each went', async () => {
    const svc = await startService(testConfig({
      dataDir: dir, database: { url: `file:${join(dir, 'service.db')}` }, server: { host: '127.0.0.1', port: 0 }, workers: { concurrency: 0, vulndbRefresh: false },
      workloads: { clusters: [{ name: 'served', kubeconfig: join(dir, 'kubeconfig'), intervalMs: 60_000 }, { name: 'broken', kubeconfig: join(dir, 'nope'), intervalMs: 60_000 }] },
    }));
    try {
      const base = `http://127.0.0.1:${svc.port}`;
      const status = async () => ((await (await fetch(`${base}/api/v1/workloads/clusters`)).json()) as any).items as any[];
      await vi.waitFor(async () => expect((await status()).find((c) => c.cluster === 'served')?.lastSuccessAt).toBeTruthy(), { timeout: 10_000, interval: 100 });
      const items = await status();
      expect(items.find((c) => c.cluster === 'served')).toMatchObject({ lastError: null, last: { pods: 7, internetFacing: 4 } });
      expect(items.find((c) => c.cluster === 'broken')).toMatchObject({ lastSuccessAt: null, lastError: expect.stringMatching(/cannot load kubeconfig/) });
      const listed = ((await (await fetch(`${base}/api/v1/workloads?cluster=served`)).json()) as any).items as any[];
      expect(listed.length).toBe(7);
    } finally {
      await svc.stop();
    }
  });

  it('the configuration names a cluster that gives neither or both of kubeconfig and inCluster', () => {
    const parse = (c: unknown) => configSchema.safeParse({ workloads: { clusters: [c] } });
    expect(parse({ name: 'a' }).error?.issues[0]?.message).toMatch(/cluster "a": give either kubeconfig: <path> or inCluster: true/);
    expect(parse({ name: 'a', kubeconfig: '/k', inCluster: true }).success).toBe(false);
    expect(parse({ name: 'Prod EU', inCluster: true }).success).toBe(false);
    expect(parse({ name: 'a', inCluster: true, intervalMs: 10 }).success).toBe(false);
    expect(configSchema.safeParse({ workloads: { clusters: [{ name: 'a', inCluster: true }, { name: 'a', kubeconfig: '/k' }] } }).error?.issues[0]?.message).toMatch(/given twice/);
    expect(parse({ name: 'a', inCluster: true }).data?.workloads.clusters[0]).toMatchObject({ intervalMs: 300_000, timeoutMs: 30_000 });
  });
});

describe('several replicas', () => {
  it('the periodic sync of a cluster runs on the replica holding its lease; another takes over when it stops', async () => {
    const { Lease } = await import('../src/db/leases.ts');
    const calls = { a: 0, b: 0 };
    const clusters = cluster({ name: 'leased' }).map((c) => ({ ...c, intervalMs: 100 })); // below the schema's minimum, to keep the test short
    const make = (who: 'a' | 'b') => new WorkloadSync({
      database, clusters, criticalityKey: 'customs.dev/criticality',
      lister: () => async () => { calls[who]++; return { apiVersion: 'v1', kind: 'List', items: [] }; },
      lease: (c, ttlMs) => new Lease(database, `workload-sync:${c}`, `replica-${who}`, ttlMs),
    });
    const a = make('a');
    a.start();
    await vi.waitFor(() => expect(calls.a).toBeGreaterThan(0));
    const b = make('b');
    b.start();
    await new Promise((r) => setTimeout(r, 600));
    expect(calls.a).toBeGreaterThanOrEqual(3);
    expect(calls.b).toBe(0);
    await a.stop(); // releases its lease: b takes the next turn without waiting for a lapse
    await vi.waitFor(() => expect(calls.b).toBeGreaterThan(0), { timeout: 3_000 });
    await b.stop();
  });
});
