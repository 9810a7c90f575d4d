// Customs as Harbor's scanner: the pluggable scanner API v1.2, end to end. `customs serve` runs as a
// child process; the image sits in a registry with token auth, and the only credential Customs has
// for it is the one the scan request carries, passed the way Harbor passes a robot account. Every
// response is checked against the v1.2 OpenAPI document (status, content type, schema) and against
// the rules Harbor's client applies (src/pkg/scan/rest/v1/client.go, src/pkg/scan/vuln/severity.go).
// Harbor itself cannot run here (it needs its own set of containers).
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RegistryClient } from '../src/registry/client.ts';
import { CUSTOMS_BIN } from './helpers/cli.ts';
import { pushImage } from './helpers/push.ts';
import { freePort, startRegistry, testConfig, type TestRegistry } from './helpers/registry.ts';
import { gzip, makeTar } from './helpers/tar.ts';
import { waitFor } from './helpers/util.ts';

const require = createRequire(import.meta.url);
const Ajv = require('ajv').default as typeof import('ajv').default;
const addFormats = require('ajv-formats').default as typeof import('ajv-formats').default;

const SPEC = parseYaml(readFileSync(join(import.meta.dirname, 'fixtures/harbor/scanner-adapter-openapi-v1.2.yaml'), 'utf8'));
const OPERATOR = 'harbor-operator-token-0123456789';
const READER = 'harbor-reader-token-0123456789ab';
const ROBOT = { user: 'robot$customs-scan', password: `robot-pw-${Date.now()}-secret` };
const work = mkdtempSync(join(tmpdir(), 'customs-harbor-'));

// OpenAPI 3.0 schema objects → JSON Schema for ajv: `nullable` becomes a null alternative; the rest
// (example, description) are annotations ajv ignores without strict mode.
function toJsonSchema(s: any): any {
  if (Array.isArray(s)) return s.map(toJsonSchema);
  if (!s || typeof s !== 'object') return s;
  const out: any = {};
  for (const [k, v] of Object.entries(s)) {
    if (k === 'example' || k === 'nullable') continue;
    out[k] = k === '$ref' ? String(v).replace('#/components/schemas/', '#/definitions/') : toJsonSchema(v);
  }
  return s.nullable ? { anyOf: [out, { type: 'null' }] } : out;
}
const ajv = new Ajv({ strict: false, allErrors: true });
addFormats(ajv);
ajv.addFormat('float', true);
ajv.addFormat('url', true);
const DEFS = toJsonSchema(SPEC.components.schemas);

/** The response is one the spec declares for this operation: status, content type and body schema. */
async function conforming(res: Response, path: string, method: 'get' | 'post'): Promise<any> {
  const op = SPEC.paths[path][method];
  const declared = op.responses[String(res.status)];
  expect(declared, `${method} ${path}: status ${res.status} is not in the spec`).toBeDefined();
  const text = await res.text();
  if (!declared.content) return text;
  const type = res.headers.get('content-type') ?? '';
  const media = declared.content[type];
  expect(media, `${method} ${path} ${res.status}: content type "${type}" is not one the spec lists (${Object.keys(declared.content).join(' | ')})`).toBeDefined();
  const body = JSON.parse(text);
  const validate = ajv.compile({ ...toJsonSchema(media.schema), definitions: DEFS });
  expect(validate(body), `${method} ${path} ${res.status}: ${ajv.errorsText(validate.errors)}`).toBe(true);
  return body;
}

const HARBOR_SEVERITIES = ['Unknown', 'Negligible', 'Low', 'Medium', 'High', 'Critical'];

const OS_RELEASE = 'PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\nNAME="Debian GNU/Linux"\nVERSION_ID="12"\nID=debian\n';
const STATUS = 'Package: libssl3\nStatus: install ok installed\nVersion: 3.0.8-1\nArchitecture: amd64\nSource: openssl\n\n'
  + 'Package: zlib1g\nStatus: install ok installed\nVersion: 1:1.2.13.dfsg-1\nArchitecture: amd64\nSource: zlib\n';
