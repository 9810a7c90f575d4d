// Honest coverage on a real image: Debian packages, a pip-installed aiohttp and an npm package, with
// only PyPI advisories loaded. Every output says which packages could be judged at all, and the
// default policy warns that the distribution's packages were not — "no findings" is not "clean".
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase, type Database } from '../src/db/client.ts';
import { DEFAULT_POLICY } from '../src/policy/default.ts';
import { parsePolicy } from '../src/policy/parse.ts';
import { evaluateReport } from '../src/policy/verdicts.ts';
import { toCycloneDxWithVulns } from '../src/report/cyclonedx-vulns.ts';
import { scanJson } from '../src/report/json.ts';
import { toSarif } from '../src/report/sarif.ts';
import { findingsTable } from '../src/report/table.ts';
import { RegistryClient } from '../src/registry/client.ts';
import { rematchReport, scanImage } from '../src/scan/scan-image.ts';
import type { ScanReport } from '../src/scan/types.ts';
import { coverageOf } from '../src/vulndb/coverage.ts';
import { VulnStore } from '../src/vulndb/store.ts';
import { dpkgStatus, pushImage } from './helpers/push.ts';
import { startRegistry, testConfig, type TestRegistry } from './helpers/registry.ts';
import { gzip, makeTar } from './helpers/tar.ts';
import { GO_DIR, PYPI_DIR } from './vulndb-helpers.ts';

let reg: TestRegistry;
let database: Database;
let report: ScanReport;
const work = mkdtempSync(join(tmpdir(), 'customs-coverage-'));
const cfg = testConfig({ dataDir: work, database: { url: `file:${join(work, 'customs.db')}` } });

beforeAll(async () => {
  reg = await startRegistry({ auth: 'none' });
  const client = new RegistryClient(cfg);
  const layer = gzip(await makeTar([
    { path: 'etc/os-release', content: 'ID=debian\nVERSION_ID="12"\n' },
    { path: 'var/lib/dpkg/status', content: dpkgStatus([['libc6', '2.36-9'], ['openssl', '3.0.11-1~deb12u1'], ['bash', '5.2.15-2+b2']]) },
    { path: 'usr/local/lib/python3.11/site-packages/aiohttp-3.7.3.dist-info/METADATA', content: 'Metadata-Version: 2.1\nName: aiohttp\nVersion: 3.7.3\n' },
    { path: 'app/node_modules/left-pad/package.json', content: '{"name": "left-pad", "version": "1.3.0"}' },
  ]));
  await pushImage(client, reg.host, 'cov/app', 'v1', { layers: [{ data: layer }], config: { architecture: 'amd64', os: 'linux', config: { User: 'app' }, rootfs: { type: 'layers', diff_ids: [] } } });
  await client.close();
  database = await openDatabase(cfg);
  await new VulnStore(database).importFrom([join(PYPI_DIR, 'aiohttp')]);
  report = await scanImage(`${reg.host}/cov/app:v1`, { cfg, database });
}, 120_000);

afterAll(async () => {
  database?.close();
  await reg?.stop();
  rmSync(work, { recursive: true, force: true });
});

describe('honest coverage', () => {
  it('says per ecosystem how many packages could be judged, and why not', () => {
    expect(report.platforms[0]!.coverage).toEqual([
      { ecosystem: 'Debian:12', packageType: 'deb', packages: 3, judged: 0, reasons: ['no Debian advisories loaded'] },
      { ecosystem: 'npm', packageType: 'npm', packages: 1, judged: 0, reasons: ['no npm advisories loaded'] },
      { ecosystem: 'PyPI', packageType: 'pypi', packages: 1, judged: 1, reasons: [] },
    ]);
    expect(report.platforms[0]!.findings.length).toBeGreaterThan(0); // aiohttp was judged, and is vulnerable
  });

  it('every output carries it: table, JSON, SARIF run properties, CycloneDX metadata', () => {
    const table = findingsTable(report);
    expect(table).toContain('coverage: NOT ALL JUDGED\n  deb Debian:12: 3 packages, none judged (no Debian advisories loaded)\n  npm npm: 1 package, none judged (no npm advisories loaded)\n  pypi PyPI: 1 package, all judged\n');
    expect(scanJson(report).images[0]!.coverage).toEqual(report.platforms[0]!.coverage);
    expect((toSarif(report) as any).runs[0].properties.coverage).toEqual([{ platform: 'linux/amd64', ecosystems: report.platforms[0]!.coverage }]);
    const props = (toCycloneDxWithVulns(report) as any).metadata.properties as { name: string; value: string }[];
    expect(props.filter((p) => p.name === 'customs:coverage:linux/amd64').map((p) => p.value)).toEqual([
      'deb Debian:12: 3 packages, none judged (no Debian advisories loaded)', 'npm npm: 1 package, none judged (no npm advisories loaded)', 'pypi PyPI: 1 package, all judged',
    ]);
  });

  it('the default policy warns that the distribution was not judged; a policy can require all', () => {
    const image = { registry: reg.host, repository: 'cov/app', digest: report.rootDigest };
    const byDefault = evaluateReport(report, image, { policy: DEFAULT_POLICY, version: 0 });
    expect(byDefault.platforms[0]!.reasons.find((r) => r.rule === 'advisory-coverage')).toEqual({
      rule: 'advisory-coverage', outcome: 'warn', subjects: ['Debian:12'],
      message: '3 packages not judged: deb Debian:12: 3 packages, none judged (no Debian advisories loaded)',
    });
    const strict = parsePolicy('apiVersion: customs.dev/v1\nkind: Policy\nmetadata: { name: s }\nspec:\n  rules:\n    - { type: advisory-coverage, require: all }\n');
    const v = evaluateReport(report, image, { policy: strict, version: 1 });
    expect(v.verdict).toBe('fail');
    expect(v.platforms[0]!.reasons[0]!.subjects).toEqual(['Debian:12', 'npm']);
  });

  it('a re-match after loading more data recomputes it; unknown distributions say so', async () => {
    const store = new VulnStore(database);
    await store.importFrom([GO_DIR]); // a second source beside PyPI's
    expect((await rematchReport(report, store)).platforms[0]!.coverage!.find((c) => c.ecosystem === 'PyPI')).toMatchObject({ judged: 1 });
    await store.removeSource(join(PYPI_DIR, 'aiohttp')); // PyPI's data gone: its packages are no longer judged
    const again = await rematchReport(report, store);
    expect(again.platforms[0]!.coverage!.find((c) => c.ecosystem === 'PyPI')).toMatchObject({ judged: 0, reasons: ['no PyPI advisories loaded'] });
    expect(coverageOf({ packages: [{ type: 'deb', name: 'x', version: '1', foundIn: '/var/lib/dpkg/status' }] }, { Debian: 5 }))
      .toEqual([{ ecosystem: 'deb (unknown)', packageType: 'deb', packages: 1, judged: 0, reasons: ['the distribution is unknown (no os-release)'] }]);
    expect(coverageOf({ os: { id: 'plan9', versionId: '4', foundIn: '/etc/os-release' }, packages: [{ type: 'deb', name: 'x', version: '1', foundIn: '/var/lib/dpkg/status' }] }, {})[0]!.reasons)
      .toEqual(['no OSV ecosystem is known for plan9 4']);
  });
});
