import { randomBytes } from 'node:crypto';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CustomsError } from '../src/errors.ts';
import { RegistryClient } from '../src/registry/client.ts';
import { pushImage } from './helpers/push.ts';
import { startRegistry, testConfig, type TestRegistry } from './helpers/registry.ts';

const cfgJson = { architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [] } };

async function caught(p: Promise<unknown>): Promise<CustomsError> {
  try { await p; } catch (e) { if (e instanceof CustomsError) return e; throw e; }
  throw new Error('expected a CustomsError');
}

const clients: RegistryClient[] = [];
function clientFor(registries: Record<string, object> = {}, extra: Record<string, any> = {}, env?: NodeJS.ProcessEnv): RegistryClient {
  const c = new RegistryClient(testConfig({ registries, dockerConfig: '/nonexistent/config.json', ...extra }), env ? { env } : {});
  clients.push(c);
  return c;
}
const tmp = mkdtempSync(join(tmpdir(), 'customs-auth-test-'));
afterAll(async () => {
  await Promise.all(clients.map((c) => c.close()));
  rmSync(tmp, { recursive: true, force: true });
});

describe('basic auth (htpasswd)', () => {
  let reg: TestRegistry;
  beforeAll(async () => { reg = await startRegistry({ auth: 'htpasswd', users: { alice: { password: 's3cret-pw' } } }); });
  afterAll(async () => { await reg?.stop(); });

  it('pushes and pulls with the right password', async () => {
    const c = clientFor({ [reg.host]: { username: 'alice', password: 's3cret-pw' } });
    const img = await pushImage(c, reg.host, 'lab/app', 'v1', { layers: [{ data: randomBytes(100) }], config: cfgJson });
    expect((await c.getManifest(reg.host, 'lab/app', 'v1', 1 << 20)).digest).toBe(img.manifestDigest);
  });

  it('refuses a wrong password with an auth error naming registry and scope, without leaking it', async () => {
    const c = clientFor({ [reg.host]: { username: 'alice', password: 'wrong-pw' } });
    const e = await caught(c.getManifest(reg.host, 'lab/app', 'v1', 1 << 20));
    expect(e.kind).toBe('auth');
    expect(e.message).toContain(`authentication to ${reg.host} refused for scope repository:lab/app:pull`);
    expect(e.message).not.toContain('wrong-pw');
    expect(e.exitCode).toBe(6);
  });

  it('refuses anonymous access clearly', async () => {
    const e = await caught(clientFor().getManifest(reg.host, 'lab/app', 'v1', 1 << 20));
    expect(e.kind).toBe('auth');
    expect(e.message).toContain(reg.host);
    expect(e.message).toContain('no credentials configured');
  });

  it('reads docker config.json auths (base64, URL keys) and credential helpers', async () => {
    const dir = join(tmp, 'dockercfg');
    const bin = join(tmp, 'bin');
    for (const d of [dir, bin]) rmSync(d, { recursive: true, force: true });
    const { mkdirSync } = await import('node:fs');
    mkdirSync(dir); mkdirSync(bin);
    const auth = Buffer.from('alice:s3cret-pw').toString('base64');
    writeFileSync(join(dir, 'config.json'), JSON.stringify({ auths: { [`http://${reg.host}/v2/`]: { auth } } }));
    const c1 = clientFor({}, { dockerConfig: join(dir, 'config.json') });
    expect((await c1.getManifest(reg.host, 'lab/app', 'v1', 1 << 20)).bytes.length).toBeGreaterThan(0);

    // credHelpers: a tiny helper that answers for this host only; it gets the host on stdin
    const helper = join(bin, 'docker-credential-test');
    writeFileSync(helper, `#!/bin/sh\n[ "$1" = get ] || exit 3\nread host\nif [ "$host" = "${reg.host}" ]; then echo '{"ServerURL":"'$host'","Username":"alice","Secret":"s3cret-pw"}'; else echo "credentials not found in native keychain"; exit 1; fi\n`);
    chmodSync(helper, 0o755);
    writeFileSync(join(dir, 'helpers.json'), JSON.stringify({ credHelpers: { [reg.host]: 'test' }, auths: { [reg.host]: { auth: Buffer.from('alice:wrong').toString('base64') } } }));
    const env = { ...process.env, PATH: `${bin}:${process.env.PATH}` };
    const c2 = clientFor({}, { dockerConfig: join(dir, 'helpers.json') }, env);
    expect((await c2.getManifest(reg.host, 'lab/app', 'v1', 1 << 20)).bytes.length).toBeGreaterThan(0);

    // a helper that fails for another reason is a clear auth error, not a silent anonymous pull
    writeFileSync(join(dir, 'broken.json'), JSON.stringify({ credHelpers: { [reg.host]: 'missing-helper' } }));
    const e = await caught(clientFor({}, { dockerConfig: join(dir, 'broken.json') }, env).getManifest(reg.host, 'lab/app', 'v1', 1 << 20));
    expect(e.kind).toBe('auth');
    expect(e.message).toContain('docker-credential-missing-helper');

    // customs config wins over docker config
    const c3 = clientFor({ [reg.host]: { username: 'alice', password: 'wrong' } }, { dockerConfig: join(dir, 'config.json') });
    expect((await caught(c3.getManifest(reg.host, 'lab/app', 'v1', 1 << 20))).kind).toBe('auth');
  });
});

