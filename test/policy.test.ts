import { describe, expect, it } from 'vitest';
import { CustomsError } from '../src/errors.ts';
import { DEFAULT_POLICY } from '../src/policy/default.ts';
import { combineVerdicts, evaluatePolicy, licenseIds, type PolicySubject } from '../src/policy/evaluate.ts';
import { openVexExceptions } from '../src/policy/openvex.ts';
import { parsePolicy } from '../src/policy/parse.ts';
import { conflictingPolicies, selectPolicy } from '../src/policy/scope.ts';
import type { Finding } from '../src/vulndb/types.ts';
import { caught } from './helpers/util.ts';

const DIGEST = 'sha256:' + 'ab'.repeat(32);
const NOW = new Date('2026-11-25T12:00:00Z');

function finding(id: string, rating: Finding['severity']['rating'], extra: Partial<Finding> = {}): Finding {
  return {
    id, aliases: [], advisories: [id],
    package: { name: 'openssl', version: '3.0.11-1~deb12u1', type: 'deb', sourceName: 'openssl' },
    ecosystem: 'Debian:12', matchedName: 'openssl', matchedVersion: '3.0.11-1~deb12u1',
    fixedVersions: ['3.0.13-1~deb12u1'], fixedVersion: '3.0.13-1~deb12u1', status: 'fixed-available', guidance: 'upgrade openssl to 3.0.13-1~deb12u1',
    severity: { rating, source: 'test', ...(rating === 'critical' ? { score: 9.8 } : rating === 'high' ? { score: 7.5 } : {}) },
    foundIn: '/var/lib/dpkg/status',
    ...extra,
  };
}

function subject(findings: Finding[], extra: Partial<PolicySubject> = {}): PolicySubject {
  return {
    registry: 'registry.example.com', repository: 'prod/api', digest: DIGEST,
    inventory: { config: { user: 'app', created: '2026-11-01T00:00:00Z' }, packages: [], secrets: [] },
    findings, dbVersion: '7', ...extra,
  };
}

const policy = (spec: string, name = 'prod') => parsePolicy(`apiVersion: customs.dev/v1\nkind: Policy\nmetadata: { name: ${name} }\nspec:\n${spec}`);

describe('policy documents', () => {
  it('names the field and the reason for every problem', async () => {
    const e = await caught(Promise.resolve().then(() => parsePolicy(`apiVersion: customs.dev/v1
kind: Policy
metadata: { name: Prod! }
spec:
  mode: sometimes
  rules:
    - { type: vulnerabilities, maxSeverity: severe }
    - { type: bogus }
    - { type: vulnerabilities }
  exceptions:
    - { id: CVE-2024-1, justification: x, owner: me, expires: tomorrow }
`)));
    expect(e).toBeInstanceOf(CustomsError);
    expect(e.kind).toBe('usage');
    expect(e.message).toMatch(/metadata\.name: lower-case letters/);
    expect(e.message).toMatch(/spec\.mode: /);
    expect(e.message).toMatch(/spec\.rules\[0\]\.maxSeverity: /);
    expect(e.message).toMatch(/spec\.rules\[1\]\.type: /);
    expect(e.message).toMatch(/spec\.rules\[2\]: give maxSeverity or maxCvss/);
    expect(e.message).toMatch(/spec\.exceptions\[0\]\.expires: must be an ISO date/);
  });

  it('refuses what is not a policy', async () => {
    expect((await caught(Promise.resolve().then(() => parsePolicy('a: [1, 2')))).message).toMatch(/not valid YAML/);
    expect((await caught(Promise.resolve().then(() => parsePolicy('- 1\n- 2\n')))).message).toMatch(/must be a mapping/);
    expect((await caught(Promise.resolve().then(() => parsePolicy('apiVersion: v2\nkind: Policy\nmetadata: {name: a}\nspec: {}\n')))).message).toMatch(/apiVersion/);
    expect((await caught(Promise.resolve().then(() => parsePolicy('apiVersion: customs.dev/v1\nkind: Policy\nmetadata: {name: a}\nspec: {}\nextra: 1\n')))).message).toMatch(/extra/);
  });

  it('the built-in default parses, fails a critical fixable vulnerability, warns on an unfixed one', () => {
    expect(evaluatePolicy(DEFAULT_POLICY, 0, subject([finding('CVE-2024-1', 'critical')]), { now: NOW }).verdict).toBe('fail');
    expect(evaluatePolicy(DEFAULT_POLICY, 0, subject([finding('CVE-2024-2', 'critical', { fixedVersions: [], status: 'no-fix' })]), { now: NOW }).verdict).toBe('warn');
    expect(evaluatePolicy(DEFAULT_POLICY, 0, subject([finding('CVE-2024-3', 'medium')]), { now: NOW }).verdict).toBe('pass');
  });
});

