// The platform team's path end to end: a policy applied over the REST API (and the CLI), a push
// notified by the real registry, the scan, the verdict, the pull gate refusing the image, a release
// by an operator with a reason, and the audit log — all over real HTTP against real processes.
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RegistryClient } from '../src/registry/client.ts';
import { startService, type RunningService } from '../src/server/service.ts';
import { pushDebianImage } from './helpers/push.ts';
import { freePort, startRegistry, testConfig, type TestRegistry } from './helpers/registry.ts';
import { waitFor } from './helpers/util.ts';

const ROOT = resolve(import.meta.dirname, '..');
const SECRET = 'notify-secret-0123456789abcdef';
const TOKENS = { reader: 'reader-token-0123456789', operator: 'operator-token-0123456789', admin: 'admin-token-0123456789' };
const POLICY = `apiVersion: customs.dev/v1
kind: Policy
metadata: { name: prod }
spec:
  scope: { repositories: ["prod/**"] }
  rules:
    - { type: deny-packages, packages: ["telnetd"] }
  actions:
    fail: [{ type: gate }]
`;

let dir: string;
let reg: TestRegistry;
let svc: RunningService;
let base: string;
let gateBase: string;
const client = new RegistryClient(testConfig());

function api(path: string, role: keyof typeof TOKENS | null, init: RequestInit = {}) {
  return fetch(base + path, { ...init, headers: { ...(role ? { authorization: `Bearer ${TOKENS[role]}` } : {}), ...(init.headers as Record<string, string> ?? {}) } });
}

function customs(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((res) => {
    execFile(join(ROOT, 'bin/customs'), args, { env: { ...process.env, CUSTOMS_DATA: dir, CUSTOMS_LOG_LEVEL: 'warn' } },
      (err, stdout, stderr) => res({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr }));
  });
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'customs-policy-svc-'));
  const port = await freePort();
  reg = await startRegistry({ notifications: { url: `http://127.0.0.1:${port}/webhooks/distribution`, headers: { Authorization: [`Bearer ${SECRET}`] } } });
  svc = await startService(testConfig({
    dataDir: dir, database: { url: `file:${join(dir, 'customs.db')}` }, server: { host: '127.0.0.1', port },
    webhooks: { sources: { distribution: { secret: SECRET } } },
    workers: { concurrency: 2, pollMs: 50, leaseMs: 5000, backoffMs: 50, maxBackoffMs: 200 },
    api: { tokens: Object.entries(TOKENS).map(([role, token]) => ({ name: role, token, role })) },
    gate: { enabled: true, port: 0, upstream: `http://${reg.host}` },
    policy: { reevaluateIntervalMs: 1000 },
  }));
  base = `http://127.0.0.1:${svc.port}`;
  gateBase = `http://127.0.0.1:${svc.gatePort}`;
}, 60_000);

