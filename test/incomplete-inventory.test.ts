// Fail-closed inventories: an OS package database that could not be read (over limits.maxFileBytes,
// or not parseable) makes the inventory incomplete, the verdict says so, and neither the built-in
// policy nor a policy that leaves the switch alone passes the image — while an unreadable file a
// later layer replaced, or a malformed language manifest, does not.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Config } from '../src/config/schema.ts';
import { DEFAULT_POLICY } from '../src/policy/default.ts';
import { parsePolicy } from '../src/policy/parse.ts';
import { evaluateReport } from '../src/policy/verdicts.ts';
import { RegistryClient } from '../src/registry/client.ts';
import { scanImage } from '../src/scan/scan-image.ts';
import { dpkgStatus, pushImage } from './helpers/push.ts';
import { startRegistry, testConfig, type TestRegistry } from './helpers/registry.ts';
import { gzip, makeTar, type TarEntry } from './helpers/tar.ts';

const OS_RELEASE: TarEntry = { path: 'etc/os-release', content: 'ID=debian\nVERSION_ID="12"\n' };
let reg: TestRegistry;
let cfg: Config;
let client: RegistryClient;

beforeAll(async () => {
  reg = await startRegistry();
  const dataDir = mkdtempSync(join(tmpdir(), 'customs-incomplete-'));
  // 64 KiB: a dpkg status of ~1000 packages is over it
  cfg = testConfig({ dataDir, database: { url: `file:${join(dataDir, 'customs.db')}` }, limits: { maxFileBytes: 64 * 1024 } });
  client = new RegistryClient(cfg);
}, 60_000);

afterAll(async () => {
  await client.close();
  await reg.stop();
});

/** a real dpkg status with `n` packages plus telnetd */
function bigStatus(n: number): string {
  const pkgs: [string, string][] = Array.from({ length: n }, (_, i) => [`lib${i}-common`, `1.${i}-1`]);
  return dpkgStatus([...pkgs, ['telnetd', '0.17-44']]);
}

async function scan(repo: string, layers: TarEntry[][]) {
  await pushImage(client, reg.host, repo, 'v1', {
    layers: await Promise.all(layers.map(async (entries) => ({ data: gzip(await makeTar(entries)) }))),
    config: { architecture: 'amd64', os: 'linux', config: { User: 'app' }, rootfs: { type: 'layers', diff_ids: [] } },
  });
  const report = await scanImage(`${reg.host}/${repo}:v1`, { cfg, cache: false });
  const image = { registry: reg.host, repository: repo, digest: report.rootDigest };
  return { report, image };
}

const DENY_TELNETD = (extra = '') => parsePolicy(`apiVersion: customs.dev/v1
kind: Policy
metadata: { name: deny }
spec:
${extra}  rules:
    - { type: deny-packages, packages: ["telnetd"] }
`);

describe('incomplete inventories fail closed', () => {
  it('a dpkg status over maxFileBytes holding a denied package: incomplete, and no policy passes it silently', async () => {
    const status = bigStatus(1000);
    expect(Buffer.byteLength(status)).toBeGreaterThan(64 * 1024);
    const { report, image } = await scan('inc/big', [[OS_RELEASE, { path: 'var/lib/dpkg/status', content: status }]]);
    const inv = report.platforms[0]!.inventory;
    expect(inv.packages.filter((p) => p.type === 'deb')).toEqual([]); // nothing read: telnetd is invisible to deny-packages
    expect(inv.incomplete).toEqual([{ path: '/var/lib/dpkg/status', reason: expect.stringMatching(/^dpkg: \d+ bytes, above limits\.maxFileBytes \(65536\): not analysed$/) }]);

    const denied = evaluateReport(report, image, { policy: DENY_TELNETD(), version: 1 });
    expect(denied.verdict).toBe('fail');
    expect(denied.platforms[0]!.reasons[0]).toMatchObject({ rule: 'incomplete-inventory', outcome: 'fail', subjects: ['/var/lib/dpkg/status'] });
    expect(denied.platforms[0]!.reasons[0]!.message).toMatch(/^inventory incomplete, 1 input not analysed: \/var\/lib\/dpkg\/status \(dpkg: /);
    expect(evaluateReport(report, image, { policy: DEFAULT_POLICY, version: 0 }).verdict).toBe('fail'); // the built-in policy too
    // configurable per policy: warn, or accepted knowingly
    expect(evaluateReport(report, image, { policy: DENY_TELNETD('  incompleteInventory: warn\n'), version: 1 }).verdict).toBe('warn');
    expect(evaluateReport(report, image, { policy: DENY_TELNETD('  incompleteInventory: pass\n'), version: 1 }).verdict).toBe('pass');
  }, 60_000);

  it('the same database read in full is complete and judged on its packages', async () => {
    const { report, image } = await scan('inc/small', [[OS_RELEASE, { path: 'var/lib/dpkg/status', content: bigStatus(5) }]]);
    expect(report.platforms[0]!.inventory.incomplete).toBeUndefined();
    const v = evaluateReport(report, image, { policy: DENY_TELNETD(), version: 1 });
    expect(v.platforms[0]!.reasons.map((r) => r.rule)).toEqual(['deny-packages']);
  }, 60_000);

  it('an unreadable database a later layer replaced or deleted leaves the image complete', async () => {
    const replaced = await scan('inc/replaced', [
      [OS_RELEASE, { path: 'var/lib/dpkg/status', content: bigStatus(1000) }],
      [{ path: 'var/lib/dpkg/status', content: bigStatus(3) }],
    ]);
    expect(replaced.report.platforms[0]!.inventory.incomplete).toBeUndefined();
    expect(replaced.report.platforms[0]!.inventory.packages.map((p) => p.name)).toContain('telnetd');
    const deleted = await scan('inc/deleted', [
      [OS_RELEASE, { path: 'var/lib/dpkg/status', content: bigStatus(1000) }],
      [{ path: 'var/lib/dpkg/.wh.status', content: '' }],
    ]);
    expect(deleted.report.platforms[0]!.inventory.incomplete).toBeUndefined();
  }, 60_000);

  it('an rpm database that does not parse is incomplete; a malformed package.json is only a warning', async () => {
    const rpm = await scan('inc/rpm', [[{ path: 'etc/os-release', content: 'ID=rocky\nVERSION_ID="9.3"\n' }, { path: 'var/lib/rpm/rpmdb.sqlite', content: 'SQLite format 3\0' + 'x'.repeat(4000) }]]);
    expect(rpm.report.platforms[0]!.inventory.incomplete).toEqual([{ path: '/var/lib/rpm/rpmdb.sqlite', reason: expect.stringMatching(/^rpm: analyzer failed: /) }]);
    const npm = await scan('inc/npm', [[OS_RELEASE, { path: 'app/node_modules/left-pad/package.json', content: '{"name": "left-pad", "version": ' }]]);
    expect(npm.report.platforms[0]!.inventory.incomplete).toBeUndefined();
  }, 60_000);
});