describe('scopes', () => {
  const all = policy('  scope: { repositories: ["**"] }\n', 'all');
  const prod = policy('  scope: { repositories: ["prod/**"] }\n', 'prod');
  const api = policy('  scope: { repositories: ["prod/api"] }\n', 'api');
  const other = policy('  scope: { registries: ["ghcr.io"], repositories: ["prod/**"] }\n', 'ghcr');
  const stored = [all, prod, api, other].map((p, i) => ({ policy: p, version: i + 1 }));

  it('the most specific scope wins', () => {
    expect(selectPolicy(stored, 'r.example', 'prod/api')!.policy.metadata.name).toBe('api');
    expect(selectPolicy(stored, 'r.example', 'prod/web/x')!.policy.metadata.name).toBe('prod');
    expect(selectPolicy(stored, 'ghcr.io', 'prod/web')!.policy.metadata.name).toBe('ghcr');
    expect(selectPolicy(stored, 'r.example', 'dev/thing')!.policy.metadata.name).toBe('all');
    expect(selectPolicy(stored.slice(1), 'r.example', 'dev/thing')).toBeUndefined();
  });

  it('two policies equally specific for the same images conflict', () => {
    const twin = policy('  scope: { repositories: ["prod/**"] }\n', 'twin');
    expect(conflictingPolicies(twin, [all, prod, api]).map((p) => p.metadata.name)).toEqual(['prod']);
    const star = policy('  scope: { repositories: ["team-*"] }\n', 'a');
    const star2 = policy('  scope: { repositories: ["*-prod"] }\n', 'b');
    expect(conflictingPolicies(star, [star2]).map((p) => p.metadata.name)).toEqual(['b']);
    expect(conflictingPolicies(api, [prod, all])).toEqual([]);
  });
});

