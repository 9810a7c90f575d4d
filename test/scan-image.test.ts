// scanImage: the one entry point of CLI and service, against a real registry and a real libsql file.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../src/db/client.ts';
import { RegistryClient } from '../src/registry/client.ts';
import { scanImage, EMPTY_DB_WARNING } from '../src/scan/scan-image.ts';
import { VulnStore } from '../src/vulndb/store.ts';
import { pushImage } from './helpers/push.ts';
import { startRegistry, testConfig, type TestRegistry } from './helpers/registry.ts';
import { gzip, makeTar } from './helpers/tar.ts';

let reg: TestRegistry;
const work = mkdtempSync(join(tmpdir(), 'customs-scanimage-'));

// a real Debian status stanza set (this machine's) plus one package pinned to a known old version
const dpkgStatus = readFileSync('/var/lib/dpkg/status', 'utf8');
const osRelease = 'PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\nNAME="Debian GNU/Linux"\nVERSION_ID="12"\nVERSION_CODENAME=bookworm\nID=debian\n';
const oldSsl = 'Package: libssl3\nStatus: install ok installed\nVersion: 3.0.8-1\nArchitecture: amd64\nSource: openssl\nMaintainer: Debian OpenSSL Team\n';

beforeAll(async () => {
  reg = await startRegistry({ auth: 'none' });
  const client = new RegistryClient(testConfig());
  const status = dpkgStatus.split(/\n\n+/).filter((s) => !/^Package: libssl3$/m.test(s)).join('\n\n').trimEnd() + '\n\n' + oldSsl;
  await pushImage(client, reg.host, 'scan/app', 'v1', {
    layers: [{ data: gzip(await makeTar([{ path: 'etc/os-release', content: osRelease }, { path: 'var/lib/dpkg/status', content: status }])) }],
    config: { architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [] } },
  });
  await client.close();
}, 120_000);
afterAll(async () => { await reg?.stop(); });

describe('scanImage', () => {
  it('warns on an empty database, then reports findings and the database version after an import', async () => {
    const cfg = testConfig({ dataDir: work, database: { url: `file:${join(work, 'customs.db')}` } });
    const empty = await scanImage(`${reg.host}/scan/app:v1`, { cfg });
    expect(empty.dbVersion).toBeNull();
    expect(empty.warnings).toEqual([EMPTY_DB_WARNING]);
    expect(empty.platforms).toHaveLength(1);
    expect(empty.platforms[0]!.inventory.packages.some((p) => p.name === 'libssl3' && p.version === '3.0.8-1')).toBe(true);
    expect(empty.platforms[0]!.findings).toEqual([]);

    const database = await openDatabase(cfg);
    const store = new VulnStore(database);
    const file = join(work, 'dsa.json');
    writeFileSync(file, JSON.stringify({
      id: 'DSA-5417-1', modified: '2023-06-01T00:00:00Z', upstream: ['CVE-2023-2650'], summary: 'openssl - security update',
      affected: [{ package: { ecosystem: 'Debian:12', name: 'openssl' }, ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: '0' }, { fixed: '3.0.9-1' }] }] }],
    }));
    const imp = await store.importFrom([file]);
    // the service hands in its open database; it must stay open afterwards
    const report = await scanImage(`${reg.host}/scan/app:v1`, { cfg, database, platform: 'linux/amd64' });
    expect(report.dbVersion).toMatchObject({ importId: imp.importId, sources: [file], advisories: 1, version: `osv-${imp.importId}-2023-06-01T00:00:00Z` });
    expect(report.warnings).toEqual([]);
    expect(report.ref).toBe(`${reg.host}/scan/app:v1`);
    expect(report.rootDigest).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(Date.parse(report.finishedAt)).toBeGreaterThanOrEqual(Date.parse(report.startedAt));
    const f = report.platforms[0]!.findings;
    expect(f.map((x) => [x.id, x.package.name, x.fixedVersions])).toEqual([['CVE-2023-2650', 'libssl3', ['3.0.9-1']]]);
    // the report is plain JSON data
    expect(JSON.parse(JSON.stringify(report))).toEqual(report);
    expect((await database.client.execute('SELECT 1 AS one')).rows[0]!.one).toBe(1);
    database.close();
  }, 60_000);
});