const ADVISORIES = [
  { id: 'DSA-5417-1', modified: '2023-06-01T00:00:00Z', upstream: ['CVE-2023-2650'], summary: 'openssl - security update',
    severity: [{ type: 'CVSS_V3', score: 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H' }],
    affected: [{ package: { ecosystem: 'Debian:12', name: 'openssl' }, ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: '0' }, { fixed: '3.0.9-1' }] }] }] },
  { id: 'DEBIAN-CVE-2024-0002', modified: '2024-02-01T00:00:00Z', upstream: ['CVE-2024-0002'], summary: 'zlib: crash',
    affected: [{ package: { ecosystem: 'Debian:12', name: 'zlib' }, ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: '0' }] }], ecosystem_specific: { urgency: 'low' } }] },
  { id: 'GHSA-p6mc-m468-83gw', modified: '2024-01-01T00:00:00Z', aliases: ['CVE-2020-8203'], summary: 'Prototype Pollution in lodash', database_specific: { severity: 'HIGH' },
    affected: [{ package: { ecosystem: 'npm', name: 'lodash' }, ranges: [{ type: 'SEMVER', events: [{ introduced: '0' }, { fixed: '4.17.19' }] }] }] },
];

let reg: TestRegistry;
let other: TestRegistry;
let child: ChildProcess;
let logs = '';
let base: string;
let digest: string;

async function call(path: string, init: RequestInit & { token?: string | null } = {}): Promise<Response> {
  const { token = OPERATOR, ...rest } = init;
  const headers = new Headers(rest.headers);
  if (token) headers.set('authorization', `Bearer ${token}`);
  return fetch(`${base}/harbor/api/v1${path}`, { ...rest, headers, redirect: 'manual' });
}

function scanRequest(over: { url?: string; authorization?: string | undefined; artifact?: object; caps?: unknown } = {}): string {
  return JSON.stringify({
    registry: { url: over.url ?? `http://${reg.host}`, ...(over.authorization !== undefined ? { authorization: over.authorization } : {}) },
    artifact: over.artifact ?? { repository: 'library/app', digest, tag: 'v1', mime_type: 'application/vnd.oci.image.manifest.v1+json' },
    ...(over.caps !== undefined ? { enabled_capabilities: over.caps } : {}),
  });
}
const basic = `Basic ${Buffer.from(`${ROBOT.user}:${ROBOT.password}`).toString('base64')}`;
const SCAN_HEADERS = { 'content-type': 'application/vnd.scanner.adapter.scan.request+json; version=1.0', accept: 'application/vnd.scanner.adapter.scan.response+json; version=1.0' };

beforeAll(async () => {
  reg = await startRegistry({ auth: 'token', users: { [ROBOT.user]: { password: ROBOT.password }, pusher: { password: 'push-pw' } } });
  other = await startRegistry({ auth: 'none' });
  const client = new RegistryClient(testConfig({ registries: { [reg.host]: { username: 'pusher', password: 'push-pw' } } }));
  const img = await pushImage(client, reg.host, 'library/app', 'v1', {
    layers: [
      { data: gzip(await makeTar([{ path: 'etc/os-release', content: OS_RELEASE }, { path: 'var/lib/dpkg/status', content: STATUS }])) },
      { data: gzip(await makeTar([{ path: 'srv/node_modules/lodash/package.json', content: JSON.stringify({ name: 'lodash', version: '4.17.15' }) }])) },
    ],
    config: { architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [] } },
  });
  await client.close();
  digest = img.manifestDigest;
  writeFileSync(join(work, 'advisories.json'), JSON.stringify(ADVISORIES));
  const port = await freePort();
  const cfgFile = join(work, 'customs.yaml');
  // no registry credentials configured: Harbor's scan request is the only way in
  writeFileSync(cfgFile, [
    `dataDir: ${join(work, 'data')}`, 'server: { host: 127.0.0.1, port: ' + port + ' }',
    'api:', '  tokens:', `    - { name: harbor, token: ${OPERATOR}, role: operator }`, `    - { name: viewer, token: ${READER}, role: reader }`,
    'harbor:', `  registries: ["${reg.host}"]`, '  refreshAfterSeconds: 2',
    'workers: { concurrency: 2, pollMs: 50, leaseMs: 5000, backoffMs: 50, maxBackoffMs: 200, maxAttempts: 2 }',
    'http: { retries: 1, backoffMs: 10, maxBackoffMs: 50 }',
  ].join('\n') + '\n');
  const env = { ...process.env, CUSTOMS_CONFIG: cfgFile, CUSTOMS_DATA: join(work, 'data'), CUSTOMS_LOG_LEVEL: 'debug' };
  const imp = await new Promise<number>((res) => spawn(CUSTOMS_BIN, ['db', 'import', join(work, 'advisories.json')], { env, stdio: 'ignore' }).once('exit', (c) => res(c ?? 1)));
  expect(imp).toBe(0);
  child = spawn(CUSTOMS_BIN, ['serve'], { env, stdio: ['ignore', 'ignore', 'pipe'] });
  child.stderr!.on('data', (c) => { logs += c; });
  base = `http://127.0.0.1:${port}`;
  await waitFor('the service', async () => (await fetch(`${base}/healthz`).catch(() => undefined))?.ok || undefined, 30_000);
}, 120_000);

