// What to fix first, on a real image: a base layer (Python's aiohttp 3.7.3 from pip, real PyPI
// advisories) under the image's CMD, and an application layer with a real Go binary built here
// (real Go advisories against its stdlib). The plan names one upgrade per package with the version
// that removes all its fixable findings, orders them by what they remove, and tells base-image
// findings from the application's by the build history.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase, type Database } from '../src/db/client.ts';
import { parsePolicy } from '../src/policy/parse.ts';
import { evaluateReport } from '../src/policy/verdicts.ts';
import { baseLayerCount, platformFixPlan } from '../src/report/fix-plan.ts';
import { scanJson } from '../src/report/json.ts';
import { findingsTable } from '../src/report/table.ts';
import { RegistryClient } from '../src/registry/client.ts';
import { scanImage } from '../src/scan/scan-image.ts';
import type { ScanReport } from '../src/scan/types.ts';
import { compareVersions } from '../src/ecosystems/index.ts';
import { VulnStore } from '../src/vulndb/store.ts';
import { buildFixtures } from './helpers/fixtures-build.ts';
import { pushImage } from './helpers/push.ts';
import { startRegistry, testConfig, type TestRegistry } from './helpers/registry.ts';
import { gzip, makeTar } from './helpers/tar.ts';
import { GO_DIR, PYPI_DIR } from './vulndb-helpers.ts';

let reg: TestRegistry;
let database: Database;
let report: ScanReport;
const work = mkdtempSync(join(tmpdir(), 'customs-fixplan-'));
const cfg = testConfig({ dataDir: work, database: { url: `file:${join(work, 'customs.db')}` } });

// the history docker writes for `FROM python-ish base` + `COPY app /usr/local/bin/app`
const HISTORY = [
  { created: '2024-01-01T00:00:00Z', created_by: '/bin/sh -c #(nop) ADD file:4b03b5f551e3fbdf47ec609712007327828f7530cc3455c43bbcdcaf449a75a9 in / ' },
  { created: '2024-01-01T00:00:01Z', created_by: '/bin/sh -c #(nop)  CMD ["bash"]', empty_layer: true },
  { created: '2024-02-01T00:00:00Z', created_by: 'COPY app /usr/local/bin/app # buildkit' },
  { created: '2024-02-01T00:00:01Z', created_by: 'ENTRYPOINT ["/usr/local/bin/app"]', empty_layer: true },
];

beforeAll(async () => {
  const goDir = await buildFixtures('test/fixtures/go/build.sh', 'go');
  reg = await startRegistry({ auth: 'none' });
  const client = new RegistryClient(cfg);
  const base = gzip(await makeTar([
    { path: 'etc/os-release', content: 'ID=debian\nVERSION_ID="12"\n' },
    { path: 'usr/local/lib/python3.11/site-packages/aiohttp-3.7.3.dist-info/METADATA', content: 'Metadata-Version: 2.1\nName: aiohttp\nVersion: 3.7.3\n' },
  ]));
  const app = gzip(await makeTar([{ path: 'usr/local/bin/app', content: readFileSync(join(goDir, 'hello')), mode: 0o755 }]));
  await pushImage(client, reg.host, 'fix/app', 'v1', {
    layers: [{ data: base }, { data: app }],
    config: { architecture: 'amd64', os: 'linux', config: { User: 'app' }, history: HISTORY, rootfs: { type: 'layers', diff_ids: [] } },
  });
  await client.close();
  database = await openDatabase(cfg);
  await new VulnStore(database).importFrom([GO_DIR, join(PYPI_DIR, 'aiohttp')]);
  report = await scanImage(`${reg.host}/fix/app:v1`, { cfg, database });
}, 300_000);

afterAll(async () => {
  database?.close();
  await reg?.stop();
  rmSync(work, { recursive: true, force: true });
});

