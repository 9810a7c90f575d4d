// Image hygiene checks end to end: a risky image and a hardened one pushed to a real registry,
// facts from entry metadata (setuid, world-writable, tools), config and history checks.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { takeInventory } from '../src/scan/inventory.ts';
import { runHygieneChecks } from '../src/hygiene/checks.ts';
import { configSchema } from '../src/config/schema.ts';
import { hygieneReport } from '../src/scan/hygiene.ts';
import { DEFAULT_POLICY } from '../src/policy/default.ts';
import { evaluateReport } from '../src/policy/verdicts.ts';
import { RegistryClient } from '../src/registry/client.ts';
import type { ImageInventory } from '../src/types.ts';
import { pushImage } from './helpers/push.ts';
import { startRegistry, testConfig, type TestRegistry } from './helpers/registry.ts';
import { tokens } from './helpers/secret-fixtures.ts';
import { gzip, makeTar } from './helpers/tar.ts';

let reg: TestRegistry;
let risky: ImageInventory;
let hardened: ImageInventory;
const work = mkdtempSync(join(tmpdir(), 'customs-hygiene-'));
const cfg = testConfig({ dataDir: work });
const NOW = new Date('2026-01-15T00:00:00Z');

beforeAll(async () => {
  reg = await startRegistry({ auth: 'none' });
  const client = new RegistryClient(testConfig());
  const os = { path: 'etc/os-release', content: 'ID=debian\nVERSION_ID="12"\n' };
  const base = await makeTar([
    os,
    { path: 'bin/sh', content: '#!fake shell\n', mode: 0o755 },
    { path: 'usr/bin/passwd', content: 'x', mode: 0o4755 },
    { path: 'usr/bin/wall', content: 'x', mode: 0o2755 },
    { path: 'usr/bin/apt-get', content: 'x', mode: 0o755 },
    { path: 'usr/bin/gcc', content: 'x', mode: 0o755 },
    { path: 'usr/bin/sudo', content: 'x', mode: 0o4755 },
    { path: 'tmp', type: 'dir', mode: 0o1777 },
    { path: 'data', type: 'dir', mode: 0o777 },
    { path: 'app/log.txt', content: '', mode: 0o666 },
  ]);
  const top = await makeTar([{ path: 'usr/bin/.wh.gcc', content: '' }]); // the compiler is removed again
  await pushImage(client, reg.host, 'hygiene/app', 'risky', {
    layers: [{ data: gzip(base) }, { data: gzip(top) }],
    config: {
      architecture: 'amd64', os: 'linux', created: '2024-06-01T00:00:00Z', rootfs: { type: 'layers', diff_ids: [] },
      config: {
        Env: [`API_TOKEN=${tokens()['github-token']}`, 'DB_PASSWORD=hunter2', 'SECRET_KEY_FILE=/run/secrets/key', 'GITHUB_TOKEN=', 'REDIS_PASSWORD=$REDIS_PW'], ExposedPorts: { '22/tcp': {}, '80/tcp': {}, '8080/tcp': {} },
        Labels: { 'org.opencontainers.image.base.name': 'docker.io/library/debian:latest' },
      },
      history: [
        { created_by: 'ADD https://example.com/tool.tar.gz /opt/ # buildkit' },
        { created_by: 'RUN /bin/sh -c curl -fsSL https://get.example.com/install | sh # buildkit' },
        // installing sudo is not running it; a tar ADD extracts (COPY cannot); the next two are flagged
        { created_by: 'RUN /bin/sh -c apt-get install -y sudo # buildkit', empty_layer: true },
        { created_by: 'ADD rootfs.tar.xz / # buildkit', empty_layer: true },
        { created_by: 'RUN /bin/sh -c sudo -u app make install # buildkit', empty_layer: true },
        { created_by: '/bin/sh -c #(nop) ADD file:4b1d2f0c in /etc/app/config.json ', empty_layer: true },
      ],
    },
  });
  await pushImage(client, reg.host, 'hygiene/app', 'hardened', {
    layers: [{ data: gzip(await makeTar([os, { path: 'app/server', content: 'x', mode: 0o755 }, { path: 'tmp', type: 'dir', mode: 0o1777 }])) }],
    config: {
      architecture: 'amd64', os: 'linux', created: '2026-01-01T00:00:00Z', rootfs: { type: 'layers', diff_ids: [] },
      config: {
        User: '10001:10001', ExposedPorts: { '8080/tcp': {} }, Healthcheck: { Test: ['CMD', '/app/server', '-health'] },
        Labels: { 'org.opencontainers.image.base.name': 'gcr.io/distroless/static:nonroot@sha256:' + 'a'.repeat(64) },
      },
    },
  });
  await client.close();
  risky = (await takeInventory(`${reg.host}/hygiene/app:risky`, cfg, { cache: false })).inventories[0]!;
  hardened = (await takeInventory(`${reg.host}/hygiene/app:hardened`, cfg, { cache: false })).inventories[0]!;
}, 120_000);
afterAll(async () => { await reg?.stop(); });

