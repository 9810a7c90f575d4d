// Policies and OpenVEX documents are cached per open database and stored state (issue 20, move 6):
// a judge re-reads and re-parses them only when they changed, and a change made through another
// connection to the same database (another replica) is seen by the next judge. Real registry, real
// scan, real judge; the counters count actual reads of the stored policies and parses of VEX documents.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Config } from '../src/config/schema.ts';
import { openDatabase, type Database } from '../src/db/client.ts';
import { judge, judgeContext } from '../src/judge/judge.ts';
import { parsePolicy } from '../src/policy/parse.ts';
import { PolicyStore, policyCacheStats } from '../src/policy/store.ts';
import { importVex, vexCacheStats } from '../src/policy/vex-store.ts';
import { RegistryClient } from '../src/registry/client.ts';
import { scanImage } from '../src/scan/scan-image.ts';
import type { ScanReport } from '../src/scan/types.ts';
import { VulnStore } from '../src/vulndb/store.ts';
import { freshPgDatabase } from './helpers/postgres.ts';
import { pushImage } from './helpers/push.ts';
import { startRegistry, testConfig, type TestRegistry } from './helpers/registry.ts';
import { gzip, makeTar } from './helpers/tar.ts';
import { PYPI_DIR } from './vulndb-helpers.ts';

const policy = (ids: string[]) => parsePolicy(`apiVersion: customs.dev/v1
kind: Policy
metadata: { name: vexed }
spec:
  scope: { repositories: ["vex/**"] }
  rules:
    - { type: deny-vulnerabilities, ids: ${JSON.stringify(ids)} }
`);
const VEX = JSON.stringify({ '@context': 'https://openvex.dev/ns/v0.2.0', '@id': 'https://acme.example/vex/cache', author: 'Acme', statements: [{ vulnerability: { name: 'CVE-2021-21330' }, products: [{ '@id': 'pkg:oci/svc', subcomponents: [{ '@id': 'pkg:pypi/aiohttp@3.7.3' }] }], status: 'not_affected', justification: 'vulnerable_code_not_in_execute_path' }] });

let reg: TestRegistry;
let client: RegistryClient;
beforeAll(async () => { reg = await startRegistry(); }, 60_000);
afterAll(async () => { await client?.close(); await reg?.stop(); });

describe.each(['sqlite', 'postgres'] as const)('policies and VEX cached by stored state (%s)', (dialect) => {
  let dir: string, cfg: Config, a: Database, b: Database;
  let report: ScanReport;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'customs-policy-cache-'));
    const url = dialect === 'postgres' ? await freshPgDatabase() : `file:${join(dir, 'customs.db')}`;
    cfg = testConfig({ dataDir: dir, database: { url } });
    a = await openDatabase(cfg); // this replica judges
    b = await openDatabase(cfg); // another replica (its own connections) changes policies and imports VEX
    client ??= new RegistryClient(cfg);
    await new VulnStore(b).importFrom([join(PYPI_DIR, 'aiohttp')]);
    const meta = 'Metadata-Version: 2.1\nName: aiohttp\nVersion: 3.7.3\n';
    const layer = gzip(await makeTar([
      { path: 'etc/os-release', content: 'ID=debian\nVERSION_ID="12"\n' },
      { path: 'usr/local/lib/python3.11/site-packages/aiohttp-3.7.3.dist-info/METADATA', content: meta },
    ]));
    await pushImage(client, reg.host, 'vex/svc', dialect, { layers: [{ data: layer }], config: { architecture: 'amd64', os: 'linux', config: { User: 'app' }, rootfs: { type: 'layers', diff_ids: [] } } });
    report = await scanImage(`${reg.host}/vex/svc:${dialect}`, { cfg, database: a });
  }, 120_000);
  afterAll(() => { a?.close(); b?.close(); rmSync(dir, { recursive: true, force: true }); });

  const judgeOnA = async () => (await judge(judgeContext(cfg, a, client), { registry: reg.host, repository: 'vex/svc', digest: report.rootDigest, tag: dialect }, report, null, { findingsChanged: true })).verdict;

  it('a policy change and a VEX import made through another connection are seen by the next judge; an unchanged state is not read again', async () => {
    await new PolicyStore(b).apply(policy(['CVE-2021-21330']), { actor: 'replica-b' });
    const denied = await judgeOnA();
    expect(denied.verdict).toBe('fail');
    expect(denied.platforms[0]!.reasons[0]!.message).toBe('denied vulnerability: CVE-2021-21330 in aiohttp');

    // nothing changed: three more verdicts read the stored state only, no policy or document again
    const reads = policyCacheStats.reads, parses = vexCacheStats.parses;
    for (let i = 0; i < 3; i++) expect((await judgeOnA()).verdict).toBe('fail');
    expect(policyCacheStats.reads).toBe(reads);
    expect(vexCacheStats.parses).toBe(parses);

    // the policy changed on the other replica: the next judge on this one follows it, reading once
    // (apply() on b reads b's current policies itself, so the counter is taken after it)
    await new PolicyStore(b).apply(policy(['CVE-0000-0001']), { actor: 'replica-b' });
    let before = policyCacheStats.reads;
    expect((await judgeOnA()).verdict).toBe('pass');
    expect(policyCacheStats.reads).toBe(before + 1);
    await new PolicyStore(b).apply(policy(['CVE-2021-21330']), { actor: 'replica-b' });
    before = policyCacheStats.reads;
    expect((await judgeOnA()).verdict).toBe('fail');
    expect((await judgeOnA()).verdict).toBe('fail');
    expect(policyCacheStats.reads).toBe(before + 1);
    expect(vexCacheStats.parses).toBe(parses);

    // an OpenVEX document imported on the other replica: parsed once, then the verdict passes
    await importVex(b, VEX, 'replica-b');
    before = policyCacheStats.reads;
    const excepted = await judgeOnA();
    expect(excepted.verdict).toBe('pass');
    expect(excepted.platforms[0]!.excepted[0]).toMatchObject({ finding: 'CVE-2021-21330', package: 'aiohttp', exception: { owner: 'Acme', source: 'openvex:https://acme.example/vex/cache' } });
    expect(vexCacheStats.parses).toBe(parses + 1);
    expect((await judgeOnA()).verdict).toBe('pass');
    expect(vexCacheStats.parses).toBe(parses + 1);
    expect(policyCacheStats.reads).toBe(before);

    // the other replica's own cache follows too (its first read, then its own change seen by this one)
    expect((await new PolicyStore(b).current()).map((p) => p.version)).toEqual((await new PolicyStore(a).current()).map((p) => p.version));
  }, 120_000);
});