describe('fix first', () => {
  it('one upgrade per package, to the version that removes all its fixable findings', () => {
    const p = report.platforms[0]!;
    const plan = platformFixPlan(p);
    const byName = new Map(plan.upgrades.map((u) => [u.package.name, u]));
    for (const name of ['stdlib', 'aiohttp']) {
      const u = byName.get(name)!;
      const mine = p.findings.filter((f) => f.package.name === name);
      const fixable = mine.filter((f) => f.fixedVersion);
      expect(u.fixes).toBe(fixable.length);
      expect(u.unfixable).toBe(mine.length - fixable.length);
      // no finding needs more than the upgrade, and at least one needs exactly it
      for (const f of fixable) expect(compareVersions(f.ecosystem, f.fixedVersion!, u.upgradeTo)).toBeLessThanOrEqual(0);
      expect(fixable.some((f) => f.fixedVersion === u.upgradeTo)).toBe(true);
      const counts = ['critical', 'high', 'medium', 'low', 'unknown'].filter((r) => fixable.some((f) => f.severity.rating === r)).map((r) => `${r} ${fixable.filter((f) => f.severity.rating === r).length}`);
      expect(u.guidance).toBe(`upgrade ${name} to ${u.upgradeTo}: fixes ${u.fixes} (${counts.join(', ')})`);
    }
    expect(plan.fixable + plan.unfixable).toBe(p.findings.length);
    expect(plan.fixedByTopThree).toBe(plan.upgrades.slice(0, 3).reduce((n, u) => n + u.fixes, 0));
  });

  it('tells the base image\'s findings from the application\'s by the build history', () => {
    const p = report.platforms[0]!;
    expect(baseLayerCount(p.inventory.config, 2)).toEqual({ count: 1, how: 'build history: the base image ends at history[1] (/bin/sh -c #(nop)  CMD ["bash"])' });
    const plan = platformFixPlan(p);
    expect(plan.upgrades.find((u) => u.package.name === 'aiohttp')!.origin).toBe('base');
    expect(plan.upgrades.find((u) => u.package.name === 'stdlib')!.origin).toBe('application');
    expect(plan.origin.base).toBe(p.findings.filter((f) => f.package.name === 'aiohttp').length);
    expect(plan.origin.application + plan.origin.base).toBe(p.findings.length);
    // without a base CMD in the history, nothing is guessed
    expect(baseLayerCount({ history: [{ createdBy: 'ADD x /' }, { createdBy: 'COPY app /app' }] }, 2)).toEqual({ count: undefined, how: 'no CMD/ENTRYPOINT of a base image in the build history' });
    expect(baseLayerCount({ history: [{ createdBy: 'ADD x /' }] }, 2).count).toBeUndefined();
  });

  it('shows in the table, the JSON and the verdict reasons', () => {
    const plan = platformFixPlan(report.platforms[0]!);
    const table = findingsTable(report);
    expect(table).toContain(`fix first (${plan.upgrades.length} upgrades remove ${plan.fixable} of ${report.platforms[0]!.findings.length} findings; the first three ${plan.fixedByTopThree}; from the base image's 1 layers: ${plan.origin.base}, from the application's: ${plan.origin.application}):`);
    expect(table).toContain(`  ${plan.upgrades[0]!.guidance} [${plan.upgrades[0]!.origin} layer]\n`);
    expect(scanJson(report).images[0]!.fixPlan).toEqual(plan);
    const image = { registry: reg.host, repository: 'fix/app', digest: report.rootDigest };
    const v = evaluateReport(report, image, { policy: parsePolicy('apiVersion: customs.dev/v1\nkind: Policy\nmetadata: { name: p }\nspec:\n  rules:\n    - { type: vulnerabilities, maxSeverity: low }\n'), version: 1 });
    const first = plan.upgrades[0]!;
    expect(v.platforms[0]!.reasons[0]!.message).toMatch(/; fix first: upgrade (stdlib|aiohttp) to \S+ \(removes \d+\)$/);
    expect(v.platforms[0]!.reasons[0]!.message).toContain(`fix first: upgrade ${first.package.name} to ${first.upgradeTo}`);
  });
});
