// End to end: an image holding a Go binary, a cargo-auditable Rust binary and a Spring-Boot-like fat
// jar (all built here from real artefacts) pushed to a real docker-registry, inventoried by
// bin/customs scan and written as CycloneDX by bin/customs sbom.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RegistryClient } from '../src/registry/client.ts';
import { pushImage } from './helpers/push.ts';
import { startRegistry, testConfig, type TestRegistry } from './helpers/registry.ts';
import { gzip, makeTar } from './helpers/tar.ts';
import { buildFixtures } from './helpers/fixtures-build.ts';
import { customsCli } from './helpers/cli.ts';
import { buildJavaArchives, FAT_JAR_LIBS, JAVA, pomTruth } from './helpers/java-fixtures.ts';

const work = mkdtempSync(join(tmpdir(), 'customs-clibin-'));
const customs = customsCli(work);

let reg: TestRegistry;
let client: RegistryClient;
let goVersion = '';

beforeAll(async () => {
  const [goDir, rustDir] = await Promise.all([buildFixtures('test/fixtures/go/build.sh', 'go'), buildFixtures('test/fixtures/rust/build.sh', 'rust')]);
  goVersion = /: go(\d+\.\d+\.\d+)/.exec(readFileSync(join(goDir, 'hello.version-m'), 'utf8'))![1]!;
  const java = buildJavaArchives();
  reg = await startRegistry({ auth: 'none' });
  client = new RegistryClient(testConfig());
  const base = gzip(await makeTar([
    { path: 'usr/lib/os-release', content: readFileSync('/usr/lib/os-release') },
    { path: 'usr/local/bin/hello', content: readFileSync(join(goDir, 'hello-stripped')), mode: 0o755 },
    { path: 'opt/old/tool', content: readFileSync(join(goDir, 'hello')), mode: 0o755 },
    { path: 'usr/bin/rust-app', content: readFileSync(join(rustDir, 'rust-app')), mode: 0o755 },
  ]));
  // a second layer adds the application jar and deletes the old Go tool
  const app = gzip(await makeTar([
    { path: 'app/demo-0.0.1-SNAPSHOT.jar', content: readFileSync(java.fatJar) },
    { path: 'opt/old/.wh.tool', content: '' },
  ]));
  await pushImage(client, reg.host, 'e2e/binaries', 'v1', {
    layers: [{ data: base }, { data: app }],
    config: { architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [] } },
  });
}, 300_000);

afterAll(async () => {
  await client?.close();
  await reg?.stop();
  rmSync(work, { recursive: true, force: true });
});

describe('customs scan of Go, Rust and Java content', () => {
  it('lists the Go modules and stdlib, the crates and the jars with purl, path and layer', async () => {
    const r = await customs(['scan', `${reg.host}/e2e/binaries:v1`, '--format', 'json', '--no-cache']);
    expect(r.stderr).not.toMatch(/go-binary|rust-audit|java-archive/);
    expect(r.code).toBe(0);
    const inv = JSON.parse(r.stdout);
    const pkgs = inv.images[0].packages as { type: string; name: string; version: string; foundIn: string; layerIndex: number }[];
    const by = (type: string) => pkgs.filter((p) => p.type === type).map((p) => `${p.name}@${p.version} ${p.foundIn} ${p.layerIndex}`).sort();
    // the deleted Go tool in /opt/old is gone; the stripped binary is read as well as the full one
    expect(by('golang')).toEqual([
      'example.com/customs-fixture@(devel) /usr/local/bin/hello 0',
      'example.com/greet@v1.2.3 /usr/local/bin/hello 0',
      'github.com/google/uuid@v1.3.0 /usr/local/bin/hello 0',
      'github.com/pkg/errors@v0.9.1 /usr/local/bin/hello 0',
      `stdlib@v${goVersion} /usr/local/bin/hello 0`,
    ]);
    expect(by('cargo')).toEqual(['adler@1.0.2', 'customs-rust-fixture@0.1.0', 'itoa@1.0.1', 'local-helper@0.2.0'].map((n) => `${n} /usr/bin/rust-app 0`));
    const lib = '/app/demo-0.0.1-SNAPSHOT.jar!/BOOT-INF/lib/';
    expect(by('maven')).toEqual([
      ...FAT_JAR_LIBS.flatMap((j) => (pomTruth(join(JAVA, j)).length ? pomTruth(join(JAVA, j)) : ['com.google.inject:guice-no-aop@4.2.3']).map((n) => `${n} ${lib}${j} 1`)),
      'demo@0.0.1-SNAPSHOT /app/demo-0.0.1-SNAPSHOT.jar 1',
    ].sort());
  });

  it('writes golang, cargo and maven purls into CycloneDX', async () => {
    const r = await customs(['sbom', `${reg.host}/e2e/binaries:v1`, '--format', 'cyclonedx', '--no-cache']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const purls = (JSON.parse(r.stdout).components as { purl?: string }[]).map((c) => c.purl);
    expect(purls).toEqual(expect.arrayContaining([
      `pkg:golang/stdlib@v${goVersion}`, 'pkg:golang/github.com/google/uuid@v1.3.0', 'pkg:cargo/itoa@1.0.1',
      'pkg:maven/commons-io/commons-io@2.11.0', 'pkg:maven/org.apache.httpcomponents/httpclient@4.5.14',
    ]));
  });
});
