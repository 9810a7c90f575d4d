// Secret rules and scanner: every rule finds a freshly generated real-format value; examples, docs,
// public keys and this machine's own /etc and /usr/share/doc do not alert; hostile inputs stay bounded.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { makeSecretsAnalyzer, skippedBySecretScan } from '../src/analyzers/secrets.ts';
import { compileScanner, fingerprintSecret, getDefaultScanner, isAllowedPath, maskSecret, scanText } from '../src/secrets/scan.ts';
import { scanImageConfig } from '../src/secrets/config-scan.ts';
import { configSchema } from '../src/config/schema.ts';
import { configuredAnalyzers } from '../src/analyzers/configured.ts';
import { inventoryAnalyzers } from '../src/ecosystems/index.ts';
import { analyzeLayer } from '../src/image/layer-walker.ts';
import { digestOf } from '../src/util/digest.ts';
import { chunked, gzip, makeTar } from './helpers/tar.ts';
import { crcToken, gcpServiceAccountJson, generateKeys, githubTokenChecksumOk, jwt, rand, tokens } from './helpers/secret-fixtures.ts';

const scanner = getDefaultScanner();
const rules = (text: string) => scanText(scanner, text).map((h) => h.rule);
const keys = generateKeys();

describe('secret rules', () => {
  it('find each kind of credential in realistic files', () => {
    const t = tokens();
    expect(githubTokenChecksumOk(t['github-token'])).toBe(true);
    const cases: [string, string][] = [
      [`[default]\naws_access_key_id = ${t['aws-access-key-id']}\n`, 'aws-access-key-id'],
      [`aws_secret_access_key = ${t['aws-secret-access-key']}\n`, 'aws-secret-access-key'],
      [`AZURE_STORAGE_CONNECTION_STRING="DefaultEndpointsProtocol=https;AccountName=acmeprod;AccountKey=${t['azure-storage-key']};EndpointSuffix=core.windows.net"`, 'azure-storage-key'],
      [`//npm.pkg.github.com/:_authToken=${t['github-token']}`, 'github-token'],
      [`oauth: ${t['github-oauth']}`, 'github-token'],
      [`GH_APP=${t['github-app']}`, 'github-token'],
      [`token: ${t['github-fine-grained-pat']}`, 'github-fine-grained-pat'],
      [`CI_TOKEN=${t['gitlab-pat']}`, 'gitlab-pat'],
      [`//registry.npmjs.org/:_authToken=${t['npm-token']}`, 'npm-token'],
      [`[pypi]\nusername = __token__\npassword = ${t['pypi-token']}\n`, 'pypi-token'],
      [`docker login -u acme -p ${t['dockerhub-pat']}`, 'dockerhub-pat'],
      [`SLACK_BOT=${t['slack-token']}`, 'slack-token'],
      [`url = "https://${t['slack-webhook']}"`, 'slack-webhook'],
      [`Stripe.api_key = '${t['stripe-key']}'`, 'stripe-key'],
      [`TWILIO_ACCOUNT_SID=AC0123\nTWILIO_API_KEY=${t['twilio-api-key']}`, 'twilio-api-key'],
      [`sendgrid: ${t['sendgrid-api-key']}`, 'sendgrid-api-key'],
      [`Authorization: Bearer ${t.jwt}`, 'jwt'],
      [`DATABASE_URL=postgres://app:${t['database-url-password']}@db.internal:5432/app`, 'database-url-password'],
      [`db.password=${t['generic-password']}`, 'generic-password'],
      [keys.rsaPem, 'private-key'],
      [keys.ecPem, 'private-key'],
      [keys.opensshKey, 'private-key'],
      [gcpServiceAccountJson(keys.rsaPem), 'gcp-service-account'],
    ];
    for (const [text, rule] of cases) expect(rules(text), `${rule} in ${text.slice(0, 60)}`).toContain(rule);
  });

  it('never returns the value: masked form and fingerprint only, the same for the same leak', () => {
    const t = tokens()['stripe-key'];
    const [a] = scanText(scanner, `key=${t}\n`);
    const [b] = scanText(scanner, `\n\nother: "${t}"`);
    expect(JSON.stringify(a)).not.toContain(t);
    expect(a!.masked).toBe(maskSecret(t));
    expect(a!.masked).toMatch(/^sk_l\*+.{4}$/);
    expect(a!.fingerprint).toBe(fingerprintSecret(t));
    expect(b!.fingerprint).toBe(a!.fingerprint);
    expect([a!.line, b!.line]).toEqual([1, 3]);
  });

  it('do not alert on examples, placeholders, references or public keys', () => {
    const fp = [
      'aws_access_key_id = AKIAIOSFODNN7EXAMPLE\naws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY',
      'password=changeme', 'PASSWORD=xxxxxxxxxxxx', 'api_key: <your-api-key-here>', 'token = ${GITHUB_TOKEN}',
      'password = self.config.password', 'secret: {{ .Values.secret }}', 'DB_PASSWORD=$DB_PASSWORD', 'password = getpass()',
      'postgres://user:password@localhost/db', 'mysql://root:${MYSQL_ROOT_PASSWORD}@db/x', 'token=********',
      'password: "your_password_here"', 'The -----BEGIN RSA PRIVATE KEY----- header starts a PEM key.',
      keys.opensshPub, keys.rsaPublicPem, 'ghp_ is the prefix of GitHub tokens', 'SG.example',
      'password=1234', 'secret_key_base = Rails.application.secrets.secret_key_base',
      // real lines of Debian bookworm's perl-base Cwd.pm and python3.11 email/_header_value_parser.py
      '\t$newpwd = Win32::GetFullPathName($newdir);', "    token_type = 'bare-quoted-string'", 'password_file = /run/secrets/db-password-file',
    ];
    for (const text of fp) expect(rules(text), text.slice(0, 60)).toEqual([]);
  });

  it('custom rules and allow lists come from configuration', () => {
    const cfg = configSchema.parse({ secrets: { rules: [{ id: 'acme-token', title: 'ACME token', keywords: ['acme_'], regex: '\\b(acme_[a-z0-9]{24})\\b' }], allow: ['^acme_0{24}$'] } });
    const custom = compileScanner(cfg.secrets);
    expect(scanText(custom, 'x=acme_k3v9qz7m2w8x4pj6rt1yb5nd').map((h) => h.rule)).toEqual(['acme-token']);
    expect(scanText(custom, 'x=acme_000000000000000000000000')).toEqual([]);
    expect(() => configSchema.parse({ secrets: { rules: [{ id: 'bad', title: 'x', keywords: ['ab'], regex: '(' }] } })).toThrow(/valid regular expression/);
  });
});

