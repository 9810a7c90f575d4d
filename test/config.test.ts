import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config/load.ts';
import { CustomsError } from '../src/errors.ts';
import { customsCli } from './helpers/cli.ts';
import { caught } from './helpers/util.ts';

const dir = mkdtempSync(join(tmpdir(), 'customs-config-'));

describe('configuration', () => {
  it('has embedded defaults: file database under the data dir, loopback server', () => {
    const cfg = loadConfig({ env: {} });
    expect(cfg.database.url).toMatch(/^file:.*\/data\/customs\.db$/);
    expect(cfg.server).toEqual({ host: '127.0.0.1', port: 8080 });
    expect(cfg.limits.maxCompressionRatio).toBe(200);
  });

  it('reads a YAML file and lets the environment override it', () => {
    const f = join(dir, 'c.yaml');
    writeFileSync(f, 'server:\n  port: 9000\nregistries:\n  r.example.com:\n    username: u\n    password: p\n');
    const cfg = loadConfig({ file: f, env: { CUSTOMS_PORT: '9100', CUSTOMS_DATA: dir, CUSTOMS_INSECURE_REGISTRIES: 'a:5000, b' } });
    expect(cfg.server.port).toBe(9100);
    expect(cfg.dataDir).toBe(dir);
    expect(cfg.database.url).toBe(`file:${join(dir, 'customs.db')}`);
    expect(cfg.registries['r.example.com']).toMatchObject({ username: 'u', password: 'p', insecure: false });
    expect(cfg.registries['a:5000']!.insecure).toBe(true);
    expect(cfg.registries.b!.insecure).toBe(true);
  });

  it('names the field and the reason when a value is wrong', () => {
    const f = join(dir, 'bad.json');
    writeFileSync(f, JSON.stringify({ server: { port: 'eighty' }, limits: { maxCompressionRatio: 1 }, typo: true }));
    let err: unknown;
    try { loadConfig({ file: f, env: {} }); } catch (e) { err = e; }
    expect(err).toBeInstanceOf(CustomsError);
    const e = err as CustomsError;
    expect(e.kind).toBe('config');
    expect(e.exitCode).toBe(3);
    expect(e.message).toMatch(/server\.port/);
    expect(e.message).toMatch(/limits\.maxCompressionRatio/);
    expect(e.message).toMatch(/typo/);
  });

  it('refuses a non-numeric port from the environment and a bad database URL', () => {
    expect(() => loadConfig({ env: { CUSTOMS_PORT: 'x' } })).toThrow(/server\.port/);
    expect(() => loadConfig({ env: { CUSTOMS_DB_URL: 'mysql://x' } })).toThrow(/database\.url.*postgres:\/\//);
    expect(loadConfig({ env: { CUSTOMS_DB_URL: 'postgresql://u:p@db.example:5432/customs' } }).database).toMatchObject({ url: 'postgresql://u:p@db.example:5432/customs', postgres: { poolSize: 10 } });
  });

  it('reports a missing or unparsable file clearly', () => {
    expect(() => loadConfig({ file: join(dir, 'nope.yaml'), env: {} })).toThrow(/cannot read configuration file .*nope\.yaml: ENOENT/);
    const f = join(dir, 'broken.yaml');
    writeFileSync(f, 'server: [unclosed');
    expect(() => loadConfig({ file: f, env: {} })).toThrow(/not valid YAML/);
  });

  it('refuses the removed gate.bypassUsers, saying what to use instead, and checks gate.bypass entries', () => {
    const f = join(dir, 'gate.yaml');
    writeFileSync(f, 'gate:\n  enabled: true\n  bypassUsers: [customs]\n');
    let err: unknown;
    try { loadConfig({ file: f, env: {} }); } catch (e) { err = e; }
    expect(err).toBeInstanceOf(CustomsError);
    expect((err as CustomsError).exitCode).toBe(3);
    expect((err as CustomsError).message).toMatch(/gate\.bypassUsers: no longer accepted: it trusted the user name without checking a password\. Use gate\.bypass: \[\{ user: NAME, passwordFile: PATH \}\]/);
    writeFileSync(f, 'gate:\n  bypass:\n    - { user: customs }\n    - { user: "a:b", passwordHash: "sha256:abc" }\n    - { user: ci, passwordEnv: CI_SECRET, passwordFile: /run/secret }\n');
    let msg = '';
    try { loadConfig({ file: f, env: {} }); } catch (e) { msg = (e as Error).message; }
    expect(msg).toMatch(/gate\.bypass\[0\]: give exactly one of passwordHash, passwordFile, passwordEnv/);
    expect(msg).toMatch(/gate\.bypass\[1\]\.user: a Basic-auth user name/);
    expect(msg).toMatch(/gate\.bypass\[1\]\.passwordHash: must be "sha256:" and 64 lower-case hex digits/);
    expect(msg).toMatch(/gate\.bypass\[2\]: give exactly one of/);
    writeFileSync(f, `gate:\n  bypass:\n    - { user: customs, passwordHash: "sha256:${'ab'.repeat(32)}" }\n    - { user: ci, passwordEnv: CI_SECRET }\n`);
    expect(loadConfig({ file: f, env: {} }).gate.bypass).toEqual([{ user: 'customs', passwordHash: `sha256:${'ab'.repeat(32)}` }, { user: 'ci', passwordEnv: 'CI_SECRET' }]);
  });

  it('requires webhooks.sources.zot.registry (zot never names its host), and checks every source\'s registry', async () => {
    const f = join(dir, 'zot.yaml');
    writeFileSync(f, 'webhooks:\n  sources:\n    zot: { secret: "0123456789abcdef" }\n');
    const err = await caught(Promise.resolve().then(() => loadConfig({ file: f, env: {} })));
    expect(err.exitCode).toBe(3);
    expect(err.message).toMatch(/webhooks\.sources\.zot\.registry: required: zot events do not say which host they come from \(their source is always "zotregistry\.dev"\)/);
    // the same through `customs serve`: exit 3 before anything listens
    const cli = await customsCli(mkdtempSync(join(tmpdir(), 'customs-zot-')))(['serve', '--config', f]);
    expect(cli.code).toBe(3);
    expect(cli.stderr).toMatch(/webhooks\.sources\.zot\.registry: required/);
    writeFileSync(f, 'webhooks:\n  sources:\n    zot: { registry: "https://zot.internal" }\n    harbor: { registry: "harbor.internal:443" }\n');
    expect(() => loadConfig({ file: f, env: {} })).toThrow(/webhooks\.sources\.zot\.registry: a registry host\[:port\] as in image references/);
    writeFileSync(f, 'webhooks:\n  sources:\n    zot: { registry: "zot.internal:5000" }\n');
    expect(loadConfig({ file: f, env: {} }).webhooks.sources.zot!.registry).toBe('zot.internal:5000');
  }, 30_000);
});