afterAll(async () => {
  child?.kill('SIGTERM');
  await new Promise((r) => child?.once('exit', r) ?? r(undefined));
  await reg?.stop();
  await other?.stop();
});

describe('metadata', () => {
  it('names the scanner, both capabilities and the database age, in the spec shape', async () => {
    const res = await call('/metadata', { headers: { accept: 'application/vnd.scanner.adapter.metadata+json; version=1.0' } });
    const body = await conforming(res, '/metadata', 'get');
    expect(body.scanner.name).toBe('Customs');
    expect(body.capabilities.map((c: any) => c.type)).toEqual(['vulnerability', 'sbom']);
    expect(body.capabilities[0].produces_mime_types).toContain('application/vnd.scanner.adapter.vuln.report.harbor+json; version=1.0');
    expect(body.capabilities[1].additional_attributes.sbom_media_types).toEqual(['application/spdx+json', 'application/vnd.cyclonedx+json']);
    expect(Date.parse(body.properties['harbor.scanner-adapter/vulnerability-database-updated-at'])).toBeGreaterThan(0);
  });

  it('refuses callers without the configured token, with an error body Harbor parses', async () => {
    for (const token of [null, 'wrong-token-wrong-token']) {
      const res = await call('/metadata', { token });
      expect(res.status).toBe(401);
      expect(JSON.parse(await res.text())).toMatchObject({ error: { message: expect.any(String) } });
    }
    // Harbor's "Basic" authorization mode: the token as the password
    const viaBasic = await fetch(`${base}/harbor/api/v1/metadata`, { headers: { authorization: `Basic ${Buffer.from(`harbor:${READER}`).toString('base64')}` } });
    expect(viaBasic.status).toBe(200);
  });
});

