import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CustomsError } from '../src/errors.ts';
import { dockerConfigPath, lookupCredentials } from '../src/registry/credentials.ts';

const dir = mkdtempSync(join(tmpdir(), 'customs-creds-'));
const bin = join(dir, 'bin');
mkdirSync(bin);
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const env = { ...process.env, PATH: `${bin}:${process.env.PATH}` };

function dockerConfig(name: string, doc: object): string {
  const p = join(dir, `${name}.json`);
  writeFileSync(p, JSON.stringify(doc));
  return p;
}
function helper(name: string, script: string): void {
  const p = join(bin, `docker-credential-${name}`);
  writeFileSync(p, `#!/bin/sh\n${script}\n`);
  chmodSync(p, 0o755);
}
const lookup = (host: string, path: string) => lookupCredentials(host, { registries: {}, dockerConfig: path }, env);

describe('credential lookup', () => {
  it('finds Docker Hub credentials under the legacy index URL key', async () => {
    const p = dockerConfig('hub', { auths: { 'https://index.docker.io/v1/': { auth: Buffer.from('hubuser:hubpw').toString('base64') } } });
    expect(await lookup('docker.io', p)).toEqual({ username: 'hubuser', password: 'hubpw', source: 'docker config' });
    expect((await lookup('ghcr.io', p)).source).toBe('anonymous');
  });

  it('reads username/password and identitytoken entries, keys as hosts or URLs', async () => {
    const p = dockerConfig('plain', { auths: { 'ghcr.io': { username: 'u', password: 'p:with:colons' }, 'https://quay.io': { identitytoken: 'refresh-1' } } });
    expect(await lookup('ghcr.io', p)).toMatchObject({ username: 'u', password: 'p:with:colons' });
    expect(await lookup('quay.io', p)).toMatchObject({ identityToken: 'refresh-1' });
  });

  it('uses credsStore, passing the host on stdin; "<token>" usernames are identity tokens', async () => {
    helper('store', 'read h; case "$h" in reg.example) echo \'{"Username":"<token>","Secret":"idt"}\';; https://index.docker.io/v1/) echo \'{"Username":"hub","Secret":"s"}\';; *) echo "credentials not found in native keychain"; exit 1;; esac');
    const p = dockerConfig('store', { credsStore: 'store' });
    expect(await lookup('reg.example', p)).toEqual({ identityToken: 'idt', source: 'credential helper store' });
    expect(await lookup('docker.io', p)).toMatchObject({ username: 'hub', password: 's' });
    // helper has nothing for this host: anonymous, like docker
    expect((await lookup('other.example', p)).source).toBe('anonymous');
  });

  it('turns a failing or garbled helper into a clear auth error', async () => {
    helper('garbled', 'echo not json');
    helper('crash', 'echo boom >&2; exit 2');
    for (const name of ['garbled', 'crash', 'absent']) {
      const p = dockerConfig(`h-${name}`, { credHelpers: { 'reg.example': name } });
      let err: unknown;
      try { await lookup('reg.example', p); } catch (e) { err = e; }
      expect(err).toBeInstanceOf(CustomsError);
      expect((err as CustomsError).kind).toBe('auth');
      expect((err as CustomsError).message).toContain(`docker-credential-${name}`);
    }
  });

  it('refuses a malformed config and resolves the config path', async () => {
    const p = join(dir, 'bad.json');
    writeFileSync(p, '{"auths": ');
    await expect(lookup('x.example', p)).rejects.toMatchObject({ kind: 'config' });
    expect(dockerConfigPath({}, { DOCKER_CONFIG: '/d' })).toBe('/d/config.json');
    expect(dockerConfigPath({ dockerConfig: '/c.json' }, { DOCKER_CONFIG: '/d' })).toBe('/c.json');
  });
});