describe('token auth', () => {
  let reg: TestRegistry;
  beforeAll(async () => {
    reg = await startRegistry({
      auth: 'token',
      users: {
        alice: { password: 'alice-pw', refreshToken: 'alice-refresh' },
        bob: { password: 'bob-pw', access: { 'team/*': ['pull', 'push'] } },
      },
    });
    const c = clientFor({ [reg.host]: { username: 'alice', password: 'alice-pw' } });
    await pushImage(c, reg.host, 'lab/app', 'v1', { layers: [{ data: randomBytes(1000) }], config: cfgJson });
  });
  afterAll(async () => { await reg?.stop(); });

  it('fetches a token once per scope and reuses it', async () => {
    const c = clientFor({ [reg.host]: { username: 'alice', password: 'alice-pw' } });
    const before = reg.tokenRequests();
    const m = await c.getManifest(reg.host, 'lab/app', 'v1', 1 << 20);
    await c.getManifest(reg.host, 'lab/app', m.digest, 1 << 20);
    await c.headManifest(reg.host, 'lab/app', 'v1');
    await c.listTags(reg.host, 'lab/app');
    expect(reg.tokenRequests() - before).toBe(1);
    expect(reg.tokenScopes().at(-1)).toBe('repository:lab/app:pull');
  });

  it('shares one token request among parallel first requests', async () => {
    const c = clientFor({ [reg.host]: { username: 'alice', password: 'alice-pw' } });
    const before = reg.tokenRequests();
    const all = await Promise.all(Array.from({ length: 6 }, () => c.getManifest(reg.host, 'lab/app', 'v1', 1 << 20)));
    expect(new Set(all.map((m) => m.digest)).size).toBe(1);
    expect(reg.tokenRequests() - before).toBe(1);
  });

  it('views of one process client (one per job) share its token cache and pools; own credentials get their own; a view\'s deadline and close are its own', async () => {
    const c = clientFor({ [reg.host]: { username: 'alice', password: 'alice-pw' } });
    const before = reg.tokenRequests();
    const job1 = c.scoped({ signal: new AbortController().signal }), job2 = c.scoped();
    const m = await job1.getManifest(reg.host, 'lab/app', 'v1', 1 << 20);
    expect(await job2.headManifest(reg.host, 'lab/app', 'v1')).toBe(m.digest);
    expect(await c.headManifest(reg.host, 'lab/app', 'v1')).toBe(m.digest);
    expect(reg.tokenRequests() - before).toBe(1); // one token for the process, not one per job

    // a job that brings credentials (Harbor's robot account) never uses a token fetched with others'
    const robot = c.scoped({ credentials: { [reg.host]: { username: 'bob', password: 'bob-pw', source: 'test robot' } } });
    expect((await caught(robot.getManifest(reg.host, 'lab/app', 'v1', 1 << 20))).kind).toBe('auth');

    // a job past its deadline fails alone; closing a view leaves the process client working
    const ac = new AbortController();
    ac.abort(new Error('the scan deadline'));
    const late = c.scoped({ signal: ac.signal });
    await expect(late.getManifest(reg.host, 'lab/app', 'v1', 1 << 20)).rejects.toThrow();
    await job1.close();
    await late.close();
    expect(await c.headManifest(reg.host, 'lab/app', 'v1')).toBe(m.digest);
    expect(await job2.headManifest(reg.host, 'lab/app', 'v1')).toBe(m.digest);
    expect(reg.tokenRequests() - before).toBe(2); // the robot's own token only
  });

  it('refuses a user limited to team/* for another repository, naming the scope', async () => {
    const c = clientFor({ [reg.host]: { username: 'bob', password: 'bob-pw' } });
    const e = await caught(c.getManifest(reg.host, 'lab/app', 'v1', 1 << 20));
    expect(e.kind).toBe('auth');
    expect(e.message).toContain(`authentication to ${reg.host} refused for scope repository:lab/app:pull`);
    // ... but lets it work where it may
    const img = await pushImage(c, reg.host, 'team/x', 'a', { layers: [{ data: randomBytes(10) }], config: cfgJson });
    expect(await c.headManifest(reg.host, 'team/x', 'a')).toBe(img.manifestDigest);
  });

  it('refuses a bad password at the token server', async () => {
    const c = clientFor({ [reg.host]: { username: 'alice', password: 'nope' } });
    const e = await caught(c.getManifest(reg.host, 'lab/app', 'v1', 1 << 20));
    expect(e.kind).toBe('auth');
    expect(e.message).toContain('repository:lab/app:pull');
    expect(e.message).not.toContain('nope');
  });

  it('fetches a new token once the cached one has expired', async () => {
    const short = await startRegistry({ auth: 'token', tokenTtl: 2, users: { alice: { password: 'pw' } } });
    try {
      const c = clientFor({ [short.host]: { username: 'alice', password: 'pw' } });
      await pushImage(c, short.host, 'lab/ttl', 'v1', { layers: [{ data: randomBytes(10) }], config: cfgJson });
      const n = short.tokenRequests();
      await c.headManifest(short.host, 'lab/ttl', 'v1');
      await c.headManifest(short.host, 'lab/ttl', 'v1');
      expect(short.tokenRequests()).toBe(n); // pull token still cached
      await new Promise((r) => setTimeout(r, 1600)); // ttl 2 s minus the margin (ttl/4)
      await c.headManifest(short.host, 'lab/ttl', 'v1');
      expect(short.tokenRequests()).toBe(n + 1);
    } finally {
      await short.stop();
    }
  });

  it('uses a docker identitytoken as an OAuth2 refresh token', async () => {
    const dir = mkdtempSync(join(tmp, 'idt-'));
    writeFileSync(join(dir, 'config.json'), JSON.stringify({ auths: { [reg.host]: { identitytoken: 'alice-refresh' } } }));
    const c = clientFor({}, { dockerConfig: join(dir, 'config.json') });
    expect((await c.getManifest(reg.host, 'lab/app', 'v1', 1 << 20)).digest).toMatch(/^sha256:/);
  });
});
