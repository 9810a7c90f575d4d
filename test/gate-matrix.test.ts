// The pull gate against every way of spelling a manifest request: each character of the path
// percent-encoded (upper- and lower-case hex), case variants, dot segments, double and trailing
// slashes, invalid and double escapes, control characters, query strings — by tag and by digest, for
// an OCI image, a Docker v2 image (which distribution converts to schema 1 on the fly), an OCI index
// and a Docker manifest list with their platform children — with GET and HEAD and every Accept header.
// No variant may get a 2xx for a quarantined image through the gate, while the same variants sent to
// the registry directly do return the image (so the matrix holds real bypasses). Passing images pull
// through the gate as they do from the registry, by skopeo too.
import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { Agent, request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { gateSchema } from '../src/config/gate-schema.ts';
import { startGate, type Gate } from '../src/gate/server.ts';
import { MT } from '../src/image/media-types.ts';
import { gateWorld, scanAndDecide, skopeo, type GateWorld } from './helpers/gate.ts';
import { pushDebianImage, pushIndex, type PushedImage } from './helpers/push.ts';
const ACCEPTS: Record<string, string | undefined> = {
  none: undefined,
  any: '*/*',
  ociIndex: MT.ociIndex,
  ociManifest: MT.ociManifest,
  dockerList: MT.dockerManifestList,
  dockerV2: MT.dockerManifest,
  all: [MT.ociIndex, MT.ociManifest, MT.dockerManifestList, MT.dockerManifest].join(', '),
};
const METHODS = ['GET', 'HEAD'] as const;

let world: GateWorld;
let gate: Gate;
const agent = new Agent({ keepAlive: true, maxSockets: 8 });

interface Target { name: string; reference: string; what: string }
const quarantined: Target[] = [];
const passing: Target[] = [];

interface Answer { status: number; digest?: string; location?: string; body: Buffer }

/** one request with the path exactly as written (fetch would normalise it first) */
function raw(port: number, method: string, path: string, accept: string | undefined): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: '127.0.0.1', port, method, path, agent, headers: accept ? { accept } : {}, timeout: 10_000 }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({
        status: res.statusCode ?? 0, body: Buffer.concat(chunks),
        ...(typeof res.headers['docker-content-digest'] === 'string' ? { digest: res.headers['docker-content-digest'] } : {}),
        ...(res.headers.location ? { location: res.headers.location } : {}),
      }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`timeout: ${method} ${path}`)));
    req.on('error', reject);
    req.end();
  });
}

