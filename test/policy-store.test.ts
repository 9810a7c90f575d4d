import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { policyCommand } from '../src/cli/policy.ts';
import { loadConfig } from '../src/config/load.ts';
import type { Config } from '../src/config/schema.ts';
import { openDatabase, type Database } from '../src/db/client.ts';
import { scans } from '../src/db/schema.ts';
import { parsePolicy } from '../src/policy/parse.ts';
import { PolicyStore } from '../src/policy/store.ts';
import type { ScanReport } from '../src/scan/types.ts';
import type { Finding } from '../src/vulndb/types.ts';
import { caught } from './helpers/util.ts';

const doc = (name: string, repos: string, extra = '') => `apiVersion: customs.dev/v1
kind: Policy
metadata: { name: ${name} }
spec:
  scope: { repositories: ["${repos}"] }
${extra}`;

let dir: string;
let cfg: Config;
let database: Database;
let store: PolicyStore;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'customs-policy-'));
  cfg = loadConfig({ env: { CUSTOMS_DATA: dir } });
  database = await openDatabase(cfg);
  store = new PolicyStore(database);
});
afterAll(() => database.close());

describe('policy store', () => {
  it('versions policies, refuses clashing scopes, deletes with a tombstone, keeps an audit trail', async () => {
    const a1 = await store.apply(parsePolicy(doc('prod', 'prod/**')), { actor: 'alice' });
    expect(a1.version).toBe(1);
    const a2 = await store.apply(parsePolicy(doc('prod', 'prod/**', '  mode: audit\n')), { actor: 'bob' });
    expect(a2.version).toBe(2);
    expect((await store.get('prod'))!.policy.spec.mode).toBe('audit');
    expect((await store.get('prod', 1))!.policy.spec.mode).toBe('enforce');

    const clash = await caught(store.apply(parsePolicy(doc('prod-copy', 'prod/**')), { actor: 'eve' }));
    expect(clash.kind).toBe('conflict');
    expect(clash.exitCode).toBe(2); // the CLI exits as for a usage error
    expect(clash.message).toMatch(/as specific as that of prod/);

    await store.apply(parsePolicy(doc('api', 'prod/api')), { actor: 'alice' });
    expect((await store.governing('r', 'prod/api')).policy.metadata.name).toBe('api');
    expect((await store.governing('r', 'prod/web')).policy.metadata.name).toBe('prod');
    const dflt = await store.governing('r', 'dev/x');
    expect([dflt.policy.metadata.name, dflt.version]).toEqual(['default', 0]);

    expect(await store.delete('api', { actor: 'alice', reason: 'merged into prod' })).toBe(2);
    expect(await store.get('api')).toBeUndefined();
    expect((await store.governing('r', 'prod/api')).policy.metadata.name).toBe('prod');
    expect((await caught(store.delete('api', { actor: 'alice' }))).kind).toBe('not-found');
    expect((await store.current()).map((p) => `${p.policy.metadata.name}@${p.version}`)).toEqual(['prod@2']);
    expect((await store.history('api')).map((h) => `${h.version}:${h.deleted}`)).toEqual(['2:true', '1:false']);

    const audit = await store.auditEntries();
    expect(audit.map((e) => `${e.action} ${e.subject} ${e.actor}`)).toEqual([
      'policy.delete policy:api alice', 'policy.apply policy:api alice', 'policy.apply policy:prod bob', 'policy.apply policy:prod alice',
    ]);
    expect(audit[0]!.reason).toBe('merged into prod');
    expect((await store.auditEntries({ before: audit[1]!.id, limit: 1 })).map((e) => e.id)).toEqual([audit[2]!.id]);
  });
});

