// POST /k8s/admission against a real service, a real registry and real scans: AdmissionReview v1
// requests shaped as the API server sends them (test/fixtures/k8s/, sources in its README) for every
// pod-bearing kind, answered from the stored verdicts.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { connect as tlsConnect } from 'node:tls';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Agent, fetch as undiciFetch } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RegistryClient } from '../src/registry/client.ts';
import { startService, type RunningService } from '../src/server/service.ts';
import { pushDebianImage } from './helpers/push.ts';
import { startRegistry, testConfig, type TestRegistry } from './helpers/registry.ts';
import { waitFor } from './helpers/util.ts';

const POLICY = `apiVersion: customs.dev/v1
kind: Policy
metadata: { name: cluster }
spec:
  missingScan: pass
  rules:
    - { type: deny-packages, packages: ["telnetd"] }
    - { type: deny-packages, packages: ["curl"], outcome: warn }
  actions:
    fail: [{ type: gate }]
`;
const FIXTURES = join(import.meta.dirname, 'fixtures/k8s');

let reg: TestRegistry;
let dir: string;
let svc: RunningService;
/** the same database, other admission settings: unscanned images queued for a scan, audit mode */
let scanSvc: RunningService;
let auditSvc: RunningService;
const client = new RegistryClient(testConfig());
const images: Record<string, { tag: string; digest: string }> = {};

const serviceConfig = (admission: Record<string, unknown>, workers = 2) => testConfig({
  dataDir: dir, database: { url: `file:${join(dir, 'customs.db')}` }, server: { host: '127.0.0.1', port: 0 },
  workers: { concurrency: workers, pollMs: 50, leaseMs: 5000, backoffMs: 50, maxBackoffMs: 200, vulndbRefresh: false },
  policy: { reevaluateIntervalMs: 60_000 },
  admission: { enabled: true, registries: [reg.host], ...admission },
});

beforeAll(async () => {
  reg = await startRegistry();
  dir = mkdtempSync(join(tmpdir(), 'customs-admission-'));
  svc = await startService(serviceConfig({ exemptLabels: { 'customs.dev/admission': 'skip' } }));
  const base = `http://127.0.0.1:${svc.port}`;
  expect((await fetch(`${base}/api/v1/policies/cluster`, { method: 'PUT', body: POLICY })).status).toBe(201);
  const pushed = {
    clean: await pushDebianImage(client, reg.host, 'team/app', 'clean', [['libc6', '2.36-9']]),
    bad: await pushDebianImage(client, reg.host, 'team/app', 'bad', [['telnetd', '0.17-44'], ['libc6', '2.36-9']]),
    warned: await pushDebianImage(client, reg.host, 'team/app', 'warned', [['curl', '7.88.1-10'], ['libc6', '2.36-9']]),
  };
  for (const [name, p] of Object.entries(pushed)) {
    images[name] = { tag: name, digest: p.manifestDigest };
    const r = await fetch(`${base}/api/v1/scans`, { method: 'POST', body: JSON.stringify({ image: `${reg.host}/team/app:${name}` }) });
    expect(r.status).toBeLessThan(300);
  }
  for (const { digest } of Object.values(images)) {
    await waitFor(`the verdict of ${digest}`, async () => ((await fetch(`${base}/api/v1/verdicts/${digest}`)).status === 200 ? true : undefined), 30_000);
  }
  scanSvc = await startService(serviceConfig({ unscanned: 'scan' }, 0));
  auditSvc = await startService(serviceConfig({ mode: 'audit', unscanned: 'deny' }, 0));
}, 90_000);

afterAll(async () => {
  await scanSvc?.stop();
  await auditSvc?.stop();
  await svc?.stop();
  await reg?.stop();
  await client.close();
  rmSync(dir, { recursive: true, force: true });
});

const byTag = (name: string) => `${reg.host}/team/app:${name}`;
const byDigest = (name: string) => `${reg.host}/team/app@${images[name]!.digest}`;

function fixture(file: string, subst: Record<string, string>): any {
  let text = readFileSync(join(FIXTURES, file), 'utf8');
  for (const [k, v] of Object.entries(subst)) text = text.replaceAll(`{{${k}}}`, v);
  return JSON.parse(text);
}

