// Deploy time: `customs verify` (bin/customs) reads the verdict attestations Customs wrote into a
// real registry — referrers and legacy .att alike — with only the public key, no Customs server.
import { execFile, execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { publishAttestations } from '../src/attest/publish.ts';
import { loadSigner } from '../src/signing/key.ts';
import type { Config } from '../src/config/schema.ts';
import { openDatabase, type Database } from '../src/db/client.ts';
import { parsePolicy } from '../src/policy/parse.ts';
import { PolicyStore } from '../src/policy/store.ts';
import { evaluateReport } from '../src/policy/verdicts.ts';
import { RegistryClient } from '../src/registry/client.ts';
import { scanImage } from '../src/scan/scan-image.ts';
import { pushDebianImage } from './helpers/push.ts';
import { startRegistry, testConfig, type TestRegistry } from './helpers/registry.ts';

const ROOT = resolve(import.meta.dirname, '..');

let work: string;
let reg: TestRegistry;
let cfg: Config;
let database: Database;
let client: RegistryClient;
let pubKey: string;

function customs(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((res) => {
    execFile(join(ROOT, 'bin/customs'), args, { env: { ...process.env, CUSTOMS_DATA: join(work, 'verifier'), CUSTOMS_LOG_LEVEL: 'warn' } },
      (err, stdout, stderr) => res({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr }));
  });
}

async function publish(repo: string, tag: string, pkgs: [string, string][], format: 'both' | 'legacy' | 'referrers') {
  const img = await pushDebianImage(client, reg.host, repo, tag, pkgs);
  const c = { ...cfg, attestations: { ...cfg.attestations, format } };
  const report = await scanImage(`${reg.host}/${repo}:${tag}`, { cfg: c, database });
  const image = { registry: reg.host, repository: repo, digest: report.rootDigest };
  const verdict = evaluateReport(report, image, await new PolicyStore(database).governing(reg.host, repo));
  expect(await publishAttestations({ client, signer: loadSigner(c), cfg: c }, image, report, verdict)).toBeDefined();
  return img;
}

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'customs-verify-'));
  reg = await startRegistry();
  cfg = testConfig({ dataDir: work, database: { url: `file:${join(work, 'customs.db')}` }, attestations: { enabled: true } });
  database = await openDatabase(cfg);
  client = new RegistryClient(cfg);
  await new PolicyStore(database).apply(parsePolicy(`apiVersion: customs.dev/v1
kind: Policy
metadata: { name: deploy }
spec:
  rules: [{ type: deny-packages, packages: ["telnetd"] }, { type: deny-packages, packages: ["curl"], outcome: warn }]
`), { actor: 'test' });
  pubKey = join(work, 'customs.pub');
}, 60_000);

afterAll(async () => {
  await client?.close();
  database?.close();
  await reg?.stop();
});

describe('customs verify', () => {
  it('accepts a passing image from either layout, refuses fail, warn (unless allowed), stale verdicts and other keys', async () => {
    // the key exists once something was signed: sign first, then export the public half
    const good = await publish('deploy/api', 'ok', [['libc6', '2.36-9']], 'referrers');
    writeFileSync(pubKey, execFileSync('openssl', ['pkey', '-in', join(work, 'signing-key.pem'), '-pubout'], { encoding: 'utf8' }));
    const ok = await customs(['verify', `${reg.host}/deploy/api:ok`, '--key', pubKey]);
    expect(ok.stdout, ok.stderr).toMatch(new RegExp(`deploy/api@${good.manifestDigest}\\n  verdict pass under policy deploy@1 \\(enforce\\), database none, evaluated \\S+, signed by \\S+customs\\.pub \\(referrer\\)\\naccepted\\n$`));
    expect(ok.code).toBe(0);

    const legacy = await publish('deploy/api', 'legacy', [['libc6', '2.36-9'], ['coreutils', '9.1-1']], 'legacy');
    const l = await customs(['verify', `${reg.host}/deploy/api@${legacy.manifestDigest}`, '--key', pubKey, '--format', 'json']);
    expect(l.code).toBe(0);
    expect(JSON.parse(l.stdout)).toMatchObject({ acceptable: true, source: 'att', verdict: { verdict: 'pass', policy: { name: 'deploy' } } });

    await publish('deploy/api', 'bad', [['telnetd', '0.17-44']], 'both');
    const bad = await customs(['verify', `${reg.host}/deploy/api:bad`, '--key', pubKey]);
    expect(bad.code).toBe(1);
    expect(bad.stdout).toMatch(/linux\/amd64: fail: denied package: telnetd 0\.17-44\nNOT ACCEPTED: the verdict is fail\n$/);

    await publish('deploy/api', 'warn', [['curl', '7.88.1-10']], 'both');
    expect((await customs(['verify', `${reg.host}/deploy/api:warn`, '--key', pubKey])).stdout).toMatch(/NOT ACCEPTED: the verdict is warn and --require is pass/);
    expect((await customs(['verify', `${reg.host}/deploy/api:warn`, '--key', pubKey, '--require', 'warn'])).code).toBe(0);

    await new Promise((r) => setTimeout(r, 2100));
    const stale = await customs(['verify', `${reg.host}/deploy/api:ok`, '--key', pubKey, '--max-age', '2s']);
    expect(stale.code).toBe(1);
    expect(stale.stdout).toMatch(/NOT ACCEPTED: the verdict is \d+ minutes old, more than --max-age allows/);

    const other = join(work, 'other.pem');
    execFileSync('openssl', ['ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', other]);
    const otherPub = join(work, 'other.pub');
    writeFileSync(otherPub, execFileSync('openssl', ['pkey', '-in', other, '-pubout'], { encoding: 'utf8' }));
    const wrong = await customs(['verify', `${reg.host}/deploy/api:ok`, '--key', otherPub]);
    expect(wrong.code).toBe(1);
    expect(wrong.stdout).toMatch(/rejected referrer sha256:[0-9a-f]{64}: signature not valid for any trusted key/);
    expect(wrong.stdout).toMatch(/NOT ACCEPTED: no verdict attestation signed by this key is about this image/);
  }, 180_000);

  it('refuses bad usage clearly', async () => {
    expect(await customs(['verify', `${reg.host}/deploy/api:ok`])).toMatchObject({ code: 2, stderr: expect.stringMatching(/needs --key FILE/) });
    expect(await customs(['verify', `${reg.host}/deploy/api:ok`, '--key', join(work, 'missing.pub')])).toMatchObject({ code: 2, stderr: expect.stringMatching(/cannot use --key .*ENOENT/) });
    expect(await customs(['verify', `${reg.host}/deploy/api:ok`, '--key', pubKey, '--max-age', 'soon'])).toMatchObject({ code: 2, stderr: expect.stringMatching(/--max-age must be/) });
    expect(await customs(['verify', `${reg.host}/deploy/api:ok`, '--key', pubKey, '--require', 'maybe'])).toMatchObject({ code: 2 });
    expect((await customs(['verify', `${reg.host}/deploy/api:nope`, '--key', pubKey])).code).toBe(4);
  }, 60_000);
});
