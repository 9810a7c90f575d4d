// POST /api/v1/workloads: what runs in a cluster Customs cannot reach, from kubectl's JSON output
// (test/fixtures/k8s/kubectl-get-pods-services-ingresses.json; sources in the README there).
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startService, type RunningService } from '../src/server/service.ts';
import { testConfig } from './helpers/registry.ts';
import { customsCli } from './helpers/cli.ts';
import { writeFileSync } from 'node:fs';

const KUBECTL = readFileSync(join(import.meta.dirname, 'fixtures/k8s/kubectl-get-pods-services-ingresses.json'), 'utf8');
const ROUTES = readFileSync(join(import.meta.dirname, 'fixtures/k8s/kubectl-get-services-httproutes.json'), 'utf8');
let dir: string;
let svc: RunningService;
let base: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'customs-workloads-'));
  svc = await startService(testConfig({ dataDir: dir, database: { url: `file:${join(dir, 'customs.db')}` }, server: { host: '127.0.0.1', port: 0 }, workers: { concurrency: 0, vulndbRefresh: false } }));
  base = `http://127.0.0.1:${svc.port}`;
});
afterAll(async () => { await svc?.stop(); rmSync(dir, { recursive: true, force: true }); });

const post = (cluster: string, body: string) => fetch(`${base}/api/v1/workloads?cluster=${cluster}`, { method: 'POST', body });
const list = async (q = '') => ((await (await fetch(`${base}/api/v1/workloads${q}`)).json()) as any).items as any[];

describe('workload inventory from kubectl output', () => {
  it('imports pods as workloads with their running digests, replicas and exposure', async () => {
    const r = await post('prod-eu', KUBECTL);
    expect(r.status).toBe(200);
    expect(await r.json()).toEqual({ cluster: 'prod-eu', pods: 7, workloads: 6, containers: 7, internetFacing: 3, withoutDigest: 1 });
    const items = await list('?cluster=prod-eu');
    const by = (name: string, container: string) => items.find((i) => i.name === name && i.container === container);
    // pods of a Deployment's ReplicaSet are the Deployment; the init container is there too
    expect(by('web', 'web')).toMatchObject({ namespace: 'shop', kind: 'Deployment', replicas: 2, image: 'registry.internal:5000/shop/web:1.4', exposure: 'internet', exposedBy: ['Service/web (LoadBalancer)'], serviceAccount: 'default' });
    expect(by('web', 'web').digest).toMatch(/^sha256:[a-f0-9]{64}$/);
    expect(by('web', 'migrate')).toMatchObject({ kind: 'Deployment', replicas: 2, exposure: 'internet' });
    // an Ingress routes to the api Service (ClusterIP) which selects the api pods
    expect(by('api', 'api')).toMatchObject({ kind: 'Deployment', exposure: 'internet', exposedBy: ['Ingress/api'] });
    // hostNetwork and hostPort make a DaemonSet reachable from outside
    expect(by('node-exporter', 'node-exporter')).toMatchObject({ namespace: 'monitoring', kind: 'DaemonSet', exposure: 'internet', exposedBy: ['hostNetwork', 'hostPort'] });
    // a Job of a CronJob is the CronJob; a ClusterIP-only StatefulSet is internal and not pulled yet (no digest)
    expect(by('report', 'report')).toMatchObject({ kind: 'CronJob', exposure: 'internal' });
    expect(by('db', 'postgres')).toMatchObject({ kind: 'StatefulSet', digest: null, exposure: 'internal' });
    // the pod captured from minikube (dockershim's docker-pullable:// imageID): a ReplicaSet of its own
    expect(by('queue', 'queue')).toMatchObject({ namespace: 'default', kind: 'ReplicaSet', digest: 'sha256:bd17153e9a3319f401acc7a27759243f37d422c06cbbf01cb3e1f54bbbfe14f4', exposure: 'internal' });
    // by digest: where an image runs
    expect((await list(`?digest=${by('web', 'web').digest}`)).map((i) => `${i.cluster}/${i.namespace}/${i.kind}/${i.name}`)).toEqual(['prod-eu/shop/Deployment/web']);
  });

  it('a later import keeps first seen, moves last seen, and leaves what stopped running at 0 replicas', async () => {
    const before = (await list('?cluster=prod-eu')).find((i) => i.name === 'web' && i.container === 'web');
    const doc = JSON.parse(KUBECTL);
    doc.items = doc.items.filter((i: any) => !(i.kind === 'Pod' && i.metadata.name.startsWith('report-')));
    await new Promise((r) => setTimeout(r, 5));
    expect((await post('prod-eu', JSON.stringify(doc))).status).toBe(200);
    const after = await list('?cluster=prod-eu');
    const web = after.find((i) => i.name === 'web' && i.container === 'web');
    expect(web.firstSeenAt).toBe(before.firstSeenAt);
    expect(web.lastSeenAt > before.lastSeenAt).toBe(true);
    expect(after.find((i) => i.name === 'report')).toMatchObject({ replicas: 0 });
    // another cluster is another inventory
    expect((await post('staging', KUBECTL)).status).toBe(200);
    expect((await list('?cluster=staging')).length).toBe(7);
    expect((await list('?cluster=prod-eu')).find((i) => i.name === 'report').replicas).toBe(0);
  });

  it('follows Gateway API HTTPRoutes to Services and their pods, and reads criticality from a label or an annotation', async () => {
    // kubectl get pods,services,ingresses,httproutes -A -o json: one List
    const doc = JSON.parse(KUBECTL);
    doc.items.push(...JSON.parse(ROUTES).items);
    const r = await post('gw', JSON.stringify(doc));
    expect(await r.json()).toMatchObject({ internetFacing: 4 });
    const items = await list('?cluster=gw');
    const by = (name: string) => items.find((i) => i.name === name);
    // HTTPRoute default/queue (attached to Gateway gateway-infra/public) → Service queue → the queue pod
    expect(by('queue')).toMatchObject({ exposure: 'internet', exposedBy: ['HTTPRoute/default/queue'] });
    // HTTPRoute shop/db-admin has no parentRefs: attached to no Gateway, it exposes nothing
    expect(by('db')).toMatchObject({ exposure: 'internal', exposedBy: [] });
    // shop/web's pods carry the annotation customs.dev/criticality: high
    expect(by('web')).toMatchObject({ criticality: 'high' });
    expect(by('api')).toMatchObject({ criticality: null });
  });

  it('refuses what is not kubectl output, and a missing cluster name', async () => {
    expect((await post('prod-eu', '{"kind":"Pod"}')).status).toBe(400);
    expect((await post('prod-eu', 'not json')).status).toBe(400);
    expect((await post('', KUBECTL)).status).toBe(400);
    expect((await post('Prod EU', KUBECTL)).status).toBe(400);
    expect((await fetch(`${base}/api/v1/workloads?digest=nope`)).status).toBe(400);
  });
});

