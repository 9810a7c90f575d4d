// End to end, like the lab image: a real Go binary (Debian's go1.19.8 stdlib) and the lab app's npm
// packages pushed to a real docker-registry; `customs db import` of the real Go stdlib advisories,
// NVD records, GitHub advisories and CVE 5 records (test/fixtures/severity), each its own source;
// `customs scan` in every format; per-source re-import and removal; a database from before
// per-source imports migrated.
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createClient } from '@libsql/client';
import { drizzle } from 'drizzle-orm/libsql';
import { migrate } from 'drizzle-orm/libsql/migrator';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config/load.ts';
import { openDatabase } from '../src/db/client.ts';
import { RegistryClient } from '../src/registry/client.ts';
import { matchPackage } from '../src/vulndb/match.ts';
import { VulnStore } from '../src/vulndb/store.ts';
import { customsCli } from './helpers/cli.ts';
import { buildFixtures } from './helpers/fixtures-build.ts';
import { pushImage } from './helpers/push.ts';
import { startRegistry, testConfig, type TestRegistry } from './helpers/registry.ts';
import { gzip, makeTar } from './helpers/tar.ts';

const SEV = fileURLToPath(new URL('./fixtures/severity/', import.meta.url));
const GO_OSV = fileURLToPath(new URL('./fixtures/osv/go/', import.meta.url));
const work = mkdtempSync(join(tmpdir(), 'customs-sev-e2e-'));
const customs = customsCli(work);
const json = (r: { code: number; stdout: string; stderr: string }): any => {
  try { return JSON.parse(r.stdout); } catch { throw new Error(`exit ${r.code}, no JSON on stdout; stderr: ${r.stderr}`); }
};

// the lab app's npm tree (express 4.17.1 and the dependencies its advisories name, lodash 4.17.15,
// minimist 1.2.0, node-fetch 2.6.0, jsonwebtoken 8.5.1): the manifests the npm analyzer reads
const NPM = {
  express: '4.17.1', lodash: '4.17.15', minimist: '1.2.0', 'node-fetch': '2.6.0', jsonwebtoken: '8.5.1', qs: '6.7.0', 'body-parser': '1.19.0',
  cookie: '0.4.0', send: '0.17.1', 'serve-static': '1.14.1', 'path-to-regexp': '0.1.7',
};

let reg: TestRegistry;
let ref: string;

beforeAll(async () => {
  const goDir = await buildFixtures('test/fixtures/go/build.sh', 'go');
  expect(readFileSync(join(goDir, 'hello.version-m'), 'utf8')).toMatch(/: go1\.19\.8\b/);
  reg = await startRegistry({ auth: 'none' });
  const client = new RegistryClient(testConfig());
  const layer = gzip(await makeTar([
    { path: 'usr/local/bin/app', content: readFileSync(join(goDir, 'hello')), mode: 0o755 },
    { path: 'app/package.json', content: JSON.stringify({ name: 'lab-vuln-app', version: '1.0.0', dependencies: { express: '4.17.1' } }) },
    ...Object.entries(NPM).map(([name, version]) => ({ path: `app/node_modules/${name}/package.json`, content: JSON.stringify({ name, version, license: 'MIT' }) })),
  ]));
  await pushImage(client, reg.host, 'lab/app', 'vuln', { layers: [{ data: layer }], config: { architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [] } } });
  await client.close();
  ref = `${reg.host}/lab/app:vuln`;
  const imp = await customs(['db', 'import', join(SEV, 'go-stdlib'), join(SEV, 'ghsa'), join(SEV, 'nvd'), join(SEV, 'cve5')]);
  expect(imp.stderr).toBe('');
  expect(imp.code).toBe(0);
  expect(imp.stdout).toMatch(/^imported 108 advisories \(Go 83, npm 25\) and \d+ severity records from 4 sources/);
  expect(imp.stdout).toMatch(/severity\/nvd: 0 advisories \(none\), 59 severity records \(nvd 13, nvd-secondary 46\)/);
}, 300_000);
afterAll(async () => { await reg?.stop(); rmSync(work, { recursive: true, force: true }); });

