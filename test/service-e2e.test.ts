// End to end: Debian's docker-registry notifies Customs of a push; the scan appears in the API with
// inventory and findings; duplicates and re-deliveries do not create duplicate work.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../src/db/client.ts';
import { RegistryClient } from '../src/registry/client.ts';
import { startService, type RunningService } from '../src/server/service.ts';
import { VulnStore } from '../src/vulndb/store.ts';
import { pushImage } from './helpers/push.ts';
import { startRegistry, testConfig, type TestRegistry } from './helpers/registry.ts';
import { gzip, makeTar } from './helpers/tar.ts';
import { waitFor } from './helpers/util.ts';
import { freshPgDatabase, writeSigningKey } from './helpers/postgres.ts';

const SECRET = 'distribution-secret-0123456789';
const OS_RELEASE = 'PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\nNAME="Debian GNU/Linux"\nVERSION_ID="12"\nVERSION_CODENAME=bookworm\nID=debian\n';
const STATUS = 'Package: myapp\nStatus: install ok installed\nVersion: 2.0-1\nArchitecture: amd64\nSource: myapp-src (2.0-1)\n\n'
  + 'Package: safe\nStatus: install ok installed\nVersion: 1.0-1\nArchitecture: amd64\n';
// A Debian OSV advisory (the format osv.dev publishes) affecting myapp-src before 2.0-2.
const ADVISORY = {
  schema_version: '1.6.0', id: 'DSA-9999-1', modified: '2026-01-01T00:00:00Z', published: '2026-01-01T00:00:00Z', aliases: ['CVE-2026-99999'],
  summary: 'myapp-src: remote code execution',
  affected: [{ package: { ecosystem: 'Debian:12', name: 'myapp-src' }, ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: '0' }, { fixed: '2.0-2' }] }] }],
  severity: [{ type: 'CVSS_V3', score: 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H' }],
};

// The whole flow on both databases: the embedded file and PostgreSQL.
describe.each(['sqlite', 'postgres'] as const)('on %s', (dialect) => {
let dir: string;
let reg: TestRegistry;
let svc: RunningService;
let base: string;
const client = new RegistryClient(testConfig());

async function getJson(path: string): Promise<{ status: number; body: any }> {
  const res = await fetch(base + path);
  return { status: res.status, body: await res.json() };
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'customs-e2e-'));
  const cfg = testConfig({
    dataDir: dir, database: { url: dialect === 'postgres' ? await freshPgDatabase() : `file:${join(dir, 'customs.db')}` }, server: { host: '127.0.0.1', port: 0 },
    webhooks: { sources: { distribution: { secret: SECRET } } },
    // replicas on PostgreSQL read one key file (Customs refuses to generate one per replica)
    ...(dialect === 'postgres' ? { signing: { keyFile: writeSigningKey(dir) } } : {}),
    workers: { concurrency: 2, pollMs: 50, leaseMs: 5000, backoffMs: 50, maxBackoffMs: 200, statusTags: true },
  });
  const db = await openDatabase(cfg);
  writeFileSync(join(dir, 'DSA-9999-1.json'), JSON.stringify(ADVISORY));
  await new VulnStore(db).importFrom([join(dir, 'DSA-9999-1.json')]);
  db.close();
  svc = await startService(cfg);
  base = `http://127.0.0.1:${svc.port}`;
  reg = await startRegistry({ notifications: { url: `${base}/webhooks/distribution`, headers: { Authorization: [`Bearer ${SECRET}`] } } });
}, 60_000);