describe('hygiene checks', () => {
  it('flag a risky image with ids, severities, fixes and the files concerned', () => {
    const found = runHygieneChecks(risky, cfg.hygiene, NOW);
    expect(found.map((f) => [f.id, f.severity])).toEqual([
      ['root-user', 'medium'], ['secrets-in-env', 'high'], ['no-healthcheck', 'low'], ['ssh-exposed', 'medium'],
      ['privileged-port', 'low'], ['remote-add', 'medium'], ['local-add', 'low'], ['sudo-in-build', 'low'], ['curl-pipe-shell', 'medium'], ['unpinned-base', 'low'],
      ['setuid-binaries', 'medium'], ['world-writable', 'medium'], ['sudo-present', 'low'], ['shell-present', 'low'],
      ['package-manager-present', 'low'], ['image-too-old', 'low'],
    ]);
    const by = Object.fromEntries(found.map((f) => [f.id, f]));
    expect(by['setuid-binaries']!.paths).toEqual(['/usr/bin/passwd', '/usr/bin/sudo', '/usr/bin/wall']);
    expect(by['world-writable']!.paths).toEqual(['/app/log.txt', '/data']);
    expect(by['privileged-port']!.detail).toBe('80/tcp');
    expect(by['secrets-in-env']!.paths).toEqual(['config:Env[0] (github-token)', 'config:Env[1] (env-credential)']);
    expect(JSON.stringify(risky)).not.toContain('hunter2');
    expect(risky.config.env![1]).toBe('DB_PASSWORD=*******');
    expect(by['image-too-old']!.detail).toMatch(/^built 2024-06-01, 593 days ago/);
    expect(by['remote-add']!.detail).toContain('history[0]');
    expect(by['local-add']!.detail).toBe('history[5]: /bin/sh -c #(nop) ADD file:4b1d2f0c in /etc/app/config.json');
    expect(by['sudo-in-build']!.detail).toBe('history[4]: RUN /bin/sh -c sudo -u app make install # buildkit');
    expect(found.every((f) => f.fix.length > 20 && f.title.length > 5)).toBe(true);
    // the compiler deleted by the top layer is not reported
    expect(found.some((f) => f.id === 'compiler-present')).toBe(false);
  });

  it('pass a hardened image', () => {
    expect(runHygieneChecks(hardened, cfg.hygiene, NOW)).toEqual([]);
  });

  it('are configurable: disabled checks, severities, age', () => {
    const found = runHygieneChecks(risky, { maxAgeDays: 1000, disabled: ['shell-present', 'no-healthcheck'], severity: { 'root-user': 'critical' } }, NOW);
    const ids = found.map((f) => f.id);
    expect(ids).not.toContain('shell-present');
    expect(ids).not.toContain('no-healthcheck');
    expect(ids).not.toContain('image-too-old');
    expect(found.find((f) => f.id === 'root-user')!.severity).toBe('critical');
    // a mistyped check id is a configuration error naming the known ones
    expect(() => configSchema.parse({ hygiene: { disabled: ['shell-presnt'] } })).toThrow(/unknown check id \(known: root-user, /);
    expect(() => configSchema.parse({ hygiene: { severity: { 'root-usr': 'low' } } })).toThrow(/unknown check id/);
  });

  it('hygieneReport gathers config, end-of-life and secrets findings, most severe first', () => {
    const r = hygieneReport(risky, cfg, { now: NOW });
    expect(r.config[0]!.severity).toBe('high');
    expect(r.secrets.map((s) => [s.path, s.rule])).toEqual([['config:Env[0]', 'github-token'], ['config:Env[1]', 'env-credential']]);
    // Debian 12 at 2026-01-15 is still supported
    expect(r.eol).toEqual([]);
    expect(hygieneReport(risky, cfg, { now: new Date('2026-07-01T00:00:00Z') }).eol.map((e) => [e.product, e.cycle, e.status])).toEqual([['debian', '12', 'extended-support']]);
  });

  it('feeds the default policy: secrets fail, root and an end-of-life OS warn', () => {
    const now = new Date('2028-07-01T00:00:00Z'); // Debian 12 past its LTS end too
    const report = {
      ref: 'x', rootDigest: risky.rootDigest, startedAt: '', finishedAt: '', dbVersion: null, warnings: [],
      platforms: [{ inventory: risky, findings: [], hygiene: hygieneReport(risky, cfg, { now }) }],
    };
    const v = evaluateReport(report, { registry: reg.host, repository: 'hygiene/app', digest: risky.rootDigest }, { policy: DEFAULT_POLICY, version: 1 }, { now });
    expect(v.verdict).toBe('fail');
    const text = JSON.stringify(v);
    expect(text).toContain('end-of-life OS: debian 12');
    expect(text).toContain('runs as root');
    expect(text).toContain('in config:Env[0]');
  });
});
