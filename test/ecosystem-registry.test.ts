// The ecosystem registry (src/ecosystems/): every table is total over the package types, and an
// ecosystem declared in one file (test/fixtures/toy-ecosystem.ts, Dart's Pub) flows through
// inventory, purl, OSV matching, coverage and policy once registered — no table of src/ edited.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ownedLanguageFiles } from '../src/analyzers/dpkg-files.ts';
import { DEFAULT_OSV_ECOSYSTEMS } from '../src/config/vulndb-schema.ts';
import { openDatabase } from '../src/db/client.ts';
import {
  compareVersions, defaultFeeds, ecosystemOf, ecosystems, hasComparator, inventoryAnalyzers, isLanguageOsvBase, isOsType,
  languageEcosystem, languagePaths, osEcosystems, osvNameRewrite, packageTypeOfPurl, registerEcosystem,
} from '../src/ecosystems/index.ts';
import { evaluatePolicy } from '../src/policy/evaluate.ts';
import { parsePolicy } from '../src/policy/parse.ts';
import { RegistryClient } from '../src/registry/client.ts';
import { packagePurl } from '../src/sbom/purl.ts';
import { scanImage } from '../src/scan/scan-image.ts';
import { LANGUAGE_PACKAGE_TYPES, OS_PACKAGE_TYPES, type OsInfo, type PackageRecord, type PackageType } from '../src/types.ts';
import { VulnStore } from '../src/vulndb/store.ts';
import { pub } from './fixtures/toy-ecosystem.ts';
import { pushDebianImage } from './helpers/push.ts';
import { startRegistry, testConfig, type TestRegistry } from './helpers/registry.ts';

const TYPES: PackageType[] = [...OS_PACKAGE_TYPES, ...LANGUAGE_PACKAGE_TYPES];
const DEBIAN_12: OsInfo = { id: 'debian', versionId: '12', foundIn: '/etc/os-release' };
const OS_SAMPLES: Record<string, OsInfo> = {
  deb: DEBIAN_12,
  apk: { id: 'alpine', versionId: '3.19.1', foundIn: '/etc/os-release' },
  rpm: { id: 'rocky', versionId: '9.3', foundIn: '/etc/os-release' },
};

describe('the ecosystem registry', () => {
  it('has one module per package type, and every table answers for each', () => {
    expect(ecosystems().map((e) => e.type).sort()).toEqual([...TYPES].sort());
    const analyzers = new Set(inventoryAnalyzers());
    for (const t of TYPES) {
      const e = ecosystemOf(t)!;
      expect(e.type).toBe(t);
      expect(e.kind).toBe((OS_PACKAGE_TYPES as readonly string[]).includes(t) ? 'os' : 'language');
      expect(isOsType(t)).toBe(e.kind === 'os');
      // comparator: every OSV ecosystem it is judged in orders versions
      const bases = e.kind === 'os' ? e.osvBases : [e.osv];
      for (const b of bases) expect(hasComparator(`${b}:x`), b).toBe(true);
      // OSV ecosystem: a language type's own, an OS type's through its distribution
      if (e.kind === 'language') expect(languageEcosystem(t)).toBe(e.osv);
      else expect(osEcosystems(OS_SAMPLES[t])?.type).toBe(t);
      // purl: written with its own type, read back as it
      const p: PackageRecord = { type: t, name: 'x', version: '1.0.0', foundIn: '/x' };
      expect(packagePurl(p, OS_SAMPLES[t] ?? DEBIAN_12)).toMatch(new RegExp(`^pkg:${t}/`));
      expect(packageTypeOfPurl(t)).toBe(t);
      // analyzers: each module's run in the inventory
      expect(e.analyzers(languagePaths()).length).toBeGreaterThan(0);
      for (const a of e.analyzers(languagePaths())) expect([...analyzers].map((x) => x.name)).toContain(a.name);
      expect(e.feeds.length).toBeGreaterThan(0);
    }
    expect(packageTypeOfPurl('alpm')).toBe('apk');
    expect(packageTypeOfPurl('oci')).toBeUndefined();
  });

  it('language metadata paths: the quick base-name test accepts every base name the full test does', () => {
    for (const e of ecosystems()) {
      if (e.kind !== 'language' || !e.metadata) continue;
      for (const path of ['/app/node_modules/a/package.json', '/usr/lib/python3/dist-packages/a-1.dist-info/METADATA', '/var/lib/gems/3.1.0/specifications/rake-13.0.6.gemspec',
        '/app/vendor/composer/installed.json', '/app/App.deps.json', '/usr/share/java/junit4.jar']) {
        if (e.metadata.isPath(path)) expect(e.metadata.mayBeFile(path.slice(path.lastIndexOf('/') + 1)), `${e.type} ${path}`).toBe(true);
      }
    }
    expect(languagePaths().mayBeMetadataFile('libc.so.6')).toBe(false);
  });

  it('the default OSV feeds of the configuration are the ecosystems\' feeds', () => {
    // config/ sits below the ecosystems' layer and cannot derive its default from them: checked here instead
    expect([...DEFAULT_OSV_ECOSYSTEMS].sort()).toEqual(defaultFeeds().sort());
  });

  it('refuses a second ecosystem of the same type', () => {
    expect(() => registerEcosystem({ ...pub, type: 'npm' } as never)).toThrow(/registered twice/);
  });
});

