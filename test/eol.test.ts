// End of life: OS releases and runtimes against the shipped endoflife.date-format data, and the
// refresh from a local HTTP server speaking the endoflife.date API with conditional GETs.
import { execFile } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import { promisify } from 'node:util';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eolFindings, findCycle } from '../src/eol/check.ts';
import { loadEolData } from '../src/eol/data.ts';
import { detectRuntimes } from '../src/eol/runtimes.ts';
import { updateEolData } from '../src/eol/update.ts';
import type { ImageInventory, OsInfo, PackageRecord } from '../src/types.ts';
import { caught } from './helpers/util.ts';

const data = loadEolData();

function inv(os: Partial<OsInfo> | undefined, packages: Partial<PackageRecord>[] = []): ImageInventory {
  return {
    source: 'x', rootDigest: '', manifestDigest: '', configDigest: '', platform: { os: 'linux', architecture: 'amd64' }, config: {}, layers: [],
    ...(os ? { os: { foundIn: '/etc/os-release', ...os } as OsInfo } : {}),
    packages: packages.map((p) => ({ type: 'deb', foundIn: '/var/lib/dpkg/status', version: '0', name: '', ...p }) as PackageRecord), warnings: [],
  };
}
const at = (d: string) => ({ now: new Date(d), warnDays: 90 });

describe('end-of-life checks', () => {
  it('judge OS releases: ended, extended support, approaching, supported', () => {
    expect(eolFindings(inv({ id: 'debian', versionId: '10' }), data, at('2025-01-15'))).toEqual([{
      product: 'debian', kind: 'os', cycle: '10', version: '10', foundIn: '/etc/os-release', eolDate: '2022-09-10',
      extendedSupportUntil: '2024-06-30', status: 'end-of-life', severity: 'high', nextSupported: { cycle: '12', eolDate: '2026-06-10' },
    }]);
    expect(eolFindings(inv({ id: 'debian', versionId: '11' }), data, at('2025-01-15'))[0]).toMatchObject({ status: 'extended-support', severity: 'low' });
    expect(eolFindings(inv({ id: 'ubuntu', versionId: '20.04' }), data, at('2025-03-15'))[0]).toMatchObject({ status: 'approaching', eolDate: '2025-05-31', nextSupported: { cycle: '22.04' } });
    expect(eolFindings(inv({ id: 'alpine', versionId: '3.19.1' }), data, at('2025-01-15'))).toEqual([]);
    expect(eolFindings(inv({ id: 'alpine', versionId: '3.16.9' }), data, at('2025-01-15'))[0]).toMatchObject({ cycle: '3.16', status: 'end-of-life', nextSupported: { cycle: '3.18' } });
    expect(eolFindings(inv({ id: 'amzn', versionId: '2' }), data, at('2026-07-01'))[0]).toMatchObject({ product: 'amazon-linux', cycle: '2', nextSupported: { cycle: '2023' } });
    expect(eolFindings(inv({ id: 'mariner', versionId: '2.0' }), data, at('2025-09-01'))[0]).toMatchObject({ product: 'azure-linux', nextSupported: { cycle: '3.0', eolDate: null } });
    // unknown OS, unknown release, no version: nothing to say
    expect(eolFindings(inv({ id: 'gentoo', versionId: '2.14' }), data, at('2025-01-15'))).toEqual([]);
    expect(eolFindings(inv({ id: 'debian', versionId: '99' }), data, at('2025-01-15'))).toEqual([]);
    expect(eolFindings(inv({ id: 'debian' }), data, at('2025-01-15'))).toEqual([]);
  });

  it('match cycles at dot boundaries, longest first', () => {
    const py = data.products.python!;
    expect(findCycle(py, '3.1')).toBeUndefined();
    expect(findCycle(py, '3.10.12')!.cycle).toBe('3.10');
    expect(findCycle(py, '3.1.5')).toBeUndefined();
  });

  it('find runtimes in OS packages and Go binaries', () => {
    const pkgs: Partial<PackageRecord>[] = [
      { type: 'deb', name: 'nodejs', version: '18.19.0+dfsg-6~deb12u1' },
      { type: 'deb', name: 'python3.9-minimal', version: '3.9.2-1' },
      { type: 'deb', name: 'libpython3.9-minimal', version: '3.9.2-1' },
      { type: 'apk', name: 'openjdk17-jre', version: '17.0.10_p7-r0' },
      { type: 'rpm', name: 'java-1.8.0-openjdk-headless', version: '1.8.0.402.b06' },
      { type: 'golang', name: 'stdlib', version: 'v1.21.3', foundIn: '/usr/local/bin/app' },
      { type: 'apk', name: 'python3', version: '3.11.9-r0' },
      { type: 'deb', name: 'golang-1.19-go', version: '1.19.8-2' },
      { type: 'npm', name: 'nodejs', version: '1.0.0' },
    ];
    expect(detectRuntimes(inv(undefined, pkgs).packages).map((r) => `${r.product} ${r.version}`)).toEqual([
      'nodejs 18.19.0', 'python 3.9', 'eclipse-temurin 17', 'eclipse-temurin 8', 'go 1.21.3', 'python 3.11.9', 'go 1.19',
    ]);
    const f = eolFindings(inv({ id: 'debian', versionId: '12' }, pkgs), data, at('2025-11-15'));
    expect(f.map((x) => [x.product, x.cycle, x.status, x.severity])).toEqual([
      ['nodejs', '18', 'end-of-life', 'medium'], ['python', '3.9', 'end-of-life', 'medium'],
      ['go', '1.21', 'end-of-life', 'medium'], ['go', '1.19', 'end-of-life', 'medium'],
    ]);
    expect(f[0]!.nextSupported).toEqual({ cycle: '20', eolDate: '2026-04-30' });
    expect(f[0]!.foundIn).toBe('deb nodejs 18.19.0+dfsg-6~deb12u1');
  });

  it('find runtimes official images install from tarballs, by their ENV', () => {
    const env = ['PATH=/usr/local/bin', 'NODE_VERSION=16.20.2', 'YARN_VERSION=1.22.19', 'PYTHON_VERSION=3.8.18', 'GOLANG_VERSION=1.22.1', 'JAVA_VERSION=jdk8u402-b06'];
    expect(detectRuntimes([], env).map((r) => `${r.product} ${r.version} ${r.foundIn}`)).toEqual([
      'nodejs 16.20.2 config:Env[1]', 'python 3.8.18 config:Env[3]', 'go 1.22.1 config:Env[4]', 'eclipse-temurin 8 config:Env[5]',
    ]);
    expect(detectRuntimes([], ['JAVA_VERSION=jdk-17.0.10+7'])[0]!.version).toBe('17');
    const i = inv({ id: 'debian', versionId: '12' });
    i.config = { env };
    expect(eolFindings(i, data, at('2025-03-01')).map((x) => `${x.product} ${x.cycle} ${x.status}`)).toEqual([
      'nodejs 16 end-of-life', 'python 3.8 end-of-life', 'go 1.22 end-of-life',
    ]);
  });
});