async function review(body: unknown, on: RunningService = svc): Promise<{ status: number; json: any; ms: number }> {
  const started = performance.now();
  const r = await fetch(`http://127.0.0.1:${on.port}/k8s/admission`, {
    method: 'POST', headers: { 'content-type': 'application/json' }, body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await r.text();
  const ms = performance.now() - started;
  let json: any;
  try { json = JSON.parse(text); } catch { json = text; }
  return { status: r.status, json, ms };
}

const WORKLOADS = ['pod-create.json', 'deployment-create.json', 'statefulset-create.json', 'daemonset-create.json', 'replicaset-create.json', 'job-create.json', 'cronjob-create.json'];

describe('POST /k8s/admission: every pod-bearing kind', () => {
  it('the fixtures are the ones this test covers', () => {
    expect(readdirSync(FIXTURES).filter((f) => f.endsWith('.json') && !f.startsWith('kubectl-')).sort())
      .toEqual([...WORKLOADS, 'pod-ephemeralcontainers-update.json', 'deployment-scale-docs.json', 'pod-delete.json'].sort());
  });

  for (const file of WORKLOADS) {
    it(`${file}: clean by tag is allowed, quarantined by digest is denied, warned is allowed with a warning`, async () => {
      const clean = fixture(file, { APP: byTag('clean'), INIT: byTag('clean') });
      const ok = await review(clean);
      expect(ok.status).toBe(200);
      expect(ok.json).toEqual({ apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', response: { uid: clean.request.uid, allowed: true } });

      const bad = await review(fixture(file, { APP: byDigest('bad'), INIT: byTag('clean') }));
      expect(bad.status).toBe(200);
      expect(bad.json.response.uid).toBe(clean.request.uid);
      expect(bad.json.response.allowed).toBe(false);
      expect(bad.json.response.status.code).toBe(403);
      expect(bad.json.response.status.message).toContain(`(${byDigest('bad')}): quarantined by policy cluster: denied package: telnetd 0.17-44`);
      expect(bad.json.response.status.message).toMatch(new RegExp(`^Customs denied ${clean.request.kind.kind} `));

      const warned = await review(fixture(file, { APP: byTag('warned'), INIT: byTag('clean') }));
      expect(warned.json.response.allowed).toBe(true);
      expect(warned.json.response.warnings).toHaveLength(1);
      expect(warned.json.response.warnings[0]).toMatch(/\(.*team\/app:warned\): warned by policy cluster/);
    });
  }

  it('an init container is judged like the others', async () => {
    const r = await review(fixture('pod-create.json', { APP: byTag('clean'), INIT: byTag('bad') }));
    expect(r.json.response.allowed).toBe(false);
    expect(r.json.response.status.message).toContain(`initContainers/setup (${byTag('bad')}): quarantined by policy cluster`);
  });

  it('an ephemeral container added with kubectl debug (pods/ephemeralcontainers) is judged', async () => {
    const bad = await review(fixture('pod-ephemeralcontainers-update.json', { APP: byTag('bad'), CLEAN: byTag('clean') }));
    expect(bad.json.response.allowed).toBe(false);
    expect(bad.json.response.status.message).toContain('ephemeralContainers/debugger-7mfxv');
    const ok = await review(fixture('pod-ephemeralcontainers-update.json', { APP: byTag('clean'), CLEAN: byTag('clean') }));
    expect(ok.json.response.allowed).toBe(true);
    // only the added container is judged: a pod running an image quarantined since can be debugged
    const debugQuarantined = await review(fixture('pod-ephemeralcontainers-update.json', { APP: byTag('clean'), CLEAN: byTag('bad') }));
    expect(debugQuarantined.json.response).toEqual({ uid: 'f1a2b3c4-d5e6-4f70-8192-a3b4c5d6e7f8', allowed: true });
  });

  it('a Scale (the Kubernetes documentation\'s example request) and a DELETE have nothing to judge', async () => {
    const scale = fixture('deployment-scale-docs.json', {});
    expect((await review(scale)).json).toEqual({ apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', response: { uid: '705ab4f5-6393-11e8-b7cc-42010a800002', allowed: true } });
    const del = await review(fixture('pod-delete.json', { APP: byTag('bad'), INIT: byTag('bad') }));
    expect(del.json.response).toEqual({ uid: 'a9b8c7d6-e5f4-4a3b-9c2d-1e0f9a8b7c6d', allowed: true });
  });

  it('pods of a status update (a subresource without a new pod spec) are not judged', async () => {
    const r = fixture('pod-create.json', { APP: byTag('bad'), INIT: byTag('bad') });
    r.request.subResource = 'status';
    r.request.operation = 'UPDATE';
    expect((await review(r)).json.response.allowed).toBe(true);
  });
});

describe('exemptions, unscanned images, audit mode', () => {
  it('exempt namespaces and labels (on the object or its pod template) are not judged', async () => {
    const inSystem = fixture('pod-create.json', { APP: byTag('bad'), INIT: byTag('bad') });
    inSystem.request.namespace = 'kube-system';
    expect((await review(inSystem)).json.response.allowed).toBe(true);
    const labelled = fixture('deployment-create.json', { APP: byTag('bad') });
    labelled.request.object.spec.template.metadata.labels['customs.dev/admission'] = 'skip';
    expect((await review(labelled)).json.response.allowed).toBe(true);
    labelled.request.object.spec.template.metadata.labels['customs.dev/admission'] = 'other';
    expect((await review(labelled)).json.response.allowed).toBe(false);
  });

  it('an image Customs never saw: a tag resolved at the registry, a digest used as given; allowed with a warning (unscanned: warn)', async () => {
    const unseen = await pushDebianImage(client, reg.host, 'team/unseen', 'v1', [['libc6', '2.36-9'], ['bash', '5.2.15-2']]);
    const r = await review(fixture('pod-create.json', { APP: `${reg.host}/team/unseen:v1`, INIT: `${reg.host}/team/unseen@${unseen.manifestDigest}` }));
    expect(r.json.response.allowed).toBe(true);
    expect(r.json.response.warnings).toEqual([
      `debug (${reg.host}/team/unseen:v1): not scanned yet (policy cluster)`,
      `initContainers/setup (${reg.host}/team/unseen@${unseen.manifestDigest}): not scanned yet (policy cluster)`,
    ]);
    // a registry not in admission.registries is never asked, a tag nobody pushed cannot be resolved
    const other = await review(fixture('pod-create.json', { APP: 'ghcr.io/someone/thing:1.0', INIT: `${reg.host}/team/unseen:nope` }));
    expect(other.json.response.allowed).toBe(true);
    expect(other.json.response.warnings[0]).toBe('debug (ghcr.io/someone/thing:1.0): tag 1.0 of ghcr.io/someone/thing was never seen pushed');
    expect(other.json.response.warnings[1]).toMatch(/^initContainers\/setup .*: cannot resolve .*team\/unseen:nope to a digest/);
  });

  it('unscanned: scan — denied, a scan is queued, and the retry is judged by its verdict', async () => {
    const fresh = await pushDebianImage(client, reg.host, 'team/fresh', 'v1', [['telnetd', '0.17-44']]);
    const body = fixture('deployment-create.json', { APP: `${reg.host}/team/fresh:v1` });
    const first = await review(body, scanSvc);
    expect(first.json.response.allowed).toBe(false);
    expect(first.json.response.status.message).toContain('not scanned yet (policy cluster); a scan was queued');
    const jobs = ((await (await fetch(`http://127.0.0.1:${svc.port}/api/v1/jobs`)).json()) as any).items;
    expect(jobs.filter((j: any) => j.origin === 'admission').map((j: any) => `${j.repository}@${j.digest}`)).toEqual([`team/fresh@${fresh.manifestDigest}`]);
    // the first service's workers scan it (one database); the retry meets the quarantine
    const again = await waitFor('the verdict at admission', async () => {
      const r = await review(body, scanSvc);
      return r.json.response.status?.message?.includes('quarantined') ? r : undefined;
    }, 30_000);
    expect(again.json.response.status.message).toContain('quarantined by policy cluster: denied package: telnetd 0.17-44');
    // a dry run queues nothing
    const dry = fixture('pod-create.json', { APP: `${reg.host}/team/unseen-dry:v1`, INIT: byTag('clean') });
    dry.request.dryRun = true;
    await pushDebianImage(client, reg.host, 'team/unseen-dry', 'v1', [['libc6', '2.36-9']]);
    expect((await review(dry, scanSvc)).json.response.allowed).toBe(false);
    const after = ((await (await fetch(`http://127.0.0.1:${svc.port}/api/v1/jobs`)).json()) as any).items;
    expect(after.filter((j: any) => j.repository === 'team/unseen-dry')).toEqual([]);
  }, 60_000);

  it('audit mode allows what it would deny, says so in warnings and records it in the audit log', async () => {
    const body = fixture('statefulset-create.json', { APP: byTag('bad') });
    const r = await review(body, auditSvc);
    expect(r.json.response.allowed).toBe(true);
    expect(r.json.response.warnings[0]).toBe(`audit mode, would be denied: nginx (${byTag('bad')}): quarantined by policy cluster: denied package: telnetd 0.17-44`);
    const audit = ((await (await fetch(`http://127.0.0.1:${svc.port}/api/v1/audit?subject=${images.bad!.digest}`)).json()) as any).items;
    const entry = audit.find((a: any) => a.action === 'admission.audit');
    expect(entry).toMatchObject({ actor: 'admission', reason: 'quarantined by policy cluster: denied package: telnetd 0.17-44' });
  });
});

describe('malformed reviews are 400 with the reason, never 500', () => {
  const cases: [string, () => unknown, RegExp][] = [
    ['not JSON', () => '{"kind": "AdmissionReview",', /./],
    ['a JSON array', () => [], /not a JSON object/],
    ['another kind', () => ({ kind: 'Pod', apiVersion: 'v1' }), /not an AdmissionReview: kind is "Pod"/],
    ['v1beta1', () => ({ ...fixture('pod-create.json', { APP: 'x', INIT: 'x' }), apiVersion: 'admission.k8s.io/v1beta1' }), /only admission.k8s.io\/v1/],
    ['no request', () => ({ kind: 'AdmissionReview', apiVersion: 'admission.k8s.io/v1' }), /without a request object/],
    ['no uid', () => { const f = fixture('pod-create.json', { APP: 'x', INIT: 'x' }); delete f.request.uid; return f; }, /request.uid is missing/],
    ['a bad operation', () => { const f = fixture('pod-create.json', { APP: 'x', INIT: 'x' }); f.request.operation = 'PATCH'; return f; }, /operation "PATCH"/],
    ['CREATE without object', () => { const f = fixture('pod-create.json', { APP: 'x', INIT: 'x' }); f.request.object = null; return f; }, /request.object is missing on CREATE/],
    ['a Deployment without a template', () => { const f = fixture('deployment-create.json', { APP: 'x' }); delete f.request.object.spec.template; return f; }, /Deployment without spec.template.spec/],
    ['a CronJob without its job template', () => { const f = fixture('cronjob-create.json', { APP: 'x' }); delete f.request.object.spec.jobTemplate; return f; }, /CronJob without spec.jobTemplate.spec.template.spec/],
    ['containers not a list', () => { const f = fixture('pod-create.json', { APP: 'x', INIT: 'x' }); f.request.object.spec.containers = { a: 1 }; return f; }, /containers is not a list/],
    ['a container without image', () => { const f = fixture('pod-create.json', { APP: 'x', INIT: 'x' }); delete f.request.object.spec.containers[0].image; return f; }, /containers\[0\] \(debug\) has no image/],
    ['nesting deeper than limits.maxJsonDepth', () => '['.repeat(500) + ']'.repeat(500), /deep|depth|nest/i],
  ];
  for (const [what, body, message] of cases) {
    it(what, async () => {
      const r = await review(body());
      expect(r.status).toBe(400);
      expect(r.json.title).toBe('Bad Request');
      expect(r.json.detail).toMatch(message);
    });
  }

  it('an image string that is no reference is an answer (unscanned), not an error', async () => {
    const r = await review(fixture('pod-create.json', { APP: 'Not A Reference', INIT: byTag('clean') }));
    expect(r.status).toBe(200);
    expect(r.json.response.warnings[0]).toMatch(/^debug \(Not A Reference\): invalid image reference/);
  });

  it('a body over admission.maxBodyBytes is 413; a disabled webhook is 404', async () => {
    expect((await review('x'.repeat(5 * 1024 * 1024))).status).toBe(413);
    const off = await startService(testConfig({ dataDir: dir, database: { url: `file:${join(dir, 'customs.db')}` }, server: { host: '127.0.0.1', port: 0 }, workers: { concurrency: 0, vulndbRefresh: false } }));
    try { expect((await review(fixture('deployment-scale-docs.json', {}), off)).status).toBe(404); } finally { await off.stop(); }
  });
});

describe('latency from stored verdicts', () => {
  it('500 reviews one after the other (a Pod with two containers; client and server share this process)', async () => {
    const body = JSON.stringify(fixture('pod-create.json', { APP: byTag('warned'), INIT: byDigest('clean') }));
    const ms: number[] = [];
    for (let round = 0; round < 500; round++) ms.push(...(await Promise.all(Array.from({ length: 1 }, async () => (await review(body)).ms))));
    ms.sort((a, b) => a - b);
    const p = (q: number) => ms[Math.min(ms.length - 1, Math.floor(q * ms.length))]!;
    console.log(`admission latency over ${ms.length} reviews: p50 ${p(0.5).toFixed(1)} ms, p99 ${p(0.99).toFixed(1)} ms, max ${ms.at(-1)!.toFixed(1)} ms`);
    // a guard against a registry call or a scan slipping onto the hot path, not the benchmark (bench/admission.ts)
    expect(p(0.5)).toBeLessThan(50);
  }, 60_000);
});

describe('the HTTPS listener (admission.tls)', () => {
  it('serves the webhook (and only it) over TLS and picks up a renewed key pair without a restart', async () => {
    const tlsDir = mkdtempSync(join(tmpdir(), 'customs-admission-tls-'));
    const certFile = join(tlsDir, 'tls.crt');
    const keyFile = join(tlsDir, 'tls.key');
    const issue = (cn: string) => execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-days', '1',
      '-subj', `/CN=${cn}`, '-addext', 'subjectAltName=IP:127.0.0.1', '-keyout', keyFile, '-out', certFile], { stdio: 'ignore' });
    issue('customs-admission-1');
    const tlsSvc = await startService(serviceConfig({ tls: { host: '127.0.0.1', port: 0, certFile, keyFile, reloadIntervalMs: 1000 } }, 0));
    const peer = () => new Promise<string>((resolve, reject) => {
      const s = tlsConnect({ host: '127.0.0.1', port: tlsSvc.admissionPort!, rejectUnauthorized: false }, () => { resolve(String(s.getPeerCertificate().subject.CN)); s.end(); });
      s.once('error', reject);
    });
    try {
      const dispatcher = new Agent({ connect: { ca: readFileSync(certFile) } });
      const url = `https://127.0.0.1:${tlsSvc.admissionPort}`;
      const body = fixture('pod-create.json', { APP: byTag('bad'), INIT: byTag('clean') });
      const r = await undiciFetch(`${url}/k8s/admission`, { method: 'POST', body: JSON.stringify(body), dispatcher });
      expect(r.status).toBe(200);
      expect(((await r.json()) as any).response).toMatchObject({ uid: body.request.uid, allowed: false });
      expect((await undiciFetch(`${url}/api/v1/jobs`, { dispatcher })).status).toBe(404);
      await dispatcher.close();
      expect(await peer()).toBe('customs-admission-1');
      await new Promise((r) => setTimeout(r, 20)); // a different mtime
      issue('customs-admission-2');
      await waitFor('the renewed certificate', async () => ((await peer()) === 'customs-admission-2' ? true : undefined), 10_000);
    } finally {
      await tlsSvc.stop();
      rmSync(tlsDir, { recursive: true, force: true });
    }
  }, 30_000);
});