describe('a toy ecosystem declared in one file (Dart Pub, test/fixtures/toy-ecosystem.ts)', () => {
  let reg: TestRegistry;
  let unregister: () => void;
  const work = mkdtempSync(join(tmpdir(), 'customs-toy-eco-'));
  const lock = readFileSync(join(import.meta.dirname, 'fixtures/toy-ecosystem/pubspec.lock'));

  beforeAll(async () => {
    unregister = registerEcosystem(pub);
    reg = await startRegistry({ auth: 'none' });
    const client = new RegistryClient(testConfig());
    // the app's lockfile, and a Debian package (dart-tool) that installed a lockfile of its own
    await pushDebianImage(client, reg.host, 'toy/app', 'v1', [['dart-tool', '1.0-1']], {
      extra: [
        { path: 'app/pubspec.lock', content: lock },
        { path: 'usr/lib/dart-tool/pubspec.lock', content: lock },
        { path: 'var/lib/dpkg/info/dart-tool.list', content: '/.\n/usr/lib/dart-tool\n/usr/lib/dart-tool/pubspec.lock\n' },
      ],
    });
    await client.close();
  }, 120_000);
  afterAll(async () => {
    unregister?.();
    await reg?.stop();
    rmSync(work, { recursive: true, force: true });
  });

  it('is found, written as pkg:pub, matched with its comparator, counted, and named by policy rules', async () => {
    const cfg = testConfig({ dataDir: work, database: { url: `file:${join(work, 'customs.db')}` } });
    const database = await openDatabase(cfg);
    try {
      // OSV records of the Pub ecosystem (the OSV schema, in a JSON file imported as any feed is):
      // http before 0.13.3, http 1.1.0 up to 1.2.1 (named in capitals: Pub names compare lowercased),
      // and path 1.8.0 up to 1.8.3, a range the installed path 1.9.0 is outside
      const file = join(work, 'pub.json');
      writeFileSync(file, JSON.stringify([
        {
          id: 'TOY-2020-0001', modified: '2023-01-27T05:01:27Z', summary: 'toy: http before 0.13.3',
          affected: [{ package: { ecosystem: 'Pub', name: 'http' }, ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: '0' }, { fixed: '0.13.3' }] }] }],
        },
        {
          id: 'TOY-2024-0002', modified: '2024-03-01T00:00:00Z', summary: 'toy: http 1.1.0 up to 1.2.1',
          affected: [{ package: { ecosystem: 'Pub', name: 'HTTP' }, ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: '1.1.0' }, { fixed: '1.2.1' }] }] }],
        },
        {
          id: 'TOY-2024-0003', modified: '2024-03-01T00:00:00Z', summary: 'toy: path 1.8.0 up to 1.8.3',
          affected: [{ package: { ecosystem: 'Pub', name: 'path' }, ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: '1.8.0' }, { fixed: '1.8.3' }] }] }],
        },
      ]));
      await new VulnStore(database).importFrom([file]);

      const report = await scanImage(`${reg.host}/toy/app:v1`, { cfg, database });
      const [platform] = report.platforms;
      const inv = platform!.inventory;

      // inventory: the hosted packages of both lockfiles; the one dpkg installed is OS-owned
      const pubs = inv.packages.filter((p) => p.type === ('pub' as PackageType));
      expect(pubs.map((p) => [p.name, p.version, p.foundIn, !!p.osOwned])).toEqual([
        ['http', '1.2.0', '/app/pubspec.lock', false],
        ['http', '1.2.0', '/usr/lib/dart-tool/pubspec.lock', true],
        ['path', '1.9.0', '/app/pubspec.lock', false],
        ['path', '1.9.0', '/usr/lib/dart-tool/pubspec.lock', true],
      ]);
      expect(ownedLanguageFiles('/usr/lib/dart-tool/pubspec.lock\n/usr/lib/dart-tool/README\n', languagePaths())).toEqual(['/usr/lib/dart-tool/pubspec.lock']);

      // purl: its own type, no distribution namespace or qualifier
      expect(pubs.map((p) => packagePurl(p, inv.os))).toEqual(['pkg:pub/http@1.2.0', 'pkg:pub/http@1.2.0', 'pkg:pub/path@1.9.0', 'pkg:pub/path@1.9.0']);
      expect(packageTypeOfPurl('pub')).toBe('pub');

      // matching: in Pub with SemVer order (names lowercased as Pub's module says); 1.2.0 is past
      // the fix of the first record, inside the second, and `path` 1.9.0 is past its range
      expect(compareVersions('Pub', '1.2.0', '0.13.3')).toBe(1);
      expect(platform!.findings.map((f) => [f.id, f.package.name, f.package.version, f.ecosystem, f.fixedVersions])).toEqual([
        ['TOY-2024-0002', 'http', '1.2.0', 'Pub', ['1.2.1']],
      ]);
      // coverage: the app's two packages judged in Pub, the OS-owned ones with Debian
      expect(platform!.coverage!.find((c) => c.ecosystem === 'Pub')).toMatchObject({ packageType: 'pub', packages: 2, judged: 2 });

      // policy: a package rule naming the type applies to it, one naming another type does not
      const policy = (spec: string) => parsePolicy(`apiVersion: customs.dev/v1\nkind: Policy\nmetadata: { name: toy }\nspec:\n  rules:\n${spec}`);
      const subject = { registry: reg.host, repository: 'toy/app', digest: report.rootDigest, inventory: inv, findings: platform!.findings, coverage: platform!.coverage! };
      const denied = evaluatePolicy(policy('    - { type: deny-packages, packages: ["pub:http@1.*"] }\n'), 1, subject);
      expect(denied.verdict).toBe('fail');
      expect(denied.reasons.map((r) => [r.rule, r.subjects])).toEqual([['deny-packages', ['http']]]);
      expect(evaluatePolicy(policy('    - { type: deny-packages, packages: ["npm:http"] }\n'), 1, subject).verdict).toBe('pass');
    } finally {
      database.close();
    }
  }, 120_000);

  it('is in every table while registered, and out of them again after', () => {
    expect(ecosystemOf('pub')).toBe(pub);
    expect(inventoryAnalyzers().map((a) => a.name)).toContain('toy-pubspec-lock');
    expect(defaultFeeds()).toContain('Pub');
    expect(languageEcosystem('pub')).toBe('Pub');
    // (vulndb/ also lowercases Pub names and counts Pub as a language registry on its own, for
    // advisories of ecosystems without a module: the module's word is the one asked first)
    expect(osvNameRewrite('Pub')).toBe(pub.osvName);
    expect(isLanguageOsvBase('Pub')).toBe(true);
    const again = registerEcosystem({ ...pub, type: 'pub2', osv: 'Pub2', analyzers: () => [] });
    expect(hasComparator('Pub2')).toBe(true);
    again();
    expect(hasComparator('Pub2')).toBe(false);
    expect(ecosystemOf('pub2')).toBeUndefined();
    expect(osvNameRewrite('Pub2')).toBeUndefined();
  });
});
