// Severity from the sources that have it: real NVD API 2.0, CVE JSON 5, GitHub advisory and
// distribution records (test/fixtures/severity, origins in its README), imported as sources of their
// own and joined to real Go stdlib advisories by CVE id and alias; distribution words before vectors.
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { matchInventory } from '../src/vulndb/match.ts';
import { cve5Record, docKind, nvdCve } from '../src/vulndb/severity-records.ts';
import { cvssBaseScore } from '../src/vulndb/severity.ts';
import type { ImageInventory, OsInfo, PackageRecord } from '../src/types.ts';
import type { Finding } from '../src/vulndb/types.ts';
import { freshStore } from './vulndb-helpers.ts';

const SEV = fileURLToPath(new URL('./fixtures/severity/', import.meta.url));
const dir = (d: string) => join(SEV, d);
const read = (d: string, f: string) => JSON.parse(readFileSync(join(SEV, d, f), 'utf8'));

const inventory = (packages: PackageRecord[], os?: OsInfo): ImageInventory => ({
  source: 'test', rootDigest: 'sha256:' + 'a'.repeat(64), manifestDigest: 'sha256:' + 'a'.repeat(64),
  platform: { os: 'linux', architecture: 'amd64' }, configDigest: 'sha256:' + 'b'.repeat(64), config: {}, layers: [],
  packages, warnings: [], ...(os ? { os } : {}),
});
const stdlib: PackageRecord = { type: 'golang', name: 'stdlib', version: 'v1.19.8', foundIn: '/usr/local/bin/app' };
const byId = (fs: Finding[], id: string) => fs.find((f) => f.id === id)!;
// in the NVD fixtures: 13 records carry NVD's Primary score, 46 a secondary one (CISA-ADP's)
const NVD_P = 13, NVD_S = 46;
// 28 GitHub advisories rate their own id and their CVE alias (28)
const GHSA = 28 + 28;