describe('customs policy (command)', () => {
  const run = async (args: string[], flags: Record<string, string> = {}) => {
    let text = '';
    const code = await policyCommand(args, cfg, flags, (s) => { text += s; });
    return { code, text };
  };

  it('test -f shows which stored images would newly fail under a draft, before it is applied', async () => {
    const f: Finding = {
      id: 'CVE-2023-5363', aliases: ['DSA-5532-1'], advisories: ['DSA-5532-1'],
      package: { name: 'libssl3', version: '3.0.11-1~deb12u1', type: 'deb', sourceName: 'openssl', sourceVersion: '3.0.11-1~deb12u1' },
      ecosystem: 'Debian:12', matchedName: 'openssl', matchedVersion: '3.0.11-1~deb12u1',
      fixedVersions: ['3.0.11-1~deb12u2'], fixedVersion: '3.0.11-1~deb12u2', status: 'fixed-available', guidance: 'upgrade openssl to 3.0.11-1~deb12u2',
      severity: { rating: 'high', score: 7.5, source: 'osv-cvss-v3' }, foundIn: '/var/lib/dpkg/status',
    };
    const report = (digest: string, findings: Finding[]): ScanReport => ({
      ref: `127.0.0.1:5000/prod/web@${digest}`, rootDigest: digest, startedAt: '2026-11-25T00:00:00Z', finishedAt: '2026-11-25T00:00:01Z',
      dbVersion: { importId: 1, importedAt: '2026-11-24T00:00:00Z', sources: ['x'], version: 'osv-1', advisories: 10 }, warnings: [],
      platforms: [{ inventory: { source: 'x', rootDigest: digest, manifestDigest: digest, platform: { os: 'linux', architecture: 'amd64' }, configDigest: digest, config: { user: 'app' }, layers: [], packages: [], warnings: [] }, findings }],
    });
    const d1 = 'sha256:' + '1'.repeat(64), d2 = 'sha256:' + '2'.repeat(64);
    const now = new Date();
    for (const [id, digest, findings] of [['s1', d1, [f]], ['s2', d2, []]] as const) {
      await database.db.insert(scans).values({ id, registry: '127.0.0.1:5000', repository: 'prod/web', digest, ref: 'x', dbVersion: 'osv-1', startedAt: now, finishedAt: now, platforms: 1, packages: 0, findings: findings.length, report: JSON.stringify(report(digest, [...findings])) });
    }
    const draftFile = join(dir, 'draft.yaml');
    writeFileSync(draftFile, doc('prod', 'prod/**', '  rules:\n    - { type: vulnerabilities, maxSeverity: medium, onlyFixed: true }\n'));
    const r = await run(['test'], { file: draftFile });
    expect(r.code).toBe(0);
    expect(r.text).toMatch(/^2 stored images evaluated; 1 would change under prod\n/);
    expect(r.text).toMatch(new RegExp(`127\\.0\\.0\\.1:5000/prod/web@${d1}\\s+pass\\s+fail\\s+prod \\(draft\\)\\s+fail: 1 vulnerability above medium with a fix: CVE-2023-5363 \\(high 7\\.5\\) in libssl3`));
    // nothing was applied by the test
    expect((await store.get('prod'))!.version).toBe(2);

    const j = JSON.parse((await run(['test'], { file: draftFile, format: 'json' })).text);
    expect(j.images.find((i: any) => i.image.endsWith(d2))).toMatchObject({ before: 'pass', after: 'pass' });
  });

  it('apply, list, show, delete with clear refusals', async () => {
    const file = join(dir, 'team.yaml');
    writeFileSync(file, doc('team', 'team/**'));
    expect((await run(['apply'], { file })).text).toBe('policy team applied as version 1 (enforce)\n');
    expect((await run(['list'])).text).toMatch(/team\s+1\s+enforce\s+\*\*\s+team\/\*\*/);
    expect((await run(['show', 'team'])).text).toMatch(/^# team version 1, applied by cli:.*\napiVersion: customs.dev\/v1\n/);
    expect((await run(['show', 'default'])).text).toMatch(/name: default/);
    expect((await caught(run(['show', 'nope']))).kind).toBe('not-found');
    expect((await caught(run(['apply'])))).toMatchObject({ kind: 'usage', message: expect.stringMatching(/-f FILE/) });
    expect((await caught(run(['apply'], { file: join(dir, 'missing.yaml') }))).message).toMatch(/cannot read .*ENOENT/);
    const bad = join(dir, 'bad.yaml');
    writeFileSync(bad, doc('bad', 'x/**', '  rules:\n    - { type: kev, outcome: explode }\n'));
    expect((await caught(run(['apply'], { file: bad }))).message).toMatch(/spec\.rules\[0\]\.outcome/);
    expect((await caught(run(['frobnicate'])))).toMatchObject({ kind: 'usage' });
    expect((await caught(run(['show', 'team'], { revision: 'x' }))).message).toMatch(/--revision must be a positive whole number/);
    expect((await run(['delete', 'team'], { reason: 'gone' })).text).toBe('policy team deleted (version 2 records the deletion)\n');
  });
});