describe('the misses and false alarms of issue 21', () => {
  const d = (n: number) => rand('0123456789', n);
  const an = (n: number) => rand('ABCDEFGHJKMNPQRSTUVWXYZabcdefghjkmnpqrstuvwxyz23456789', n);
  it('finds what the old rules missed', () => {
    const cases: [string, string][] = [
      ['api_key = "Xk29fLq_Wd83hZpR7mTc4vYb"', 'generic-password'],
      ['token: "abcDEFghiJKLmnoPQRstuVWX"', 'generic-password'],
      [JSON.stringify({ resources: [{ attributes: { private_key_pem: keys.rsaPem } }] }), 'private-key'],
      [`TLS_KEY="${keys.rsaPem.trim().replace(/\n/g, ' ')}"`, 'private-key'],
      [`SLACK=xoxa-2-${d(12)}-${d(13)}-${d(13)}-${an(20)}`, 'slack-token'],
      [`x: xoxe.xoxp-1-${an(165)}`, 'slack-token'],
      [`x: xoxe-1-${an(146)}`, 'slack-token'],
      [`t=ghs_${d(6)}_${jwt()}`, 'github-token'],
      [`url=https://x-access-token${crcToken('ghs')}@github.com`, 'github-token'],
      [`<config>\n  <apiToken>${an(24)}</apiToken>\n</config>`, 'generic-password'],
      [`var apiToken string = "${an(24)}"`, 'generic-password'],
      [`$dbPassword .= "${an(12)}!${an(8)}";`, 'generic-password'],
      [`API_TOKEN ::= ${an(24)}`, 'generic-password'],
      [`API_TOKEN ?= ${an(24)}`, 'generic-password'],
      [`System.setProperty("X_TOKEN","${an(24)}");`, 'generic-password'],
      [`curl -u admin:${an(16)} https://nexus.acme.io/x`, 'curl-auth-user'],
    ];
    for (const [text, rule] of cases) expect(rules(text), text.slice(0, 80)).toContain(rule);
  });

  it('does not alert on public sample keys, placeholders, redacted values and names that only contain a credential word', () => {
    const fp = [
      'const config = { apiKey: "AIzaSyDMAScliyLx7F0NPDEJi1QmyCgHIAODrlU" }', 'key=AIzaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa', 'key=AIzaSyabcdefghijklmnopqrstuvwxyz1234567',
      `token = "xoxp-${d(12)}-${d(12)}-${d(12)}-####################"`, 'password: [Redacted]', 'password = "[REDACTED]"',
      `publicToken = "pk_${an(24)}"`, `<meta name="csrf-token" content="${an(24)}">`, `keyVaultToStoreSecrets = "kv-prod-weu-01-${an(6)}"`,
      'notes = io.jsonwebtoken:jjwt-api:0.11.5', 'STRIPE_KEY=sk_test_4eC39HqLyjWDarjtT1zdp7dc',
    ];
    for (const text of fp) expect(rules(text), text).toEqual([]);
  });
});