describe('severity records', () => {
  it('NVD: Primary (nvd@nist.gov) and secondary (CISA-ADP) scores, recomputed from the vector; none when NVD has none', () => {
    const both = nvdCve(read('nvd', 'CVE-2023-24540.json'));
    expect('records' in both && both.records.map((r) => [r.kind, r.severity.rating, r.severity.score, r.severity.provider])).toEqual([
      ['nvd', 'critical', 9.8, 'nvd@nist.gov'], ['nvd-secondary', 'critical', 9.8, 'CISA-ADP'],
    ]);
    const adp = nvdCve(read('nvd', 'CVE-2024-24784.json'));
    expect('records' in adp && adp.records).toEqual([{ id: 'CVE-2024-24784', kind: 'nvd-secondary', modified: '2024-08-05T21:35:04.457',
      severity: { score: 7.5, rating: 'high', vector: 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:H/A:N', type: 'CVSS_V3', source: 'nvd-secondary', provider: 'CISA-ADP', record: 'CVE-2024-24784' } }]);
    expect(nvdCve(read('nvd', 'CVE-2023-29403.json'))).toEqual({ records: [], withdrawn: false });
    expect(nvdCve({ id: 'CVE-1', metrics: {} })).toEqual({ error: 'nvd: missing or invalid id' });
    expect(docKind(read('nvd', 'CVE-2023-24540.json'))).toBe('nvd-cve');
    expect(docKind({ format: 'NVD_CVE', version: '2.0', vulnerabilities: [] })).toBe('nvd-response');
    expect(docKind(read('cve5', 'CVE-2024-7339.json'))).toBe('cve5');
    expect(docKind(read('ghsa', 'GHSA-27h2-hvpr-p74q.json'))).toBe('osv');
  });

  it('CVE 5: the CNA container, then an ADP with CVSS; a REJECTED record is withdrawn; the library scores v2, v3.0, v3.1 and v4.0 as the CNA did', () => {
    const vuldb = read('cve5', 'CVE-2024-7339.json');
    // every metric of this record, scored by ae-cvss-calculator, equals the score the CNA published
    for (const m of vuldb.containers.cna.metrics) {
      const [, data] = Object.entries(m)[0] as [string, { vectorString: string; baseScore: number }];
      expect(cvssBaseScore(data.vectorString)?.score, data.vectorString).toBe(data.baseScore);
    }
    const cna = cve5Record(vuldb);
    // CVSS v3.1 is preferred over the v4.0 metric the record lists first
    expect('records' in cna && cna.records.map((r) => [r.kind, r.severity.type, r.severity.score, r.severity.provider])).toEqual([['cve5-cna', 'CVSS_V3', 5.3, 'VulDB']]);
    const adp = cve5Record(read('cve5', 'CVE-2024-24790.json'));
    expect('records' in adp && adp.records.map((r) => [r.kind, r.severity.rating, r.severity.score, r.severity.provider])).toEqual([['cve5-adp', 'critical', 9.8, 'CISA-ADP']]);
    const gh = cve5Record(read('cve5', 'CVE-2024-45296.json'));
    expect('records' in gh && gh.records.map((r) => [r.kind, r.severity.score, r.severity.provider])).toEqual([['cve5-cna', 7.5, 'GitHub_M']]); // the ADP has SSVC only
    expect(cve5Record(read('cve5', 'CVE-2022-23529.json'))).toEqual({ records: [], withdrawn: true });
  });

  it('imports each kind as its own source with counts per kind; an NVD API 2.0 response and gzip too', async () => {
    const { store, db, dataDir } = await freshStore();
    // the API returns pages of {format, version, vulnerabilities: [{cve}]}: the real records, paged
    const cves = readdirSync(dir('nvd')).filter((f) => f.endsWith('.json')).map((f) => ({ cve: read('nvd', f) }));
    const page = join(dataDir, 'nvdcve-page.json.gz');
    writeFileSync(page, gzipSync(JSON.stringify({ resultsPerPage: cves.length, startIndex: 0, totalResults: cves.length, format: 'NVD_CVE', version: '2.0', timestamp: '2026-11-01T00:00:00.000', vulnerabilities: cves })));
    const r = await store.importFrom([page, dir('cve5'), dir('ghsa')]);
    const per = Object.fromEntries(r.perSource.map((s) => [s.name.split('/').at(-1), [s.advisories, s.severityKinds]]));
    expect(per).toEqual({
      'nvdcve-page.json.gz': [0, { nvd: NVD_P, 'nvd-secondary': NVD_S }],
      cve5: [0, { 'cve5-cna': 2, 'cve5-adp': 1 }],
      ghsa: [28, { ghsa: GHSA }],
    });
    expect(r.withdrawn).toBe(1); // the REJECTED CVE record
    const st = await store.status();
    expect(Object.fromEntries(st.sourceDetails!.map((s) => [s.name.split('/').at(-1), s.severities]))).toEqual({ 'nvdcve-page.json.gz': NVD_P + NVD_S, cve5: 3, ghsa: GHSA });
    expect(st.severities).toBe(NVD_P + NVD_S + 3 + GHSA);
    db.close();
  });
});

describe('rating findings by precedence', () => {
  it('Go stdlib findings: NVD Primary, then GHSA by alias, then NVD secondary, then CVE 5; unknown only where no source rates', async () => {
    const { store, db } = await freshStore();
    await store.importFrom([dir('go-stdlib')]);
    const before = await matchInventory(store, inventory([stdlib]));
    expect(before).toHaveLength(80);
    expect(before.every((f) => f.severity.rating === 'unknown' && f.severity.source === 'none' && !f.ratings)).toBe(true);
    const v0 = (await store.status()).version;

    await store.importFrom([dir('nvd'), dir('ghsa'), dir('cve5')]);
    const after = await matchInventory(store, inventory([stdlib]));
    expect((await store.status()).version).not.toBe(v0);
    const ratingOf = (id: string) => { const f = byId(after, id); return [f.severity.source, f.severity.rating, f.severity.score, f.severity.provider]; };
    expect(ratingOf('CVE-2023-39325')).toEqual(['nvd', 'high', 7.5, 'nvd@nist.gov']);
    expect(byId(after, 'CVE-2023-39325').ratings!.map((r) => [r.source, r.record])).toEqual([['nvd', 'CVE-2023-39325'], ['ghsa', 'GHSA-4374-p667-p6c8']]);
    expect(ratingOf('CVE-2024-24784')).toEqual(['nvd-secondary', 'high', 7.5, 'CISA-ADP']);
    expect(ratingOf('CVE-2025-22870')).toEqual(['ghsa', 'medium', 4.4, 'GitHub']); // NVD's record has no metrics
    expect(ratingOf('CVE-2023-45288')).toEqual(['ghsa', 'medium', 5.3, 'GitHub']); // no NVD record loaded
    expect(ratingOf('CVE-2024-24790')).toEqual(['cve5-adp', 'critical', 9.8, 'CISA-ADP']); // NVD has none, the CVE record's ADP has
    // every finding still unknown names a CVE that no loaded source scores
    const unknown = after.filter((f) => f.severity.rating === 'unknown');
    const nvdFiles = new Set(readdirSync(dir('nvd')));
    for (const f of unknown) {
      if (!nvdFiles.has(`${f.id}.json`)) continue; // not collected (see shared/data/nvd/README.md)
      expect(Object.keys(read('nvd', `${f.id}.json`).metrics).filter((k) => k.startsWith('cvss')), f.id).toEqual([]);
    }
    // 17 NVD records without a score and 11 CVEs whose records were not collected, less the 3 GHSA / CVE 5 rate
    expect(unknown.length).toBe(17 + 11 - 3);
    expect(after.filter((f) => f.severity.rating === 'high' || f.severity.rating === 'critical').length).toBeGreaterThan(20);

    // removing NVD: the GHSA rating takes over, the version moves
    const v1 = (await store.status()).version;
    await store.removeSource(dir('nvd'));
    expect((await store.status()).version).not.toBe(v1);
    expect(byId(await matchInventory(store, inventory([stdlib])), 'CVE-2023-39325').severity).toMatchObject({ source: 'ghsa', record: 'GHSA-4374-p667-p6c8', rating: 'high' });
    db.close();
  });

  it('distributions: AlmaLinux\'s summary impact and Ubuntu\'s priority come before any vector', async () => {
    const { store, db } = await freshStore();
    await store.importFrom([dir('vendor')]);
    const rpm = (name: string, version: string, release: string, epoch?: number): PackageRecord => ({
      type: 'rpm', name, version, release, ...(epoch ? { epoch } : {}), arch: 'x86_64', sourceName: name, sourceVersion: `${version}-${release}`, foundIn: '/var/lib/rpm/rpmdb.sqlite',
    });
    const alma = await matchInventory(store, inventory([rpm('mod_http2', '2.0.26', '1.el9'), rpm('grafana', '9.0.9', '1.el9'), rpm('openssl', '3.2.2', '5.el9', 1)],
      { id: 'almalinux', versionId: '9.4', foundIn: '/etc/os-release' }));
    // each ALSA's `related` CVE is the finding's id, the ALSA an alias: the vendor's rating stays
    expect(alma.map((f) => [f.id, f.aliases, f.severity.rating, f.severity.source, f.severity.provider, f.severity.type, f.severity.label])).toEqual([
      ['CVE-2023-3128', ['ALSA-2023:4030'], 'critical', 'vendor', 'AlmaLinux', 'summary', 'Critical'],
      ['CVE-2024-36387', ['ALSA-2024:8680'], 'low', 'vendor', 'AlmaLinux', 'summary', 'Low'],
      ['CVE-2024-12797', ['ALSA-2025:1330'], 'high', 'vendor', 'AlmaLinux', 'summary', 'Important'],
    ]);
    const ubuntu = await matchInventory(store, inventory([{ type: 'deb', name: 'libjetty9-java', version: '9.4.45-1', sourceName: 'jetty9', sourceVersion: '9.4.45-1', foundIn: '/var/lib/dpkg/status' }],
      { id: 'ubuntu', versionId: '22.04', foundIn: '/etc/os-release' }));
    expect(ubuntu).toHaveLength(1);
    // the record's own CVSS 3.1 vector says 7.5 (high); Ubuntu rates it medium, and Ubuntu's word is used
    expect(ubuntu[0]!.severity).toMatchObject({ rating: 'medium', source: 'vendor', provider: 'Ubuntu', type: 'severity.Ubuntu', label: 'medium' });
    expect(ubuntu[0]!.ratings!.map((r) => [r.rating, r.score, r.source])).toEqual([['medium', undefined, 'vendor'], ['high', 7.5, 'vendor']]);
    db.close();
  });
});