describe('scan and report', () => {
  let id: string;

  it('accepts a scan request with the robot credential, answers at once, and the report arrives', async () => {
    const t0 = Date.now();
    const res = await call('/scan', { method: 'POST', headers: SCAN_HEADERS, body: scanRequest({ authorization: basic }) });
    expect(Date.now() - t0).toBeLessThan(5000); // Harbor's client gives up after 5 s
    expect(res.status).toBe(202);
    id = (await conforming(res, '/scan', 'post')).id;
    const accept = 'application/vnd.scanner.adapter.vuln.report.harbor+json; version=1.0';
    let sawRefresh = false;
    const report = await waitFor('the report', async () => {
      const r = await call(`/scan/${id}/report`, { headers: { accept } });
      if (r.status === 302) {
        // Harbor reads Refresh-After with strconv.ParseInt(v, 10, 8)
        expect(r.headers.get('refresh-after')).toMatch(/^(?:[0-9]|[1-9][0-9]|1[01][0-9]|12[0-7])$/);
        sawRefresh = true;
        await r.arrayBuffer();
        return undefined;
      }
      expect(r.status).toBe(200);
      return conforming(r, '/scan/{scan_request_id}/report', 'get');
    }, 60_000);
    expect(report.artifact).toMatchObject({ repository: 'library/app', digest });
    expect(report.vulnerabilities.map((v: any) => `${v.package} ${v.id}`).sort()).toEqual(['libssl3 CVE-2023-2650', 'lodash CVE-2020-8203', 'zlib1g CVE-2024-0002']);
    for (const v of report.vulnerabilities) expect(HARBOR_SEVERITIES).toContain(v.severity);
    expect(report.severity).toBe('High');
    const ssl = report.vulnerabilities.find((v: any) => v.package === 'libssl3');
    expect(ssl).toMatchObject({ version: '3.0.8-1', fix_version: '3.0.9-1', severity: 'High', preferred_cvss: { score_v3: 7.5, vector_v3: 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H' } });
    expect(ssl.links).toContain('https://nvd.nist.gov/vuln/detail/CVE-2023-2650');
    expect(ssl.layer.digest).toMatch(/^sha256:/);
    expect(report.vulnerabilities.find((v: any) => v.package === 'zlib1g')).toMatchObject({ severity: 'Low', fix_version: '' });
    void sawRefresh;
  }, 90_000);

  it('the report says what Customs API says about the same scan', async () => {
    const api = await (await fetch(`${base}/api/v1/images/${digest}/findings`, { headers: { authorization: `Bearer ${READER}` } })).json() as any;
    const harbor = JSON.parse(await (await call(`/scan/${id}/report`, { headers: { accept: 'application/vnd.security.vulnerability.report; version=1.1' } })).text());
    const fromApi = api.platforms.flatMap((p: any) => p.findings.map((f: any) => `${f.package.name} ${f.id} ${f.fixedVersion ?? ''}`)).sort();
    expect(harbor.vulnerabilities.map((v: any) => `${v.package} ${v.id} ${v.fix_version}`).sort()).toEqual(fromApi);
  });

  it('serves both SBOM formats in the SBOM report', async () => {
    for (const media of ['application/spdx+json', 'application/vnd.cyclonedx+json']) {
      const res = await call(`/scan/${id}/report?sbom_media_type=${encodeURIComponent(media)}`, { headers: { accept: 'application/vnd.security.sbom.report+json; version=1.0' } });
      expect(res.status).toBe(200);
      const body = await conforming(res, '/scan/{scan_request_id}/report', 'get');
      expect(body.media_type).toBe(media);
      if (media === 'application/spdx+json') expect(body.sbom.spdxVersion).toBe('SPDX-2.3');
      else expect(body.sbom.bomFormat).toBe('CycloneDX');
    }
    const missing = await call(`/scan/${id}/report`, { headers: { accept: 'application/vnd.security.sbom.report+json; version=1.0' } });
    expect(missing.status).toBe(400);
    await conforming(missing, '/scan/{scan_request_id}/report', 'get');
  });

  it('a second request for the same digest is the same id and no second scan', async () => {
    const again = await call('/scan', { method: 'POST', headers: SCAN_HEADERS, body: scanRequest({ authorization: basic }) });
    expect(again.status).toBe(202);
    expect((await conforming(again, '/scan', 'post')).id).toBe(id);
    const jobs = await (await fetch(`${base}/api/v1/jobs?limit=50`, { headers: { authorization: `Bearer ${READER}` } })).json() as any;
    expect(jobs.items.filter((j: any) => j.digest === digest && j.scanId).map((j: any) => j.scanId).length).toBe(1);
  });

  it('never writes the robot credential to a log or the database', async () => {
    const b64 = Buffer.from(`${ROBOT.user}:${ROBOT.password}`).toString('base64');
    expect(logs).toMatch(/harbor scan request accepted/);
    expect(logs).not.toContain(ROBOT.password);
    expect(logs).not.toContain(b64);
    for (const f of readdirSync(join(work, 'data')).filter((n) => n.startsWith('customs.db'))) {
      const bytes = readFileSync(join(work, 'data', f));
      expect(bytes.includes(Buffer.from(ROBOT.password)), f).toBe(false);
      expect(bytes.includes(Buffer.from(b64)), f).toBe(false);
    }
  });
});

describe('errors', () => {
  const other1 = () => ({ repository: 'library/app', digest: `sha256:${createHash('sha256').update(String(Math.random())).digest('hex')}` });

  it('400 for what is not a ScanRequest, 422 for bad fields, 501 for what Customs cannot do', async () => {
    const cases: [string, number][] = [
      ['{"registry": ', 400],
      ['[1,2]', 400],
      [JSON.stringify({ artifact: other1() }), 422],
      [scanRequest({ artifact: { repository: 'library/app' } }), 422],
      [scanRequest({ artifact: { repository: 'Library/App', digest } }), 422],
      [scanRequest({ url: `http://${other.host}` }), 422], // not in harbor.registries
      [scanRequest({ url: 'ftp://x' }), 422],
      [scanRequest({ authorization: 'Digest abc' }), 422],
      [scanRequest({ artifact: { ...other1(), mime_type: 'application/vnd.cncf.helm.config.v1+json' } }), 501],
      [scanRequest({ caps: [{ type: 'malware' }] }), 501],
      [scanRequest({ caps: [{ type: 'vulnerability', produces_mime_types: ['application/vnd.scanner.adapter.vuln.report.raw'] }] }), 501],
    ];
    for (const [body, status] of cases) {
      const res = await call('/scan', { method: 'POST', headers: SCAN_HEADERS, body });
      expect(res.status, body).toBe(status);
      await conforming(res, '/scan', 'post');
    }
    const reader = await call('/scan', { method: 'POST', headers: SCAN_HEADERS, body: scanRequest(), token: READER });
    expect(reader.status).toBe(403);
  });

  it('404 for unknown ids, 501 for report types Customs does not produce', async () => {
    for (const bad of ['nope', 'eyJhIjoxfQ', 'x'.repeat(2000)]) {
      expect((await call(`/scan/${bad}/report`)).status).toBe(404);
    }
    const unknownImage = Buffer.from(JSON.stringify([reg.host, 'library/app', other1().digest])).toString('base64url');
    expect((await call(`/scan/${unknownImage}/report`)).status).toBe(404);
    const raw = await call('/scan/nope/report', { headers: { accept: 'application/vnd.scanner.adapter.vuln.report.raw' } });
    expect([404, 501]).toContain(raw.status);
  });

  it('a scan that cannot pull (a wrong robot password) ends in 500 with the reason', async () => {
    // a second image, so the first one's scan is not reused
    const client = new RegistryClient(testConfig({ registries: { [reg.host]: { username: 'pusher', password: 'push-pw' } } }));
    const img = await pushImage(client, reg.host, 'library/other', 'v1', {
      layers: [{ data: gzip(await makeTar([{ path: 'etc/os-release', content: OS_RELEASE }])) }],
      config: { architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [] } },
    });
    await client.close();
    const wrong = `Basic ${Buffer.from(`${ROBOT.user}:not-the-password`).toString('base64')}`;
    const res = await call('/scan', { method: 'POST', headers: SCAN_HEADERS, body: scanRequest({ authorization: wrong, artifact: { repository: 'library/other', digest: img.manifestDigest } }) });
    const { id } = await conforming(res, '/scan', 'post');
    const failed = await waitFor('the failure', async () => {
      const r = await call(`/scan/${id}/report`);
      if (r.status === 302) { await r.arrayBuffer(); return undefined; }
      return r;
    }, 60_000);
    expect(failed.status).toBe(500);
    const body = await conforming(failed, '/scan/{scan_request_id}/report', 'get');
    expect(body.error.message).toMatch(/scan failed: .*(auth|401|credentials)/i);
    // Harbor asks again with the right credential: scanned this time
    const retry = await call('/scan', { method: 'POST', headers: SCAN_HEADERS, body: scanRequest({ authorization: basic, artifact: { repository: 'library/other', digest: img.manifestDigest } }) });
    expect(retry.status).toBe(202);
    const ok = await waitFor('the retried report', async () => {
      const r = await call(`/scan/${id}/report`);
      if (r.status !== 200) { await r.arrayBuffer(); return undefined; }
      return r.json() as Promise<any>;
    }, 60_000);
    expect(ok.artifact.digest).toBe(img.manifestDigest);
  }, 150_000);
});