/** through the gate, following its redirects (they must stay on the gate) up to three times */
async function viaGate(method: string, path: string, accept: string | undefined): Promise<Answer & { hops: string[] }> {
  const hops = [path];
  let a = await raw(gate.address().port, method, path, accept);
  while (a.status === 301 && hops.length < 4) {
    expect(a.location, `redirect from ${path}`).toMatch(/^\/v2\//);
    hops.push(a.location!);
    a = await raw(gate.address().port, method, a.location!, accept);
  }
  return { ...a, hops };
}

const enc = (s: string, lower = false) => [...s].map((c) => '%' + c.charCodeAt(0).toString(16).padStart(2, '0')[lower ? 'toLowerCase' : 'toUpperCase']()).join('');

/** every spelling of /v2/<name>/manifests/<reference> the matrix tries */
function spellings(name: string, ref: string): string[] {
  const base = `/v2/${name}/manifests/${ref}`;
  const out = new Set<string>([base]);
  for (let i = 1; i < base.length; i++) {
    for (const lower of [false, true]) out.add(base.slice(0, i) + enc(base[i]!, lower) + base.slice(i + 1));
  }
  const upperRef = ref.includes(':') ? ref.toUpperCase() : ref.toUpperCase() + 'x';
  const [algo, hex] = ref.includes(':') ? ref.split(':') as [string, string] : ['', ''];
  for (const p of [
    `/v2/${enc(name)}/manifests/${ref}`, `/v2/${name.split('/').map((s) => enc(s)).join('/')}/manifests/${ref}`,
    `/v2/${name}/${enc('manifests')}/${ref}`, `/v2/${name}/${enc('manifests', true)}/${ref}`, `/v2/${name}/manifests/${enc(ref)}`,
    '/' + [...base.slice(1)].map((c) => (c === '/' ? c : enc(c))).join(''),
    ...(algo ? [`/v2/${name}/manifests/${algo}${enc(':')}${hex}`, `/v2/${name}/manifests/${algo}${enc(':', true)}${hex}`, `/v2/${name}/manifests/${algo.toUpperCase()}:${hex}`, `/v2/${name}/manifests/${algo}:${hex.toUpperCase()}`] : []),
    // double encoding, invalid escapes, control and non-ASCII bytes
    `/v2/${name.replace('/', '%252F')}/manifests/${ref}`, `/v2/${name.replace('/', '%2F')}/manifests/${ref}`, `/v2/${name.replace('/', '%2f')}/manifests/${ref}`,
    `${base}%00`, `${base}%0a`, `${base}%0D%0A`, `${base}%09`, `${base}%7f`, `${base}%zz`, `${base}%2`, `${base}%`, `${base}%20`,
    `/v2/${name}%c0%af/manifests/${ref}`, `/v2/${name}/manifests/${ref}%e2%80%8b`, `/v2/${name}/manifests%00/${ref}`,
    // case
    `/v2/${name}/Manifests/${ref}`, `/v2/${name}/MANIFESTS/${ref}`, `/V2/${name}/manifests/${ref}`, `/v2/${name.toUpperCase()}/manifests/${ref}`,
    `/v2/${name[0]!.toUpperCase()}${name.slice(1)}/manifests/${ref}`, `/v2/${name}/manifests/${upperRef}`,
    // dot segments, double and trailing slashes
    `/v2//${name}/manifests/${ref}`, `/v2/${name.replace('/', '//')}/manifests/${ref}`, `/v2/${name}//manifests/${ref}`, `/v2/${name}/manifests//${ref}`,
    `/v2/./${name}/manifests/${ref}`, `/v2/${name}/./manifests/${ref}`, `/v2/x/../${name}/manifests/${ref}`, `/v2/${name}/manifests/x/../${ref}`,
    `/v2/x/%2e%2e/${name}/manifests/${ref}`, `/v2/x/%2E%2E/${name}/manifests/${ref}`, `/v2/${name}/manifests/${ref}/`, `/v2/${name}/manifests/${ref}//`,
    `/v2/${name}/manifests/${ref}/.`, `/v2/${name}/manifests/${ref}/x/..`, `/v2/${name}/manifests/${ref}%2F`, `/v2/${name}/manifests/${ref}/%2e`,
    `/v2/../v2/${name}/manifests/${ref}`, `//v2/${name}/manifests/${ref}`,
    // path parameters, backslashes, fragments, query strings
    `${base};x=1`, `/v2/${name};x/manifests/${ref}`, `/v2/${name}/manifests;x/${ref}`, `/v2/${name}\\manifests\\${ref}`, `/v2/${name}/manifests\\${ref}`,
    `${base}#x`, `${base}?`, `${base}?x=1`, `${base}?ns=docker.io`, `${base}?/../x`, `${base}?a#b`, `${base}%3Fx=1`, `${base}%23x`,
    `http://127.0.0.1${base}`,
  ]) out.add(p);
  return [...out];
}

/** run `fn` over `items`, `n` at a time */
async function pooled<T>(items: T[], n: number, fn: (t: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: n }, async () => { while (next < items.length) await fn(items[next++]!); }));
}

