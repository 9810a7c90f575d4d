// The same digest in another repository: verdicts are kept per repository, but the gate answers per
// digest too — a digest quarantined in one repository is refused from every other repository of the
// registry, and a digest pulled where Customs has no verdict (a repository it never heard of) is
// scanned on that first pull (gate.scanOnPull), waited for (gate.waitForScanMs) and judged.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MT } from '../src/image/media-types.ts';
import { RegistryClient } from '../src/registry/client.ts';
import { startService, type RunningService } from '../src/server/service.ts';
import { pushDebianImage } from './helpers/push.ts';
import { startRegistry, testConfig, type TestRegistry } from './helpers/registry.ts';
import { waitFor } from './helpers/util.ts';

const POLICY = `apiVersion: customs.dev/v1
kind: Policy
metadata: { name: everywhere }
spec:
  missingScan: pass
  rules:
    - { type: deny-packages, packages: ["telnetd"] }
  actions:
    fail: [{ type: gate }]
`;

let reg: TestRegistry;
let svc: RunningService;
let dir: string;
let base: string;
let gate: string;
const client = new RegistryClient(testConfig());

beforeAll(async () => {
  reg = await startRegistry();
  dir = mkdtempSync(join(tmpdir(), 'customs-gate-digest-'));
  svc = await startService(testConfig({
    dataDir: dir, database: { url: `file:${join(dir, 'customs.db')}` }, server: { host: '127.0.0.1', port: 0 },
    workers: { concurrency: 2, pollMs: 50, leaseMs: 5000, backoffMs: 50, maxBackoffMs: 200, vulndbRefresh: false },
    gate: { enabled: true, port: 0, upstream: `http://${reg.host}`, waitForScanMs: 15_000 },
  }));
  base = `http://127.0.0.1:${svc.port}`;
  gate = `http://127.0.0.1:${svc.gatePort}`;
  expect((await fetch(`${base}/api/v1/policies/everywhere`, { method: 'PUT', body: POLICY })).status).toBe(201);
}, 60_000);

afterAll(async () => {
  await svc?.stop();
  await reg?.stop();
  await client.close();
  rmSync(dir, { recursive: true, force: true });
});

const pull = (repo: string, ref: string) => fetch(`${gate}/v2/${repo}/manifests/${ref}`, { headers: { accept: MT.ociManifest } })
  .then(async (r) => ({ status: r.status, body: await r.text() }));

describe('the gate answers per digest', () => {
  it('a digest quarantined in one repository is refused from another repository Customs never heard of', async () => {
    const bad = await pushDebianImage(client, reg.host, 'team/one', 'v1', [['telnetd', '0.17-44']]);
    await fetch(`${base}/api/v1/scans`, { method: 'POST', body: JSON.stringify({ image: `${reg.host}/team/one@${bad.manifestDigest}` }) });
    await waitFor('the quarantine', async () => (await pull('team/one', bad.manifestDigest)).status === 403 ? true : undefined);
    // the very same image pushed to another repository, with no webhook: Customs has no verdict there
    const copy = await pushDebianImage(client, reg.host, 'other/two', 'v9', [['telnetd', '0.17-44']]);
    expect(copy.manifestDigest).toBe(bad.manifestDigest);
    for (const ref of [copy.manifestDigest, 'v9']) {
      const r = await pull('other/two', ref);
      expect(r.status).toBe(403);
      expect(JSON.parse(r.body).errors[0].message).toBe('quarantined in team/one (the same digest) by policy everywhere: denied package: telnetd 0.17-44');
    }
  }, 60_000);

  it('a digest pulled where it has no verdict is scanned on that pull and judged before the answer', async () => {
    const clean = await pushDebianImage(client, reg.host, 'new/clean', 'v1', [['libc6', '2.36-9']]);
    const dirty = await pushDebianImage(client, reg.host, 'new/dirty', 'v1', [['telnetd', '0.17-44'], ['libc6', '2.36-9']]);
    // missingScan: pass would let both through unjudged; scanOnPull judges them first
    expect((await pull('new/clean', 'v1')).status).toBe(200);
    const refused = await pull('new/dirty', 'v1');
    expect(refused.status).toBe(403);
    expect(JSON.parse(refused.body).errors[0].message).toBe('quarantined by policy everywhere: denied package: telnetd 0.17-44');
    const jobs = ((await (await fetch(`${base}/api/v1/jobs`)).json()) as any).items;
    expect(jobs.filter((j: any) => j.origin === 'gate').map((j: any) => `${j.repository}@${j.digest}`).sort())
      .toEqual([`new/clean@${clean.manifestDigest}`, `new/dirty@${dirty.manifestDigest}`].sort());
    // pulled again: judged already, no second scan
    expect((await pull('new/dirty', dirty.manifestDigest)).status).toBe(403);
    expect(((await (await fetch(`${base}/api/v1/jobs`)).json()) as any).items.filter((j: any) => j.origin === 'gate')).toHaveLength(2);
  }, 60_000);
});