afterAll(async () => {
  await reg?.stop();
  await svc?.stop();
  await client.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('policy through the service', () => {
  it('policies are managed over the API by admins only, with precise refusals', async () => {
    expect((await api('/api/v1/policies/prod', 'reader', { method: 'PUT', body: POLICY })).status).toBe(403);
    expect((await api('/api/v1/policies/prod', null, { method: 'PUT', body: POLICY })).status).toBe(401);
    const bad = await api('/api/v1/policies/prod', 'admin', { method: 'PUT', body: POLICY.replace('deny-packages', 'deny-pakages') });
    expect(bad.status).toBe(400);
    expect(bad.headers.get('content-type')).toBe('application/problem+json');
    expect(((await bad.json()) as any).detail).toMatch(/spec\.rules\[0\]\.type/);
    expect((await api('/api/v1/policies/other', 'admin', { method: 'PUT', body: POLICY })).status).toBe(400); // name mismatch
    const ok = await api('/api/v1/policies/prod', 'admin', { method: 'PUT', body: POLICY });
    expect(ok.status).toBe(201);
    expect(await ok.json()).toEqual({ name: 'prod', version: 1 });
    const clash = await api('/api/v1/policies/prod2', 'admin', { method: 'PUT', body: POLICY.replace('name: prod', 'name: prod2') });
    expect(clash.status).toBe(409);
    const got = (await (await api('/api/v1/policies/prod', 'reader')).json()) as any;
    expect(got).toMatchObject({ name: 'prod', version: 1, createdBy: 'admin', document: { spec: { mode: 'enforce' } } });
  });

  it('a pushed image that fails is refused at the gate until an operator releases it with a reason', async () => {
    const img = await pushDebianImage(client, reg.host, 'prod/web', 'v1', [['libc6', '2.36-9'], ['telnetd', '0.17-44']]);
    const verdict = await waitFor('a verdict', async () => {
      const r = await api(`/api/v1/verdicts/${img.manifestDigest}`, 'reader');
      return r.status === 200 ? ((await r.json()) as any).items[0] : undefined;
    });
    expect(verdict).toMatchObject({ verdict: 'fail', quarantine: 'quarantined', gated: true, policyName: 'prod', summary: 'denied package: telnetd 0.17-44' });

    const pulled = await fetch(`${gateBase}/v2/prod/web/manifests/v1`, { headers: { accept: img.manifestMediaType } });
    expect(pulled.status).toBe(403);
    expect(await pulled.json()).toEqual({ errors: [{ code: 'DENIED', message: 'quarantined by policy prod: denied package: telnetd 0.17-44' }] });

    const path = `/api/v1/quarantine/${img.manifestDigest}/release`;
    expect((await api(path, 'reader', { method: 'POST', body: JSON.stringify({ reason: 'x' }) })).status).toBe(403);
    const noReason = await api(path, 'operator', { method: 'POST', body: JSON.stringify({}) });
    expect(noReason.status).toBe(400);
    expect(((await noReason.json()) as any).detail).toMatch(/needs a reason/);
    expect((await api(path, 'operator', { method: 'POST', body: 'not json' })).status).toBe(400);
    const rel = await api(path, 'operator', { method: 'POST', body: JSON.stringify({ reason: 'telnetd disabled in entrypoint; SEC-42' }) });
    expect(rel.status).toBe(200);
    expect((await api(path, 'operator', { method: 'POST', body: JSON.stringify({ reason: 'again' }) })).status).toBe(404);
    expect((await fetch(`${gateBase}/v2/prod/web/manifests/v1`, { headers: { accept: img.manifestMediaType } })).status).toBe(200);
    const current = (await (await api(`/api/v1/images/${img.manifestDigest}/verdict`, 'reader')).json()) as any;
    expect(current).toMatchObject({ digest: img.manifestDigest, verdict: 'fail', items: [{ repository: 'prod/web', quarantine: 'released', releasedBy: 'operator' }] });
    expect((await api('/api/v1/images/sha256:nope/verdict', 'reader')).status).toBe(400);

    const audit = ((await (await api('/api/v1/audit?limit=10', 'reader')).json()) as any).items;
    expect(audit.slice(0, 3).map((a: any) => `${a.action}:${a.actor}`)).toEqual(['release:operator', 'quarantine:customs', 'policy.apply:admin']);
    expect(audit[0].reason).toBe('telnetd disabled in entrypoint; SEC-42');
  }, 90_000);

  it('the CLI sees the same policies, and a policy change re-evaluates stored images without a push', async () => {
    const list = await customs(['policy', 'list', '--format', 'json']);
    expect(list.code).toBe(0);
    expect(JSON.parse(list.stdout).map((p: any) => `${p.name}@${p.version}`)).toEqual(['prod@1']);
    const img = await pushDebianImage(client, reg.host, 'prod/api', 'v1', [['libc6', '2.36-9'], ['curl', '7.88.1-10']]);
    await waitFor('a passing verdict', async () => {
      const r = await api(`/api/v1/verdicts/${img.manifestDigest}`, 'reader');
      return r.status === 200 ? ((await r.json()) as any).items[0] : undefined;
    });
    const draft = join(dir, 'draft.yaml');
    writeFileSync(draft, POLICY.replace('["telnetd"]', '["telnetd", "curl"]'));
    const t = await customs(['policy', 'test', '-f', draft]);
    expect(t.code).toBe(0);
    expect(t.stdout).toMatch(new RegExp(`prod/api@${img.manifestDigest}\\s+pass\\s+fail`));
    const applied = await customs(['policy', 'apply', '-f', draft]);
    expect(applied.stdout).toBe('policy prod applied as version 2 (enforce)\n');
    const v = await waitFor('re-evaluation', async () => {
      const r = ((await (await api(`/api/v1/verdicts/${img.manifestDigest}`, 'reader')).json()) as any).items[0];
      return r.verdict === 'fail' ? r : undefined;
    });
    expect(v).toMatchObject({ policyVersion: 2, quarantine: 'quarantined', summary: 'denied package: curl 7.88.1-10' });
    const bad = await customs(['policy', 'apply', '-f', join(dir, 'missing.yaml')]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/cannot read .*missing\.yaml: ENOENT/);
    expect((await customs(['quarantine', 'release', img.manifestDigest])).stderr).toMatch(/needs a reason/);
    const q = await customs(['quarantine', 'list']);
    expect(q.stdout).toMatch(new RegExp(`prod/api@${img.manifestDigest}\\s+prod@2\\s+yes`));
  }, 90_000);
});