describe('image config secrets', () => {
  it('finds secrets in env, labels, cmd and history, with the layer a history line made', () => {
    const t = tokens();
    const { secrets: found, config } = scanImageConfig(scanner, {
      env: ['PATH=/usr/bin', `NPM_TOKEN=${t['npm-token']}`],
      labels: { maintainer: 'ops', 'ci.token': t['gitlab-pat'] },
      cmd: ['sh', '-c', `curl -H "Authorization: Bearer ${t.jwt}" http://api`],
      history: [
        { createdBy: '/bin/sh -c #(nop) ADD file:abc in /' },
        { createdBy: `ARG GH=${t['github-token']}`, emptyLayer: true },
        { createdBy: `|1 GH=${t['github-token']} /bin/sh -c make` },
      ],
    }, [{ digest: 'sha256:' + 'a'.repeat(64) }, { digest: 'sha256:' + 'b'.repeat(64) }]);
    expect(found.map((s) => [s.path, s.rule, s.layerIndex])).toEqual([
      ['config:Env[1]', 'npm-token', undefined],
      ['config:Labels["ci.token"]', 'gitlab-pat', undefined],
      ['config:Cmd', 'jwt', undefined],
      ['history[1]', 'github-token', undefined],
      ['history[2]', 'github-token', 1],
    ]);
    expect(found.every((s) => s.visible && s.line === undefined)).toBe(true);
    // the config kept in the inventory carries masked values only
    expect(config.env).toEqual(['PATH=/usr/bin', `NPM_TOKEN=${found[0]!.masked}`]);
    expect(config.history![2]!.createdBy).toBe(`|1 GH=${found[4]!.masked} /bin/sh -c make`);
    const json = JSON.stringify(config);
    for (const v of [t['npm-token'], t['gitlab-pat'], t.jwt, t['github-token']]) expect(json).not.toContain(v);
  });
});

function* textFiles(dir: string, depth = 0): Generator<string> {
  if (depth > 12) return;
  let entries;
  try { entries = readdirSync(dir, { withFileTypes: true }); } catch { return; }
  for (const e of entries) {
    const p = join(dir, e.name);
    if (e.isDirectory()) yield* textFiles(p, depth + 1);
    else if (e.isFile()) yield p;
  }
}

/** Feed a file through the analyzer's sink as the layer walker would. */
async function analyzeFile(a: ReturnType<typeof makeSecretsAnalyzer>, path: string, content: Buffer) {
  const sink = a.openSink!({ path, size: content.length, mode: 0o644, uid: 0, gid: 0, type: 'file' });
  if (!sink) return null;
  for (let i = 0; i < content.length; i += 65536) if (sink.write(content.subarray(i, i + 65536)) === false) break;
  return sink.end();
}

describe('real Debian files', () => {
  it("this machine's /etc, /usr/share/doc, perl-base and python stdlib produce no secret findings", async () => {
    const a = makeSecretsAnalyzer();
    let scanned = 0, bytes = 0;
    const alerts: string[] = [];
    // Debian's own configuration, docs, perl-base and python3.x standard library (where code assigns
    // "passwords" and "tokens" that are not secrets)
    const stdlib = readdirSync('/usr/lib').filter((d) => /^python3\.\d+$/.test(d)).map((d) => `/usr/lib/${d}`);
    for (const root of ['/etc', '/usr/share/doc', '/usr/lib/x86_64-linux-gnu/perl-base', ...stdlib]) {
      for (const p of textFiles(root)) {
        let st; try { st = statSync(p); } catch { continue; }
        if (st.size === 0 || st.size > 2 * 1024 * 1024) continue;
        let content; try { content = readFileSync(p); } catch { continue; }
        // the skip list would hide /usr/share/doc: scan it as if it were an application's directory
        const asApp = root === '/usr/share/doc' ? '/srv/app' + p.slice(root.length) : p;
        const f = await analyzeFile(a, asApp, content);
        if (f === null && !skippedBySecretScan(asApp) && !isAllowedPath(a.scanner, asApp)) { scanned++; bytes += content.length; }
        if (f?.secrets?.length) alerts.push(`${p}: ${f.secrets.map((s) => s.rule).join(',')}`);
      }
    }
    expect(alerts).toEqual([]);
    expect(scanned).toBeGreaterThan(100);
    expect(bytes).toBeGreaterThan(1_000_000);
  }, 60_000);
});