describe('rules', () => {
  it('vulnerability severity, CVSS score and fixed-only', () => {
    const p = policy('  rules:\n    - { type: vulnerabilities, maxSeverity: high, onlyFixed: true }\n');
    const v = evaluatePolicy(p, 3, subject([finding('CVE-2024-9', 'critical'), finding('CVE-2024-8', 'critical', { fixedVersions: [], status: 'no-fix' })]), { now: NOW });
    expect(v.verdict).toBe('fail');
    expect(v.reasons[0]!.message).toBe('1 vulnerability above high with a fix: CVE-2024-9 (critical 9.8) in openssl 3.0.11-1~deb12u1; fix first: upgrade openssl to 3.0.13-1~deb12u1 (removes 1)');
    expect(v.policy).toEqual({ name: 'prod', version: 3, mode: 'enforce' });
    expect(v.dbVersion).toBe('7');
    const cvss = policy('  rules:\n    - { type: vulnerabilities, maxCvss: 9.0 }\n');
    expect(evaluatePolicy(cvss, 1, subject([finding('CVE-1', 'high')]), { now: NOW }).verdict).toBe('pass');
    expect(evaluatePolicy(cvss, 1, subject([finding('CVE-1', 'critical')]), { now: NOW }).verdict).toBe('fail');
  });

  it('fix age: a fix newer than N days does not count yet; an unknown date counts', () => {
    const p = policy('  rules:\n    - { type: vulnerabilities, maxSeverity: medium, fixedForDays: 30 }\n');
    const fresh = { ...finding('CVE-A', 'high'), published: '2026-11-20T00:00:00Z' };
    const old = { ...finding('CVE-B', 'high'), published: '2026-09-01T00:00:00Z' };
    expect(evaluatePolicy(p, 1, subject([fresh]), { now: NOW }).verdict).toBe('pass');
    expect(evaluatePolicy(p, 1, subject([old]), { now: NOW }).reasons[0]!.subjects).toEqual(['CVE-B']);
    expect(evaluatePolicy(p, 1, subject([finding('CVE-C', 'high')]), { now: NOW }).verdict).toBe('fail');
  });

  it('KEV, EPSS, secrets, root, EOL, deny lists, licenses, image age, signatures', () => {
    const p = policy(`  rules:
    - { type: kev }
    - { type: epss, above: 0.5, outcome: warn }
    - { type: secrets, minSeverity: high }
    - { type: root-user, outcome: warn }
    - { type: eol-os }
    - { type: deny-packages, packages: ["npm:event-stream@3.3.6", "log4j-*"] }
    - { type: deny-vulnerabilities, ids: ["GHSA-xxxx-yyyy-zzzz"] }
    - { type: deny-licenses, licenses: ["AGPL-3.0-only", "GPL-3.0-or-later"] }
    - { type: image-age, maxDays: 90 }
    - { type: signature, authorities: [{ name: release, keyless: { issuer: "https://token.actions.githubusercontent.com", subject: "/^https://github.com/acme//" } }] }
`);
    const s = subject([
      finding('CVE-2021-44228', 'critical', { kev: { cve: 'CVE-2021-44228', dateAdded: '2021-12-10' }, epss: { cve: 'CVE-2021-44228', score: 0.97, percentile: 0.99 }, aliases: ['GHSA-xxxx-yyyy-zzzz'] }),
    ], {
      inventory: {
        config: { user: '0:0', created: '2025-01-01T00:00:00Z' },
        packages: [
          { type: 'npm', name: 'event-stream', version: '3.3.6', foundIn: '/app/node_modules/event-stream/package.json' },
          { type: 'maven', name: 'log4j-core', version: '2.14.1', foundIn: '/app.jar', license: 'Apache-2.0' },
          { type: 'npm', name: 'ghostscript-js', version: '1.0.0', foundIn: '/x', license: 'MIT OR AGPL-3.0-only' },
          { type: 'deb', name: 'bash', version: '5.2.15-2', foundIn: '/var/lib/dpkg/status', license: 'GPL-3+' },
        ],
        secrets: [{ rule: 'aws-access-key', severity: 'critical', title: 'AWS access key', masked: 'AKIA****', fingerprint: 'f', path: '/app/.env', visible: false, layerIndex: 1 }],
      },
      eol: [{ kind: 'os', product: 'debian', version: '10', eol: true, eolDate: '2024-06-30' }],
      signatures: [],
    });
    const v = evaluatePolicy(p, 1, s, { now: NOW });
    expect(v.verdict).toBe('fail');
    expect(v.reasons.map((r) => `${r.rule}:${r.outcome}`)).toEqual([
      'kev:fail', 'epss:warn', 'secrets:fail', 'root-user:warn', 'eol-os:fail', 'deny-packages:fail',
      'deny-vulnerabilities:fail', 'deny-licenses:fail', 'image-age:fail', 'signature:fail',
    ]);
    const msg = Object.fromEntries(v.reasons.map((r) => [r.rule, r.message]));
    expect(msg.secrets).toBe('1 secret in the image: AWS access key in /app/.env (deleted later, still in a layer)');
    expect(msg['root-user']).toBe('runs as root (User "0:0")');
    expect(msg['eol-os']).toBe('end-of-life OS: debian 10 (since 2024-06-30)');
    expect(msg['deny-packages']).toBe('denied packages: event-stream 3.3.6, log4j-core 2.14.1');
    expect(msg['deny-licenses']).toBe('denied licenses: ghostscript-js (MIT OR AGPL-3.0-only), bash (GPL-3+)');
    expect(msg['image-age']).toBe('image built 693 days ago (more than 90)');
    expect(msg.signature).toBe('signed by 0 of the 1 required authorities; missing: release');
    const signed = evaluatePolicy(p, 1, { ...s, signatures: [{ authority: 'release', verified: true }] }, { now: NOW });
    expect(signed.reasons.find((r) => r.rule === 'signature')).toBeUndefined();
    expect(licenseIds('(MIT OR GPL-2.0-only WITH Classpath-exception-2.0)')).toEqual(['MIT', 'GPL-2.0-only', 'Classpath-exception-2.0']);
  });

  it('audit mode reports the same verdict and says it is audit', () => {
    const p = policy('  mode: audit\n  rules:\n    - { type: kev }\n');
    const v = evaluatePolicy(p, 2, subject([finding('CVE-1', 'low', { kev: { cve: 'CVE-1', dateAdded: '2024-01-01' } })]), { now: NOW });
    expect(v.verdict).toBe('fail');
    expect(v.policy.mode).toBe('audit');
  });

  it('an index fails when any platform fails', () => {
    expect(combineVerdicts(['pass', 'fail', 'warn'])).toBe('fail');
    expect(combineVerdicts(['pass', 'warn'])).toBe('warn');
    expect(combineVerdicts(['pass'])).toBe('pass');
  });
});

