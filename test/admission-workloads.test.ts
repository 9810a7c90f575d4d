// Workloads learned from admission requests (admission.cluster): the AdmissionReview fixtures of
// test/fixtures/k8s/ (README there) posted to a running service; what it admits is added to the
// inventory after the answer, refreshed on UPDATE, removed on DELETE. Images are given by digest
// (resolved without a registry) and unscanned images are allowed with a warning (admission.unscanned: warn).
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { startService, type RunningService } from '../src/server/service.ts';
import { testConfig } from './helpers/registry.ts';

const FIXTURES = join(import.meta.dirname, 'fixtures/k8s');
const D1 = `sha256:${'1'.repeat(64)}`, D2 = `sha256:${'2'.repeat(64)}`, D3 = `sha256:${'3'.repeat(64)}`;
const APP = `registry.internal:5000/team-a/nginx@${D1}`;
const INIT = `registry.internal:5000/team-a/init@${D2}`;

let dir: string;
let svc: RunningService;
let denySvc: RunningService;

const serviceConfig = (admission: Record<string, unknown>) => testConfig({
  dataDir: dir, database: { url: `file:${join(dir, 'customs.db')}` }, server: { host: '127.0.0.1', port: 0 },
  workers: { concurrency: 0, vulndbRefresh: false }, admission: { enabled: true, unscanned: 'warn', ...admission },
});

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'customs-admission-workloads-'));
  svc = await startService(serviceConfig({ cluster: 'prod-eu' }));
  denySvc = await startService(serviceConfig({ cluster: 'strict', unscanned: 'deny' }));
});
afterAll(async () => {
  await denySvc?.stop();
  await svc?.stop();
  rmSync(dir, { recursive: true, force: true });
});

