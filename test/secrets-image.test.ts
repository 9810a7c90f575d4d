// Secrets end to end: an image pushed to a real registry with secrets in files (one deleted by a
// later layer), in the config's env and in the build history, next to files that must not alert.
import { mkdtempSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { takeInventory } from '../src/scan/inventory.ts';
import { scanJson } from '../src/report/json.ts';
import { toSarif } from '../src/report/sarif.ts';
import { findingsTable } from '../src/report/table.ts';
import { scanImage } from '../src/scan/scan-image.ts';
import { RegistryClient } from '../src/registry/client.ts';
import type { ImageInventory } from '../src/types.ts';
import { pushImage } from './helpers/push.ts';
import { startRegistry, testConfig, type TestRegistry } from './helpers/registry.ts';
import { gcpServiceAccountJson, generateKeys, tokens } from './helpers/secret-fixtures.ts';
import { gzip, makeTar } from './helpers/tar.ts';

const require = createRequire(import.meta.url);
const AjvDraft04 = require('ajv-draft-04').default as typeof import('ajv-draft-04').default;
const addFormats = require('ajv-formats').default as typeof import('ajv-formats').default;

let reg: TestRegistry;
let inv: ImageInventory;
const t = tokens();
const keys = generateKeys();
const work = mkdtempSync(join(tmpdir(), 'customs-secrets-'));

beforeAll(async () => {
  reg = await startRegistry({ auth: 'none' });
  const client = new RegistryClient(testConfig());
  const base = await makeTar([
    { path: 'etc/os-release', content: 'ID=debian\nVERSION_ID="12"\nVERSION_CODENAME=bookworm\n' },
    { path: 'app/.env', content: `NODE_ENV=production\nGITHUB_TOKEN=${t['github-token']}\n` },
    { path: 'root/.ssh/id_ed25519', content: keys.opensshKey, mode: 0o600 },
    { path: 'root/.ssh/id_ed25519.pub', content: keys.opensshPub },
    { path: 'app/config/service-account.json', content: gcpServiceAccountJson(keys.rsaPem) },
    // must not alert: docs, examples, test fixtures, public keys, distribution docs
    { path: 'app/README.md', content: `Set GITHUB_TOKEN=${t['github-token']} in your shell.\n` },
    { path: 'app/docs/aws.txt', content: 'aws_access_key_id = AKIAIOSFODNN7EXAMPLE\n' },
    { path: 'app/test/fixtures/server.pem', content: keys.rsaPem },
    { path: 'app/config/app.example', content: `password=${t['generic-password']}\n` },
    { path: 'etc/ssl/private/placeholder.txt', content: 'password=changeme\n' },
    { path: 'usr/share/doc/libfoo/copyright', content: keys.rsaPem },
  ]);
  const app = await makeTar([
    { path: 'app/.wh..env', content: '' },                        // deletes the .env of layer 0
    { path: 'app/settings.py', content: `DATABASES = {"default": "postgres://app:${t['database-url-password']}@db:5432/app"}\n` },
  ]);
  await pushImage(client, reg.host, 'secrets/app', 'v1', {
    layers: [{ data: gzip(base) }, { data: gzip(app) }],
    config: {
      architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [] },
      config: { Env: ['PATH=/usr/bin', `STRIPE_KEY=${t['stripe-key']}`], Cmd: ['node', 'server.js'] },
      history: [
        { created_by: '/bin/sh -c #(nop) ADD file:0123 in / ' },
        { created_by: `/bin/sh -c #(nop)  ARG NPM_TOKEN=${t['npm-token']}`, empty_layer: true },
        { created_by: `|1 NPM_TOKEN=${t['npm-token']} /bin/sh -c npm ci` },
      ],
    },
  });
  await client.close();
  const run = await takeInventory(`${reg.host}/secrets/app:v1`, testConfig({ dataDir: work }), { cache: false });
  inv = run.inventories[0]!;
}, 120_000);
afterAll(async () => { await reg?.stop(); });