describe('customs eol update', () => {
  let server: Server;
  let base = '';
  const hits: { path: string; inm?: string }[] = [];
  const debian = [{ cycle: '14', releaseDate: '2027-06-01', eol: false }, { cycle: '12', releaseDate: '2023-06-10', eol: '2026-06-10' }];
  beforeAll(async () => {
    server = createServer((req, res) => {
      hits.push({ path: req.url!, ...(req.headers['if-none-match'] ? { inm: String(req.headers['if-none-match']) } : {}) });
      if (req.url === '/api/debian.json') {
        if (req.headers['if-none-match'] === '"v1"') { res.writeHead(304).end(); return; }
        res.writeHead(200, { 'content-type': 'application/json', etag: '"v1"' }).end(JSON.stringify(debian));
      } else if (req.url === '/api/alpine.json') {
        res.writeHead(200, { 'content-type': 'application/json' }).end('{"not": "a list"}');
      } else if (req.url === '/api/python.json') {
        res.writeHead(200, { 'content-type': 'application/json' }).end('['.repeat(100_000));
      } else res.writeHead(404).end();
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(server.address() as { port: number }).port}/api`;
  });
  afterAll(() => { server.close(); });

  it('downloads products, keeps validators, sends conditional GETs, refuses bad documents', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'customs-eol-')), 'eol.json');
    const r1 = await updateEolData(base, file, { products: ['debian', 'alpine', 'python', 'nope'] });
    expect(r1.updated).toEqual(['debian']);
    expect(r1.failed.map((f) => f.product)).toEqual(['alpine', 'python', 'nope']);
    expect(r1.failed[1]!.error).toMatch(/nested deeper/);
    const saved = loadEolData(file);
    expect(saved.products.debian!.map((c) => c.cycle)).toEqual(['14', '12']);
    expect(saved.products.alpine!.length).toBeGreaterThan(3); // failed products keep the previous data
    expect(JSON.parse(readFileSync(file, 'utf8')).validators.debian).toEqual({ etag: '"v1"' });
    const r2 = await updateEolData(base, file, { products: ['debian'] });
    expect(r2).toMatchObject({ updated: [], unchanged: ['debian'] });
    expect(hits.filter((h) => h.path === '/api/debian.json').map((h) => h.inm)).toEqual([undefined, '"v1"']);
    // debian 12 after its end: the refreshed data names the new release as the next one
    const f = eolFindings(inv({ id: 'debian', versionId: '12' }), saved, at('2028-07-01'));
    expect(f[0]).toMatchObject({ status: 'end-of-life', nextSupported: { cycle: '14', eolDate: null } });
  });

  it('runs as `customs eol update` into the data directory', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'customs-eol-cli-'));
    writeFileSync(join(dir, 'config.json'), JSON.stringify({ dataDir: dir, eol: { url: base } }));
    const run = await promisify(execFile)(join(import.meta.dirname, '../bin/customs'), ['eol', 'update', '--config', join(dir, 'config.json')]).catch((e) => e);
    // only debian is served: the other products fail, so the exit code is 1 and each failure is named
    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(/eol\.json: 1 updated, 0 unchanged, 13 failed/);
    expect(run.stdout).toContain('alpine: ');
    expect(loadEolData(join(dir, 'eol.json')).products.debian!.map((c) => c.cycle)).toEqual(['14', '12']);
  }, 60_000);

  it('fails clearly when nothing can be fetched', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'customs-eol-')), 'eol.json');
    const e = await caught(updateEolData('http://127.0.0.1:1/api', file, { products: ['debian'], timeoutMs: 2000 }));
    expect(e.kind).toBe('unreachable');
  });
});