function fixture(file: string, subst: Record<string, string> = { APP, INIT }): any {
  let text = readFileSync(join(FIXTURES, file), 'utf8');
  for (const [k, v] of Object.entries(subst)) text = text.replaceAll(`{{${k}}}`, v);
  return JSON.parse(text);
}
const review = async (body: unknown, on = svc) => {
  const r = await fetch(`http://127.0.0.1:${on.port}/k8s/admission`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  expect(r.status).toBe(200);
  return ((await r.json()) as any).response;
};
const list = async (cluster = 'prod-eu') => ((await (await fetch(`http://127.0.0.1:${svc.port}/api/v1/workloads?cluster=${cluster}`)).json()) as any).items as any[];

describe('workloads learned from admission requests', () => {
  it('a Deployment admitted is recorded with the digests admission resolved; its ReplicaSet is left to it', async () => {
    const dep = fixture('deployment-create.json');
    dep.request.object.spec.replicas = 3;
    dep.request.object.metadata.annotations = { 'customs.dev/criticality': 'critical' };
    expect(await review(dep)).toMatchObject({ allowed: true });
    expect(await review(fixture('replicaset-create.json'))).toMatchObject({ allowed: true });
    await svc.admissionRuntime!.learner!.idle();
    const rows = await list();
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ namespace: 'team-a', kind: 'Deployment', name: 'nginx', container: 'nginx', image: APP, digest: D1, replicas: 3, labels: { app: 'nginx' }, exposure: 'internal', criticality: 'critical' });
  });

  it('an UPDATE refreshes it (image, digest, replicas) and keeps the exposure an import found; first seen stays', async () => {
    // kubectl output for team-a: a LoadBalancer Service selecting the nginx pods
    const pod = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'nginx-7c5ddbdf54-abcde', namespace: 'team-a', labels: { app: 'nginx', 'pod-template-hash': '7c5ddbdf54' }, ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'nginx-7c5ddbdf54', controller: true, uid: 'x' }] },
      spec: { containers: [{ name: 'nginx', image: APP }] }, status: { containerStatuses: [{ name: 'nginx', image: APP, imageID: APP }] } };
    const lb = { apiVersion: 'v1', kind: 'Service', metadata: { name: 'nginx', namespace: 'team-a' }, spec: { type: 'LoadBalancer', selector: { app: 'nginx' } } };
    expect((await fetch(`http://127.0.0.1:${svc.port}/api/v1/workloads?cluster=prod-eu`, { method: 'POST', body: JSON.stringify({ apiVersion: 'v1', kind: 'List', items: [pod, lb] }) })).status).toBe(200);
    const before = (await list())[0];
    expect(before).toMatchObject({ exposure: 'internet', replicas: 1 });

    const upd = fixture('deployment-create.json', { APP: `registry.internal:5000/team-a/nginx@${D3}` });
    upd.request.operation = 'UPDATE';
    upd.request.oldObject = fixture('deployment-create.json').request.object;
    upd.request.object.spec.replicas = 5;
    await new Promise((r) => setTimeout(r, 5));
    expect(await review(upd)).toMatchObject({ allowed: true });
    await svc.admissionRuntime!.learner!.idle();
    const after = (await list())[0];
    expect(after).toMatchObject({ digest: D3, replicas: 5, exposure: 'internet', exposedBy: ['Service/nginx (LoadBalancer)'] });
    expect(after.firstSeenAt).toBe(before.firstSeenAt);
    expect(after.lastSeenAt > before.lastSeenAt).toBe(true);
  });

  it('a bare Pod is added on CREATE and removed on DELETE; a dry run changes nothing', async () => {
    const dry = fixture('pod-create.json');
    dry.request.dryRun = true;
    await review(dry);
    await svc.admissionRuntime!.learner!.idle();
    expect((await list()).some((w) => w.kind === 'Pod')).toBe(false);

    expect(await review(fixture('pod-create.json'))).toMatchObject({ allowed: true });
    await svc.admissionRuntime!.learner!.idle();
    const pod = (await list()).filter((w) => w.kind === 'Pod');
    expect(pod.map((w) => `${w.name}/${w.container}/${w.digest}`).sort()).toEqual([`debug/debug/${D1}`, `debug/setup/${D2}`].sort());

    expect(await review(fixture('pod-delete.json'))).toMatchObject({ allowed: true });
    await svc.admissionRuntime!.learner!.idle();
    expect((await list()).some((w) => w.kind === 'Pod')).toBe(false);
    // the Deployment is untouched by the pod's deletion
    expect((await list()).map((w) => `${w.kind}/${w.name}`)).toEqual(['Deployment/nginx']);
  });

  it('an UPDATE of a workload being deleted (finalizers, after the DELETE) does not bring it back', async () => {
    const dep = fixture('deployment-create.json');
    dep.request.name = dep.request.object.metadata.name = 'finalized';
    await review(dep);
    await svc.admissionRuntime!.learner!.idle();
    expect((await list()).some((w) => w.name === 'finalized')).toBe(true);
    const upd = fixture('deployment-create.json');
    upd.request.operation = 'UPDATE';
    upd.request.name = upd.request.object.metadata.name = 'finalized';
    upd.request.object.metadata.deletionTimestamp = '2026-12-03T10:00:00Z';
    upd.request.object.metadata.finalizers = ['foregroundDeletion'];
    await review(upd);
    await svc.admissionRuntime!.learner!.idle();
    expect((await list()).some((w) => w.name === 'finalized')).toBe(false);
  });

  it('what admission denies is not recorded', async () => {
    expect(await review(fixture('deployment-create.json'), denySvc)).toMatchObject({ allowed: false, status: { code: 403 } });
    await denySvc.admissionRuntime!.learner!.idle();
    expect(await list('strict')).toEqual([]);
  });

  it('the answer does not wait for the inventory: the write happens after it', async () => {
    const dep = fixture('deployment-create.json');
    dep.request.name = dep.request.object.metadata.name = 'later';
    // hold the learner's database write until the answer is back
    const { database } = svc;
    let release!: () => void;
    const held = new Promise<void>((r) => { release = r; });
    const batch = database.db.batch.bind(database.db);
    const spy = vi.spyOn(database.db, 'batch').mockImplementation((async (q: any) => { await held; return batch(q); }) as any);
    try {
      expect(await review(dep)).toMatchObject({ allowed: true });
      expect((await list()).some((w) => w.name === 'later')).toBe(false);
      release();
      await svc.admissionRuntime!.learner!.idle();
      expect((await list()).some((w) => w.name === 'later')).toBe(true);
    } finally {
      spy.mockRestore();
    }
  });
});