describe('hostile input stays bounded', () => {
  it('pathological texts scan in bounded time', () => {
    const mb = 2 * 1024 * 1024;
    const inputs = [
      '-----BEGIN RSA PRIVATE KEY-----\n'.repeat(mb / 32),
      ('-----BEGIN PRIVATE KEY-----\n' + 'A'.repeat(79) + '\n').repeat(mb / 110),
      'password='.repeat(mb / 9),
      'password= ' + 'a'.repeat(mb),
      'eyJ' + 'a'.repeat(mb),
      ('eyJ' + 'a'.repeat(20) + '.').repeat(mb / 24),
      'AccountKey=' + 'A'.repeat(mb),
      'twilio '.repeat(mb / 7),
      'postgres://' + 'a:'.repeat(mb / 2),
      '"private_key": "-----BEGIN PRIVATE KEY-----\\n' + ('A'.repeat(64) + '\\n').repeat(mb / 66),
      'x'.repeat(mb),
    ];
    for (const text of inputs) {
      const t0 = performance.now();
      const hits = scanText(scanner, text);
      const ms = performance.now() - t0;
      expect(hits.length).toBeLessThanOrEqual(100);
      expect(ms, `${text.slice(0, 30)}…: ${ms.toFixed(0)} ms`).toBeLessThan(3000);
    }
  }, 60_000);

  it('skips binaries, oversized files and distribution docs; deep paths are scanned', async () => {
    const a = makeSecretsAnalyzer({ maxFileBytes: 64 * 1024 });
    const secret = `GH=${tokens()['github-token']}\n`;
    const binary = Buffer.concat([Buffer.from([0x7f, 0x45, 0x4c, 0x46, 0]), Buffer.from(secret)]);
    expect(await analyzeFile(a, '/app/bin/tool', binary)).toBeNull();
    expect(a.openSink!({ path: '/app/big.txt', size: 64 * 1024 + 1, mode: 0o644, uid: 0, gid: 0, type: 'file' })).toBeNull();
    expect(a.openSink!({ path: '/usr/share/doc/x/README', size: 10, mode: 0o644, uid: 0, gid: 0, type: 'file' })).toBeNull();
    // a header that lies about the size: the sink stops once the cap is passed
    const sink = a.openSink!({ path: '/app/liar.txt', size: 10, mode: 0o644, uid: 0, gid: 0, type: 'file' })!;
    let writes = 0;
    for (let i = 0; i < 100; i++) { writes++; if (sink.write(Buffer.alloc(8192, 0x61)) === false) break; }
    expect(writes).toBeLessThan(10);
    expect(await sink.end()).toBeNull();
    const deep = '/app' + '/d'.repeat(500) + '/.env';
    expect((await analyzeFile(a, deep, Buffer.from(secret)))?.secrets?.map((s) => s.rule)).toEqual(['github-token']);
  });

  it('through the layer walker: a 50 MB single line, a long pathological line, deep paths, a binary', async () => {
    const tok = tokens()['github-token'];
    const layer = gzip(await makeTar([
      { path: 'app/huge.log', content: Buffer.alloc(50 * 1024 * 1024, 0x61).fill(`x=${tok}`, 50 * 1024 * 1024 - 50) },
      { path: 'app/line.txt', content: 'password='.repeat(200_000) + `\ntoken=${tok}\n` },
      { path: 'app' + '/deep'.repeat(300) + '/.env', content: `GH=${tok}\n` },
      { path: 'app/tool', content: Buffer.concat([Buffer.from([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1, 0]), Buffer.from(`k=${tok}`)]), mode: 0o755 },
    ]));
    const desc = { mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', digest: digestOf(layer), size: layer.length };
    const t0 = performance.now();
    const r = await analyzeLayer(chunked(layer), desc, configuredAnalyzers(configSchema.parse({}), inventoryAnalyzers()).analyzers, configSchema.parse({}).limits);
    expect(performance.now() - t0).toBeLessThan(10_000);
    const found = Object.entries(r.files).filter(([, fs]) => fs.some((f) => f.secrets?.length)).map(([p]) => p.length > 40 ? p.slice(0, 10) + '…' + p.slice(-10) : p);
    // the 50 MB file is over secrets.maxFileBytes and the binary stops at its first KB: not scanned
    expect(found.sort()).toEqual(['/app/deep/…/deep/.env', '/app/line.txt']);
  }, 60_000);
});