beforeAll(async () => {
  // missingScan: pass — an unknown digest is let through, so only the verdict check stands between
  // a spelling and the quarantined image (with `fail` a converted manifest would be refused anyway)
  world = await gateWorld(`apiVersion: customs.dev/v1
kind: Policy
metadata: { name: rt }
spec:
  scope: { repositories: ["rt/**"] }
  missingScan: pass
  rules: [{ type: deny-packages, packages: ["telnetd"] }]
  actions: { fail: [{ type: gate }] }
`);
  const { reg, client } = world;
  const clean: [string, string][] = [['libc6', '2.36-9']];
  const bad: [string, string][] = [['libc6', '2.36-9'], ['telnetd', '0.17-44']];
  const push = (repo: string, tag: string, pkgs: [string, string][], format: 'oci' | 'docker', architecture = 'amd64') =>
    pushDebianImage(client, reg.host, repo, tag, pkgs, { format, architecture });
  const index = async (repo: string, format: 'oci' | 'docker', amd: PushedImage, arm: PushedImage) =>
    (await pushIndex(client, reg.host, repo, '1', [amd.descriptor({ os: 'linux', architecture: 'amd64' }), arm.descriptor({ os: 'linux', architecture: 'arm64' })], { format })).digest;

  const oci = await push('rt/telnetd', '1', bad, 'oci');
  const docker = await push('rt/dtelnetd', '1', bad, 'docker');
  const multiAmd = await push('rt/multi', 'amd', clean, 'oci');
  const multiArm = await push('rt/multi', 'arm', bad, 'oci', 'arm64');
  const multi = await index('rt/multi', 'oci', multiAmd, multiArm);
  const dmultiAmd = await push('rt/dmulti', 'amd', bad, 'docker');
  const dmultiArm = await push('rt/dmulti', 'arm', clean, 'docker', 'arm64');
  const dmulti = await index('rt/dmulti', 'docker', dmultiAmd, dmultiArm);
  const good = await push('rt/good', '1', clean, 'oci');
  const dgood = await push('rt/dgood', '1', clean, 'docker');
  const goodAmd = await push('rt/goodidx', 'amd', clean, 'oci');
  const goodArm = await push('rt/goodidx', 'arm', clean, 'oci', 'arm64');
  const goodIdx = await index('rt/goodidx', 'oci', goodAmd, goodArm);

  for (const [repo, verdict] of [['rt/telnetd', 'fail'], ['rt/dtelnetd', 'fail'], ['rt/multi', 'fail'], ['rt/dmulti', 'fail'], ['rt/good', 'pass'], ['rt/dgood', 'pass'], ['rt/goodidx', 'pass']] as const) {
    expect((await scanAndDecide(world, `${reg.host}/${repo}:1`, repo)).v.verdict, repo).toBe(verdict);
  }
  quarantined.push(
    { name: 'rt/telnetd', reference: '1', what: 'OCI image by tag' }, { name: 'rt/telnetd', reference: oci.manifestDigest, what: 'OCI image by digest' },
    { name: 'rt/dtelnetd', reference: '1', what: 'Docker v2 image by tag' }, { name: 'rt/dtelnetd', reference: docker.manifestDigest, what: 'Docker v2 image by digest' },
    { name: 'rt/multi', reference: '1', what: 'OCI index by tag' }, { name: 'rt/multi', reference: multi, what: 'OCI index by digest' },
    { name: 'rt/multi', reference: multiAmd.manifestDigest, what: 'OCI index, passing amd64 child' }, { name: 'rt/multi', reference: multiArm.manifestDigest, what: 'OCI index, failing arm64 child' },
    { name: 'rt/dmulti', reference: '1', what: 'Docker list by tag' }, { name: 'rt/dmulti', reference: dmulti, what: 'Docker list by digest' },
    { name: 'rt/dmulti', reference: dmultiAmd.manifestDigest, what: 'Docker list, failing amd64 child' }, { name: 'rt/dmulti', reference: dmultiArm.manifestDigest, what: 'Docker list, passing arm64 child' },
  );
  passing.push(
    { name: 'rt/good', reference: '1', what: 'OCI image by tag' }, { name: 'rt/good', reference: good.manifestDigest, what: 'OCI image by digest' },
    { name: 'rt/dgood', reference: '1', what: 'Docker v2 image by tag' }, { name: 'rt/dgood', reference: dgood.manifestDigest, what: 'Docker v2 image by digest' },
    { name: 'rt/goodidx', reference: '1', what: 'OCI index by tag' }, { name: 'rt/goodidx', reference: goodIdx, what: 'OCI index by digest' },
    { name: 'rt/goodidx', reference: goodArm.manifestDigest, what: 'OCI index child' },
  );
  gate = await startGate(gateSchema.parse({ enabled: true, port: 0, upstream: `http://${reg.host}` }), world.database);
}, 120_000);

afterAll(async () => {
  agent.destroy();
  await gate?.close();
  await world?.stop();
});