describe('secrets in an image', () => {
  it('reports file, env and history secrets with where they are; the deleted file with its layer', () => {
    const got = inv.secrets!.map((s) => [s.path, s.rule, s.layerIndex, s.visible]).sort((a, b) => String(a[0]).localeCompare(String(b[0])));
    expect(got).toEqual([
      ['/app/.env', 'github-token', 0, false],
      ['/app/config/service-account.json', 'gcp-service-account', 0, true],
      ['/app/settings.py', 'database-url-password', 1, true],
      ['/root/.ssh/id_ed25519', 'private-key', 0, true],
      ['config:Env[1]', 'stripe-key', undefined, true],
      ['history[1]', 'npm-token', undefined, true],
      ['history[2]', 'npm-token', 1, true],
    ]);
    const env = inv.secrets!.find((s) => s.path === '/app/.env')!;
    expect(env.line).toBe(2);
    expect(env.layer).toBe(inv.layers[0]!.digest);
    // the values themselves appear nowhere in the inventory
    const json = JSON.stringify(inv);
    for (const v of [t['github-token'], t['stripe-key'], t['npm-token'], t['database-url-password']]) expect(json).not.toContain(v);
  });

  it('the scan report carries them in its hygiene section, in JSON and in the table, masked', async () => {
    const report = await scanImage(`${reg.host}/secrets/app:v1`, { cfg: testConfig({ dataDir: work, database: { url: `file:${join(work, "customs.db")}` } }), cache: false });
    const h = report.platforms[0]!.hygiene!;
    expect(h.secrets).toHaveLength(7);
    expect(h.secrets[0]!.severity).toBe('critical');
    expect(h.config.map((c) => c.id)).toEqual(expect.arrayContaining(['secrets-in-env', 'secrets-in-history', 'root-user']));
    const json = JSON.stringify(scanJson(report));
    expect(JSON.parse(json).images[0].hygiene.secrets).toHaveLength(7);
    const table = findingsTable(report);
    expect(table).toContain('secrets: 7');
    expect(table).toContain('/app/.env (deleted later, still in the layer)');
    expect(table).toContain('configuration: ');
    for (const v of [t['github-token'], t['stripe-key'], t['npm-token']]) {
      expect(json).not.toContain(v);
      expect(table).not.toContain(v);
    }
  });

  it('SARIF carries secrets and configuration findings as results with rules of their own, values masked', async () => {
    const report = await scanImage(`${reg.host}/secrets/app:v1`, { cfg: testConfig({ dataDir: work, database: { url: `file:${join(work, 'customs.db')}` } }), cache: false });
    const sarif = toSarif(report) as any;
    const ajv = new AjvDraft04({ strict: false, allErrors: true });
    addFormats(ajv);
    const validate = ajv.compile(JSON.parse(readFileSync(join(import.meta.dirname, 'fixtures/schemas/sarif-2.1.0.schema.json'), 'utf8')));
    expect(validate(sarif), JSON.stringify(validate.errors?.slice(0, 3))).toBe(true);
    const run = sarif.runs[0];
    const rules = new Set(run.tool.driver.rules.map((r: any) => r.id));
    const secrets = run.results.filter((r: any) => r.ruleId.startsWith('secret/'));
    expect(secrets).toHaveLength(7);
    for (const r of secrets) expect(rules.has(r.ruleId)).toBe(true);
    const env = secrets.find((r: any) => r.ruleId === 'secret/github-token');
    expect(env.locations[0].physicalLocation).toEqual({ artifactLocation: { uri: 'app/.env' }, region: { startLine: 2 } });
    expect(env.properties).toMatchObject({ layerIndex: 0, layer: inv.layers[0]!.digest, visible: false });
    expect(env.message.text).toContain('deleted by a later layer');
    // config and history secrets are logical locations (no file holds them)
    expect(secrets.find((r: any) => r.ruleId === 'secret/stripe-key').locations[0].logicalLocations[0].fullyQualifiedName).toMatch(/ config:Env\[1\]$/);
    expect(run.results.map((r: any) => r.ruleId)).toEqual(expect.arrayContaining(['config/secrets-in-env', 'config/secrets-in-history', 'config/root-user']));
    const text = JSON.stringify(sarif);
    for (const v of [t['github-token'], t['stripe-key'], t['npm-token'], t['database-url-password']]) expect(text).not.toContain(v);
  });

  it('is switched off by configuration', async () => {
    const run = await takeInventory(`${reg.host}/secrets/app:v1`, testConfig({ dataDir: work, secrets: { enabled: false } }), { cache: false });
    expect(run.inventories[0]!.secrets).toEqual([]);
  });
});