afterAll(async () => {
  await reg?.stop();
  await svc?.stop();
  await client.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('service end to end', () => {
  let digest: string;

  it('a push notified by docker-registry is scanned: inventory and findings in the API', async () => {
    const img = await pushImage(client, reg.host, 'lab/app', 'v1', {
      layers: [{ data: gzip(await makeTar([{ path: 'etc/os-release', content: OS_RELEASE }, { path: 'var/lib/dpkg/status', content: STATUS }])) }],
      config: { architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [] } },
    });
    digest = img.manifestDigest;
    const image = await waitFor('the scan', async () => {
      const r = await getJson(`/api/v1/images/${digest}`);
      return r.status === 200 ? r.body : undefined;
    });
    expect(image.platforms).toHaveLength(1);
    expect(image.platforms[0]).toMatchObject({ manifestDigest: digest, packages: 2, findings: 1, os: { id: 'debian', versionId: '12' } });
    expect(image.repositories).toEqual([{ registry: reg.host, repository: 'lab/app', tags: ['v1'], deletedAt: null }]);
    expect(image.scan.summary).toMatchObject({ packages: 2, findings: 1, critical: 1 });

    const findings = await getJson(`/api/v1/images/${digest}/findings`);
    expect(findings.body.platforms[0].findings.map((f: any) => [f.id, f.package.name, f.fixedVersions])).toEqual([['CVE-2026-99999', 'myapp', ['2.0-2']]]);

    const cdx = await fetch(`${base}/api/v1/images/${digest}/sbom`);
    expect(cdx.headers.get('content-type')).toBe('application/vnd.cyclonedx+json');
    expect(((await cdx.json()) as any).components.map((c: any) => c.name).sort()).toEqual(['debian', 'myapp', 'safe']);
    const spdx = await fetch(`${base}/api/v1/images/${digest}/sbom`, { headers: { accept: 'application/spdx+json' } });
    expect(((await spdx.json()) as any).spdxVersion).toBe('SPDX-2.3');

    const jobs = await getJson('/api/v1/jobs?state=succeeded');
    expect(jobs.body.items.filter((j: any) => j.digest === digest)).toHaveLength(1);
    const scan = await getJson(`/api/v1/scans/${jobs.body.items[0].scanId}`);
    expect(scan.body).toMatchObject({ state: 'succeeded', digest, report: { rootDigest: digest } });

    // The status tag: an OCI artifact with the summary whose subject is the image; its own push
    // notification starts no scan.
    const tag = `sha256-${digest.slice(7)}.scan`;
    // (A tag can be listed a moment before its manifest link is readable: wait for the manifest.)
    const art = JSON.parse((await waitFor('the status tag', async () => client.getManifest(reg.host, 'lab/app', tag, 1 << 20).catch(() => undefined))).bytes.toString('utf8'));
    expect(await client.listTags(reg.host, 'lab/app')).toContain(tag);
    expect(art).toMatchObject({ artifactType: 'application/vnd.customs.scan.v1+json', subject: { digest }, config: { mediaType: 'application/vnd.oci.empty.v1+json' } });
    const summary = JSON.parse((await client.fetchBlob(reg.host, 'lab/app', art.layers[0], 1 << 20)).toString('utf8'));
    expect(summary).toMatchObject({ digest, packages: 2, findings: 1, critical: 1 });
    await sleep(500); // let the registry deliver the write-back's notification
    expect((await getJson('/api/v1/jobs')).body.items).toHaveLength(1);
  }, 30_000);

  it('layer blob events are ignored; re-tagging and re-delivery of the same digest add no job', async () => {
    // The same manifest under a second tag: the registry notifies again, same digest.
    const manifest = await client.getManifest(reg.host, 'lab/app', digest, 1 << 20);
    await client.putManifest(reg.host, 'lab/app', 'v1-again', manifest.bytes, 'application/vnd.oci.image.manifest.v1+json');
    const tags = await waitFor('the second tag', async () => {
      const r = await getJson(`/api/v1/tags?repository=lab/app`);
      return r.body.items.length === 2 ? r.body.items : undefined;
    });
    expect(tags.map((t: any) => [t.tag, t.digest])).toEqual([['v1', digest], ['v1-again', digest]]);
    // A re-delivery by hand of a captured 2.8 envelope.
    const res = await fetch(`${base}/webhooks/distribution`, {
      method: 'POST',
      headers: { 'content-type': 'application/vnd.docker.distribution.events.v1+json', authorization: `Bearer ${SECRET}` },
      body: JSON.stringify({ events: [
        { id: 'x1', action: 'push', target: { mediaType: 'application/vnd.oci.image.manifest.v1+json', digest, repository: 'lab/app', tag: 'v1' }, request: { host: reg.host } },
        { id: 'x2', action: 'push', target: { mediaType: 'application/octet-stream', digest, repository: 'lab/app' }, request: { host: reg.host } },
        { id: 'x3', action: 'pull', target: { mediaType: 'application/vnd.oci.image.manifest.v1+json', digest, repository: 'lab/app' }, request: { host: reg.host } },
      ] }),
    });
    expect(res.status).toBe(202);
    expect(((await res.json()) as any).events.map((e: any) => e.outcome)).toEqual(['duplicate', 'ignored', 'ignored']);
    const all = await getJson('/api/v1/jobs');
    expect(all.body.items.filter((j: any) => j.digest === digest)).toHaveLength(1);
  }, 30_000);

  it('POST /api/v1/scans by tag returns a scan id that resolves to the existing scan; force scans again', async () => {
    const r = await fetch(`${base}/api/v1/scans`, { method: 'POST', body: JSON.stringify({ image: `${reg.host}/lab/app:v1` }) });
    expect(r.status).toBe(202);
    const { scanId } = (await r.json()) as any;
    const done = await waitFor('the tag scan', async () => {
      const s = await getJson(`/api/v1/scans/${scanId}`);
      return s.status === 200 ? s.body : undefined;
    });
    expect(done.digest).toBe(digest);
    const jobsBefore = (await getJson('/api/v1/jobs?state=succeeded')).body.items.length;
    const forced = await (await fetch(`${base}/api/v1/scans`, { method: 'POST', body: JSON.stringify({ image: `${reg.host}/lab/app@${digest}`, force: true }) })).json() as any;
    const again = await waitFor('the forced scan', async () => {
      const s = await getJson(`/api/v1/scans/${forced.scanId}`);
      return s.status === 200 ? s.body : undefined;
    });
    expect(again.id).toBe(forced.jobId); // a new scan, not the old one
    expect(again.id).not.toBe(done.id);
    expect((await getJson('/api/v1/jobs?state=succeeded')).body.items.length).toBe(jobsBefore + 1);
  }, 30_000);

  it('a missing image fails fast (no retries) with its reason visible', async () => {
    const r = await (await fetch(`${base}/api/v1/scans`, { method: 'POST', body: JSON.stringify({ image: `${reg.host}/lab/nothing:here` }) })).json() as any;
    const job = await waitFor('the failure', async () => {
      const j = await getJson(`/api/v1/jobs/${r.jobId}`);
      return j.body.state === 'failed' ? j.body : undefined;
    });
    expect(job).toMatchObject({ attempts: 1, lastErrorKind: 'not-found' });
  }, 30_000);

  it('refuses bad webhooks with problem documents and exposes metrics, readiness and OpenAPI', async () => {
    const post = (body: string, headers: Record<string, string>) => fetch(`${base}/webhooks/distribution`, { method: 'POST', body, headers });
    const noAuth = await post('{"events":[]}', {});
    expect(noAuth.status).toBe(401);
    expect(noAuth.headers.get('content-type')).toBe('application/problem+json');
    expect((await post('{"events":[]}', { authorization: 'Bearer wrong-secret-wrong' })).status).toBe(401);
    expect((await post('{"events":', { authorization: `Bearer ${SECRET}` })).status).toBe(400);
    expect((await post('{"events":[{"action":"push","target":{"repository":"../../x","digest":"sha256:00"},"request":{"host":"a"}}]}', { authorization: `Bearer ${SECRET}` })).status).toBe(400);
    expect((await post('['.repeat(100) + ']'.repeat(100), { authorization: `Bearer ${SECRET}` })).status).toBe(400); // JSON depth cap
    expect((await post('x'.repeat(2 * 1024 * 1024), { authorization: `Bearer ${SECRET}` })).status).toBe(413);
    expect((await fetch(`${base}/webhooks/harbor`, { method: 'POST', body: '{}' })).status).toBe(404);
    expect((await getJson('/readyz')).status).toBe(200);
    expect((await getJson('/api/v1/openapi.json')).body.openapi).toBe('3.1.0');
    const metrics = await (await fetch(`${base}/metrics`)).text();
    expect(metrics).toMatch(/customs_webhooks_received_total\{source="distribution"\} [1-9]/);
    expect(metrics).toMatch(/customs_webhooks_refused_total\{source="distribution",reason="401"\} 2/);
    expect(metrics).toMatch(/customs_jobs\{state="succeeded"\} [1-9]/);
    expect(metrics).toMatch(/customs_scan_duration_seconds_count\{result="succeeded"\} [1-9]/);
    expect(metrics).toMatch(new RegExp(`customs_bytes_pulled_total\\{registry="${reg.host}"\\} [1-9]`));
    expect(metrics).toMatch(new RegExp(`customs_registry_errors_total\\{registry="${reg.host}",kind="not-found"\\} 1`));
  }, 30_000);
});
});