describe('pull gate: request matrix against the real registry', () => {
  it('no spelling, method or Accept header gets a quarantined manifest through the gate', async () => {
    const cases = quarantined.flatMap((t) => spellings(t.name, t.reference).flatMap((path) =>
      METHODS.flatMap((method) => Object.keys(ACCEPTS).map((accept) => ({ t, path, method, accept })))));
    const leaks: string[] = [];
    const statuses = new Map<number, number>();
    const servedDirectly = new Set<string>();
    await pooled(cases, 8, async ({ t, path, method, accept }) => {
      const a = await viaGate(method, path, ACCEPTS[accept]);
      statuses.set(a.status, (statuses.get(a.status) ?? 0) + 1);
      // 400 refused spelling, 403 DENIED, 404 no such tag / media type not accepted; nothing else
      if (![400, 403, 404].includes(a.status)) leaks.push(`${t.what}: ${method} ${a.hops.join(' → ')} (Accept ${accept}) → ${a.status} ${a.digest ?? ''} ${a.body.subarray(0, 80)}`);
      if (method === 'GET' && accept === 'all') {
        const direct = await raw(world.reg.port, 'GET', path, ACCEPTS.all);
        if (direct.status === 200) servedDirectly.add(path);
      }
    });
    console.log(`gate matrix: ${cases.length} requests over ${quarantined.length} quarantined references; statuses ${JSON.stringify(Object.fromEntries(statuses))}; ${servedDirectly.size} spellings the registry itself serves`);
    expect(leaks.slice(0, 20)).toEqual([]);
    // the matrix holds real bypasses: the registry answers many of these spellings with the image
    expect(servedDirectly.size).toBeGreaterThan(quarantined.length * 20);
    expect(statuses.get(403)).toBeGreaterThan(0);
  }, 600_000);

  it('refuses quarantined manifest digests asked for as blobs, however spelled', async () => {
    for (const t of quarantined.filter((q) => q.reference.startsWith('sha256:'))) {
      for (const path of [`/v2/${t.name}/blobs/${t.reference}`, `/v2/${t.name}/%62lobs/${t.reference}`, `/v2/${t.name}/blobs/${t.reference}/`, `/v2/${t.name}/Blobs/${t.reference}`]) {
        for (const method of METHODS) {
          const a = await viaGate(method, path, undefined);
          expect([400, 403], `${method} ${path}`).toContain(a.status);
        }
      }
    }
    const a = await viaGate('GET', `/v2/rt/telnetd/blobs/${quarantined[1]!.reference}`, undefined);
    expect(a.status).toBe(403);
    expect(JSON.parse(a.body.toString()).errors[0].code).toBe('DENIED');
  });

  it('answers refused spellings with a registry-style 400 naming the problem', async () => {
    const expectations: [string, RegExp][] = [
      ['/v2/rt%2Ftelnetd/manifests/1', /NAME_INVALID.*encoded "\/"/],
      ['/v2/rt/telnetd/manifests/1%zz', /UNSUPPORTED.*invalid percent escape "%zz"/],
      ['/v2/rt/telnetd/manifests/1%00', /UNSUPPORTED.*%00/],
      ['/v2/rt/telnetd/manifests/1%2525', /UNSUPPORTED.*%25/],
      ['/v2/rt/telnetd/Manifests/1', /UNSUPPORTED.*not a manifest or blob request/],
      ['/v2/RT/telnetd/manifests/1', /NAME_INVALID.*RT\/telnetd/],
      [`/v2/rt/telnetd/manifests/sha256:${'A'.repeat(64)}`, /DIGEST_INVALID/],
      ['/v2/rt/telnetd/manifests/1;x', /UNSUPPORTED/],
    ];
    for (const [path, re] of expectations) {
      const a = await raw(gate.address().port, 'GET', path, undefined);
      expect(a.status, path).toBe(400);
      const { errors } = JSON.parse(a.body.toString()) as { errors: { code: string; message: string }[] };
      expect(errors, path).toHaveLength(1);
      expect(`${errors[0]!.code} ${errors[0]!.message}`, path).toMatch(re);
    }
  });

  it('passing images answer through the gate exactly as the registry answers', async () => {
    const mismatches: string[] = [];
    for (const t of passing) {
      const canonical = `/v2/${t.name}/manifests/${t.reference}`;
      for (const method of METHODS) {
        for (const [accept, value] of Object.entries(ACCEPTS)) {
          const direct = await raw(world.reg.port, method, canonical, value);
          for (const path of [canonical, `/v2/${t.name}/%6danifests/${t.reference}`, `/v2/${t.name}//manifests/${t.reference}`, `${canonical}?ns=docker.io`]) {
            const g = await viaGate(method, path, value);
            if (g.status !== direct.status || g.digest !== direct.digest) mismatches.push(`${t.what} ${method} ${path} (Accept ${accept}): gate ${g.status} ${g.digest} / registry ${direct.status} ${direct.digest}`);
            if (method === 'GET' && g.status === 200 && direct.body.length && !direct.body.toString().includes('"signatures"')) {
              expect(g.body.equals(direct.body), `${t.what} ${path}`).toBe(true);
            }
          }
        }
      }
    }
    expect(mismatches).toEqual([]);
  }, 120_000);

  it('skopeo copies passing images through the gate and is refused the quarantined ones', async () => {
    const g = `127.0.0.1:${gate.address().port}`;
    for (const ref of ['rt/good:1', 'rt/dgood:1', 'rt/goodidx:1']) {
      const dest = mkdtempSync(join(tmpdir(), 'customs-gate-matrix-copy-'));
      const copied = await skopeo(['copy', '--all', '--src-tls-verify=false', `docker://${g}/${ref}`, `dir:${dest}`]);
      expect(copied.ok, `${ref}: ${copied.out}`).toBe(true);
      const files = readdirSync(dest);
      expect(files).toContain('manifest.json');
      // every blob arrived intact
      for (const f of files.filter((n) => /^[a-f0-9]{64}$/.test(n))) {
        expect(createHash('sha256').update(readFileSync(join(dest, f))).digest('hex')).toBe(f);
      }
    }
    for (const ref of ['rt/telnetd:1', 'rt/dtelnetd:1', 'rt/multi:1', 'rt/dmulti:1']) {
      const denied = await skopeo(['copy', '--all', '--src-tls-verify=false', `docker://${g}/${ref}`, `dir:${mkdtempSync(join(tmpdir(), 'customs-gate-matrix-denied-'))}`]);
      expect(denied.ok, ref).toBe(false);
      expect(denied.out, ref).toMatch(/denied: quarantined by policy rt: denied package: telnetd 0\.17-44/);
    }
  }, 180_000);
});