describe('exceptions', () => {
  const p = policy(`  rules:
    - { type: vulnerabilities, maxSeverity: medium }
  exceptions:
    - { id: GHSA-aaaa-bbbb-cccc, package: openssl, justification: "not reachable: we never parse X.400", owner: sec@acme, expires: "2026-12-31" }
    - { id: CVE-2024-2, repository: "dev/**", justification: dev only, owner: sec@acme, expires: "2027-01-01" }
`);

  it('by id or alias, package and repository, until the end of the expiry day', () => {
    const f = finding('CVE-2024-1', 'high', { aliases: ['GHSA-aaaa-bbbb-cccc'] });
    const v = evaluatePolicy(p, 1, subject([f]), { now: NOW });
    expect(v.verdict).toBe('pass');
    expect(v.excepted[0]).toMatchObject({ finding: 'CVE-2024-1', package: 'openssl', exception: { owner: 'sec@acme', expires: '2026-12-31', source: 'policy:prod' } });
    expect(evaluatePolicy(p, 1, subject([f]), { now: new Date('2026-12-31T23:00:00Z') }).verdict).toBe('pass');
    // expired: the exception stops applying by itself
    expect(evaluatePolicy(p, 1, subject([f]), { now: new Date('2027-01-01T00:00:01Z') }).verdict).toBe('fail');
    // other package: not covered
    const other = { ...f, package: { ...f.package, name: 'curl', sourceName: 'curl' } };
    expect(evaluatePolicy(p, 1, subject([other]), { now: NOW }).verdict).toBe('fail');
    // repository-scoped
    const g = finding('CVE-2024-2', 'high');
    expect(evaluatePolicy(p, 1, subject([g]), { now: NOW }).verdict).toBe('fail');
    expect(evaluatePolicy(p, 1, subject([g], { repository: 'dev/tool' }), { now: NOW }).verdict).toBe('pass');
  });

  it('OpenVEX not_affected / fixed statements become exceptions for the named image or package', () => {
    const vex = JSON.stringify({
      '@context': 'https://openvex.dev/ns/v0.2.0', '@id': 'https://acme.example/vex/1', author: 'Acme Security', timestamp: '2026-11-01T00:00:00Z', version: 1,
      statements: [
        { vulnerability: { name: 'CVE-2024-1' }, products: [{ '@id': `pkg:oci/api@${encodeURIComponent(DIGEST)}` }], status: 'not_affected', justification: 'vulnerable_code_not_in_execute_path' },
        { vulnerability: { name: 'CVE-2024-5' }, products: [{ '@id': 'pkg:oci/api', subcomponents: [{ '@id': 'pkg:deb/debian/curl@7.88.1' }] }], status: 'fixed' },
        { vulnerability: { name: 'CVE-2024-6' }, products: [{ '@id': `pkg:oci/api@${DIGEST}` }], status: 'affected', action_statement: 'upgrade' },
      ],
    });
    const ex = openVexExceptions(vex);
    expect(ex).toEqual([
      { id: 'CVE-2024-1', justification: 'not_affected: vulnerable_code_not_in_execute_path', owner: 'Acme Security', source: 'openvex:https://acme.example/vex/1', digest: DIGEST },
      { id: 'CVE-2024-5', justification: 'fixed', owner: 'Acme Security', source: 'openvex:https://acme.example/vex/1', package: 'curl' },
    ]);
    const strict = policy('  rules:\n    - { type: vulnerabilities, maxSeverity: low }\n');
    const v = evaluatePolicy(strict, 1, subject([finding('CVE-2024-1', 'high'), finding('CVE-2024-6', 'high')]), { now: NOW, extraExceptions: ex });
    expect(v.reasons[0]!.subjects).toEqual(['CVE-2024-6']);
    // another image digest is not covered
    const v2 = evaluatePolicy(strict, 1, subject([finding('CVE-2024-1', 'high')], { digest: 'sha256:' + 'cd'.repeat(32) }), { now: NOW, extraExceptions: ex });
    expect(v2.verdict).toBe('fail');
  });

  it('refuses documents that are not OpenVEX', () => {
    expect(() => openVexExceptions('{"statements": []}')).toThrow(/not an OpenVEX document/);
    expect(() => openVexExceptions('not json')).toThrow(/not JSON/);
    expect(() => openVexExceptions(JSON.stringify({ '@context': 'https://openvex.dev/ns/v0.2.0', statements: [{ status: 'fixed' }] }))).toThrow(/statements\[0\] names no vulnerability/);
  });
});