describe('customs workloads import', () => {
  it('imports a kubectl output file into the database the service reads, the same as the API', async () => {
    const work = mkdtempSync(join(tmpdir(), 'customs-workloads-cli-'));
    try {
      const cli = customsCli(work);
      const file = join(work, 'kubectl.json');
      const doc = JSON.parse(KUBECTL);
      doc.items.push(...JSON.parse(ROUTES).items);
      writeFileSync(file, JSON.stringify(doc));
      const r = await cli(['workloads', 'import', file, '--cluster', 'air-gapped', '--format', 'json']);
      expect(r.code, r.stderr).toBe(0);
      expect(JSON.parse(r.stdout)).toEqual({ cluster: 'air-gapped', pods: 7, workloads: 6, containers: 7, internetFacing: 4, withoutDigest: 1 });
      const text = await cli(['workloads', 'import', file, '--cluster', 'air-gapped']);
      expect(text.stdout).toBe('cluster air-gapped: 7 pods, 6 workloads, 7 containers (4 internet-facing workloads, 1 containers without a running digest)\n');
      const listed = await cli(['workloads', 'list', '--cluster', 'air-gapped', '--format', 'json']);
      const items = JSON.parse(listed.stdout).items as any[];
      expect(items.find((i) => i.name === 'queue')).toMatchObject({ exposure: 'internet', exposedBy: ['HTTPRoute/default/queue'] });
      expect(items.find((i) => i.name === 'web')).toMatchObject({ criticality: 'high' });
      expect((await cli(['workloads', 'list'])).stdout).toMatch(/air-gapped .*shop\/Deployment\/web .*internet \(Service\/web \(LoadBalancer\)\) .*high/);
      // bad input: exit 2 with the reason
      const noCluster = await cli(['workloads', 'import', file]);
      expect(noCluster).toMatchObject({ code: 2, stderr: expect.stringMatching(/needs --cluster NAME/) });
      expect(await cli(['workloads', 'import', file, '--cluster', 'Prod EU'])).toMatchObject({ code: 2, stderr: expect.stringMatching(/--cluster "Prod EU": lower-case/) });
      expect(await cli(['workloads', 'import', join(work, 'missing.json'), '--cluster', 'x'])).toMatchObject({ code: 2, stderr: expect.stringMatching(/cannot read .*missing\.json: ENOENT/) });
      writeFileSync(join(work, 'bad.json'), 'pods:\n- not json');
      expect(await cli(['workloads', 'import', join(work, 'bad.json'), '--cluster', 'x'])).toMatchObject({ code: 2, stderr: expect.stringMatching(/bad\.json is not JSON/) });
      writeFileSync(join(work, 'pod.json'), '{"kind":"Pod"}');
      expect(await cli(['workloads', 'import', join(work, 'pod.json'), '--cluster', 'x'])).toMatchObject({ code: 2, stderr: expect.stringMatching(/pod\.json: expected the output of kubectl get/) });
      expect((await cli(['workloads'])).code).toBe(2);
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
  }, 60_000);
});