describe('severity from the sources that have it (lab-style image)', () => {
  it('npm findings from GitHub advisories; no Go finding is unknown whose CVE NVD rates', async () => {
    const r = await customs(['scan', ref, '--format', 'json']);
    expect(r.code).toBe(0);
    const vulns = json(r).images[0].vulnerabilities as any[];
    const npm = vulns.filter((v) => v.package.type === 'npm');
    expect(new Set(npm.map((v) => v.package.name))).toEqual(new Set(['lodash', 'qs', 'jsonwebtoken', 'express', 'minimist', 'node-fetch', 'path-to-regexp', 'body-parser', 'cookie', 'send', 'serve-static']));
    // GitHub's own rating of its advisory, with who gave it and the vector
    const minimist = npm.find((v) => v.aliases.includes('GHSA-xvch-5gv4-984h'));
    expect(minimist.severity).toMatchObject({ rating: 'critical', source: 'advisory', provider: 'GitHub', record: 'GHSA-xvch-5gv4-984h', vector: expect.stringMatching(/^CVSS:3\.1\//) });
    // a GHSA with an empty severity[] keeps GitHub's word
    expect(npm.find((v) => v.aliases.includes('GHSA-pxg6-pf52-xh8x') || v.id === 'GHSA-pxg6-pf52-xh8x').severity).toMatchObject({ rating: 'low', label: 'LOW' });

    const go = vulns.filter((v) => v.package.name === 'stdlib');
    expect(go.length).toBe(80);
    const nvdRated = new Set(readdirSync(join(SEV, 'nvd')).filter((f) => {
      const m = JSON.parse(readFileSync(join(SEV, 'nvd', f), 'utf8')).metrics ?? {};
      return Object.keys(m).some((k) => k.startsWith('cvss'));
    }).map((f) => f.replace(/\.json$/, '')));
    const wronglyUnknown = go.filter((v) => v.severity.rating === 'unknown' && [v.id, ...v.aliases].some((id: string) => nvdRated.has(id)));
    expect(wronglyUnknown.map((v) => v.id)).toEqual([]);
    expect(go.find((v) => v.id === 'CVE-2023-39325').severity).toMatchObject({ rating: 'high', score: 7.5, source: 'nvd', provider: 'nvd@nist.gov' });
    expect(go.filter((v) => v.severity.rating !== 'unknown').length).toBe(80 - 25);
  });

  it('--severity high,critical shows the Go findings, --fail-on high exits 1, the table names the source', async () => {
    const high = json(await customs(['scan', ref, '--format', 'json', '--severity', 'high,critical'])).images[0].vulnerabilities as any[];
    expect(high.filter((v) => v.package.name === 'stdlib').length).toBeGreaterThan(20);
    expect((await customs(['scan', ref, '--fail-on', 'high'])).code).toBe(1);
    const t = await customs(['scan', ref]);
    expect(t.stdout).toMatch(/stdlib\s+v1\.19\.8\s+CVE-2023-39325\s+high 7\.5\s+NVD\s+fixed-available/);
    expect(t.stdout).toMatch(/stdlib\s+v1\.19\.8\s+CVE-2024-24790\s+critical 9\.8\s+CVE record \(ADP\): CISA-ADP/);
    expect(t.stdout).toMatch(/stdlib\s+v1\.19\.8\s+CVE-2023-29403\s+unknown\s+none/);
  });

  it('SARIF: unknown is a note with no made-up security-severity; CycloneDX ratings name their source', async () => {
    const s = json(await customs(['scan', ref, '--format', 'sarif'])).runs[0];
    const rule = (id: string) => s.tool.driver.rules.find((r: any) => r.id === id);
    const result = (id: string) => s.results.find((r: any) => r.ruleId === id);
    expect(result('CVE-2023-29403').level).toBe('note');
    expect(rule('CVE-2023-29403').properties['security-severity']).toBeUndefined();
    expect(result('CVE-2023-39325')).toMatchObject({ level: 'error', properties: { severity: 'high', score: 7.5, severitySource: 'NVD' } });
    expect(rule('CVE-2023-39325').properties['security-severity']).toBe('7.5');

    const bom = json(await customs(['scan', ref, '--format', 'cyclonedx']));
    const v = bom.vulnerabilities.find((x: any) => x.id === 'CVE-2023-39325');
    expect(v.ratings).toEqual([
      { severity: 'high', method: 'CVSSv31', score: 7.5, vector: 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H', source: { name: 'NVD', url: 'https://nvd.nist.gov/vuln/detail/CVE-2023-39325' } },
      { severity: 'high', method: 'CVSSv31', score: 7.5, vector: 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H', source: { name: 'GitHub Advisory Database', url: 'https://github.com/advisories/GHSA-4374-p667-p6c8' } },
    ]);
    expect(bom.vulnerabilities.find((x: any) => x.id === 'CVE-2023-29403').ratings).toEqual([{ severity: 'unknown' }]);
    const pred = json(await customs(['scan', ref, '--format', 'cosign-vuln']));
    expect(pred.scanner.result.platforms[0].findings.find((f: any) => f.id === 'CVE-2024-24790').severity).toMatchObject({ source: 'cve5-adp', provider: 'CISA-ADP', score: 9.8 });
  });

  it('per source: re-importing one replaces it alone, status lists each, remove drops one; bad input is refused clearly', async () => {
    const before = json(await customs(['db', 'status', '--format', 'json']));
    expect(before.sourceDetails.map((s: any) => [s.name.split('/').at(-1), s.advisories, s.severities])).toEqual([
      ['cve5', 0, 3], ['ghsa', 28, 56], ['go-stdlib', 80, 0], ['nvd', 0, 59],
    ]);
    for (const s of before.sourceDetails) expect(s.ageSeconds).toBeGreaterThanOrEqual(0);
    // a second Go feed beside the stdlib one: added, nothing else touched
    const again = await customs(['db', 'import', GO_OSV]);
    expect(again.stdout).toMatch(/other sources unchanged/);
    const mid = json(await customs(['db', 'status', '--format', 'json']));
    expect(mid.sourceDetails).toHaveLength(5);
    const id = (st: any, tail: string) => st.sourceDetails.find((s: any) => s.name.endsWith(tail)).importId;
    expect(id(mid, 'nvd')).toBe(id(before, 'nvd'));
    expect(mid.version).not.toBe(before.version);
    const table = await customs(['db', 'status']);
    expect(table.stdout).toMatch(/SOURCE\s+ADVISORIES\s+SEVERITIES\s+ECOSYSTEMS\s+AGE/);
    expect(table.stdout).toMatch(/severity\/ghsa\s+28\s+56\s+npm 25, Go 3\s+\d+s/);

    const rm = await customs(['db', 'remove', join(SEV, 'nvd')]);
    expect(rm.code).toBe(0);
    expect(rm.stdout).toMatch(/removed .*severity\/nvd: 0 advisories, 59 severity records/);
    expect(json(await customs(['scan', ref, '--format', 'json'])).images[0].vulnerabilities.find((v: any) => v.id === 'CVE-2023-39325').severity)
      .toMatchObject({ source: 'ghsa', record: 'GHSA-4374-p667-p6c8' });
    const missing = await customs(['db', 'remove', 'no-such-source']);
    expect([missing.code, missing.stderr]).toEqual([4, expect.stringMatching(/no source "no-such-source" is loaded/)]);

    const bad = join(work, 'bad');
    mkdirSync(bad);
    writeFileSync(join(bad, 'deep.json'), '['.repeat(100) + ']'.repeat(100));
    const deep = await customs(['db', 'import', join(bad, 'deep.json')]);
    expect([deep.code, deep.stderr]).toEqual([10, expect.stringMatching(/nested deeper than 64 levels/)]);
    writeFileSync(join(bad, 'cut.json.gz'), Buffer.from([0x1f, 0x8b, 8, 0, 0, 0]));
    const cut = await customs(['db', 'import', join(bad, 'cut.json.gz')]);
    expect([cut.code, cut.stderr]).toEqual([9, expect.stringMatching(/corrupt gzip/)]);
    // nothing was lost by the refused imports
    expect(json(await customs(['db', 'status', '--format', 'json'])).sourceDetails).toHaveLength(4);
  });
});

describe('migrating a database from before per-source imports', () => {
  it('its one import becomes the source "legacy" that still matches, then a db import adds beside it', async () => {
    const dataDir = mkdtempSync(join(work, 'migrate-'));
    const url = `file:${join(dataDir, 'customs.db')}`;
    // the schema as it was (migrations up to 0009), with an import written the way the old importer did
    const old = join(dataDir, 'migrations');
    mkdirSync(join(old, 'meta'), { recursive: true });
    const MIG = fileURLToPath(new URL('../migrations/', import.meta.url));
    const journal = JSON.parse(readFileSync(join(MIG, 'meta/_journal.json'), 'utf8'));
    journal.entries = journal.entries.filter((e: any) => e.idx < 10);
    writeFileSync(join(old, 'meta/_journal.json'), JSON.stringify(journal));
    for (const e of journal.entries) writeFileSync(join(old, `${e.tag}.sql`), readFileSync(join(MIG, `${e.tag}.sql`)));
    const client = createClient({ url });
    await migrate(drizzle(client), { migrationsFolder: old });
    const gin = JSON.parse(readFileSync(join(GO_OSV, 'GO-2020-0001.json'), 'utf8'));
    await client.batch([
      { sql: `INSERT INTO vuln_import (id, sources, status, started_at, finished_at, advisories, ecosystems, max_modified) VALUES (7, ?, 'complete', 1, 2, 1, '{"Go":1}', ?)`, args: [JSON.stringify(['/old/go']), gin.modified] },
      `INSERT INTO vuln_current (id, import_id, switched_at) VALUES (1, 7, 2)`,
      { sql: `INSERT INTO vuln_advisory (import_id, id, aliases, upstream, summary, severity, modified, affected) VALUES (7, ?, ?, '[]', ?, ?, ?, ?)`,
        args: [gin.id, JSON.stringify(gin.aliases), gin.summary, JSON.stringify({ rating: 'high', score: 7.5, vector: 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:H/A:N', type: 'CVSS_V3', source: 'osv-cvss-v3' }), gin.modified, JSON.stringify(gin.affected)] },
      { sql: `INSERT INTO vuln_affected (import_id, ecosystem, name, advisory_id) VALUES (7, 'Go', 'github.com/gin-gonic/gin', ?)`, args: [gin.id] },
    ], 'write');
    client.close();

    const db = await openDatabase(loadConfig({ env: { CUSTOMS_DATA: dataDir } }));
    const store = new VulnStore(db);
    const st = await store.status();
    expect(st.sources).toEqual(['legacy']);
    expect(st).toMatchObject({ importId: 7, advisories: 1, ecosystems: { Go: 1 }, version: `osv-7-${gin.modified}` });
    const m = await matchPackage(store, 'Go', 'github.com/gin-gonic/gin', '1.5.0');
    expect(m.map((x) => [x.id, x.severity.rating, x.severity.score, x.severity.source])).toEqual([['CVE-2020-36567', 'high', 7.5, 'advisory']]);
    await store.importFrom([join(SEV, 'ghsa')]);
    expect((await store.status()).sources).toEqual([join(SEV, 'ghsa'), 'legacy']);
    db.close();
  });
});
