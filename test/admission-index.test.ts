// The admission webhook's in-memory verdicts and tags (src/admission/verdict-index.ts): this
// process's verdict writes apply to the next review; another process's writes (a replica on the same
// database, here raw SQL with no in-process notice) within admission.indexRefreshMs; an image the
// index does not hold is asked of the database, so a miss is never answered wrong.
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { DEFAULT_POLICY } from '../src/policy/default.ts';
import { recordVerdict, releaseImage } from '../src/quarantine/verdict-store.ts';
import { startService, type RunningService } from '../src/server/service.ts';
import { VerdictIndex } from '../src/admission/verdict-index.ts';
import { VerdictLookup } from '../src/gate/lookup.ts';
import { testConfig } from './helpers/registry.ts';
import { freshPgDatabase, writeSigningKey } from './helpers/postgres.ts';

const REGISTRY = 'registry.internal:5000';
const digestOf = (s: string) => 'sha256:' + createHash('sha256').update(s).digest('hex');
let dir: string;
let svc: RunningService;

// on both databases: replicas on PostgreSQL answer admission from the same index
describe.each(['sqlite', 'postgres'] as const)('on %s', (dialect) => {
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'customs-admission-index-'));
  svc = await startService(testConfig({
    dataDir: dir, database: { url: dialect === 'postgres' ? await freshPgDatabase() : `file:${join(dir, 'customs.db')}` }, server: { host: '127.0.0.1', port: 0 },
    ...(dialect === 'postgres' ? { signing: { keyFile: writeSigningKey(dir) } } : {}),
    workers: { concurrency: 0, vulndbRefresh: false }, admission: { enabled: true, unscanned: 'warn', resolveTimeoutMs: 0, indexRefreshMs: 200 },
  }));
  // the first load is done (until then every review reads the database)
  await vi.waitFor(() => expect(svc.admissionRuntime!.index!.size.ready).toBe(true));
});
afterAll(async () => { await svc?.stop(); rmSync(dir, { recursive: true, force: true }); });

const verdict = (image: { registry: string; repository: string; digest: string }, v: 'pass' | 'fail') =>
  recordVerdict(svc.database, image, { verdict: v, policy: { name: 'default', version: 0, mode: 'enforce' }, dbVersion: null,
    platforms: [{ platform: 'linux/amd64', manifestDigest: image.digest, verdict: v, reasons: v === 'fail' ? [{ rule: 'deny-packages', outcome: 'fail', message: 'denied package: telnetd 0.17-44', subjects: [] }] : [] }] } as any, DEFAULT_POLICY, null);

async function review(image: string): Promise<{ allowed: boolean; message: string }> {
  const r = await fetch(`http://127.0.0.1:${svc.port}/k8s/admission`, {
    method: 'POST', headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', request: {
      uid: 'u1', kind: { group: '', version: 'v1', kind: 'Pod' }, operation: 'CREATE', namespace: 'team-a', name: 'p',
      object: { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', namespace: 'team-a' }, spec: { containers: [{ name: 'app', image }] } } } }),
  });
  const res = ((await r.json()) as any).response;
  return { allowed: res.allowed, message: res.status?.message ?? (res.warnings ?? []).join('; ') };
}

describe('admission answers from the in-memory verdict index', () => {
  it("this process's verdicts and releases apply to the very next review", async () => {
    const img = { registry: REGISTRY, repository: 'team/app', digest: digestOf('a') };
    const ref = `${REGISTRY}/team/app@${img.digest}`;
    expect(await review(ref)).toMatchObject({ allowed: true, message: expect.stringMatching(/not scanned yet/) });
    await verdict(img, 'fail');
    expect(await review(ref)).toMatchObject({ allowed: false, message: expect.stringMatching(/quarantined by policy default: denied package: telnetd/) });
    await releaseImage(svc.database, img.digest, { actor: 'test', reason: 'accepted risk' });
    expect(await review(ref)).toMatchObject({ allowed: true });
    expect(svc.admissionRuntime!.index!.size.verdicts).toBeGreaterThanOrEqual(1);
  });

  it("another process's quarantine reaches the answers within indexRefreshMs", async () => {
    const img = { registry: REGISTRY, repository: 'team/api', digest: digestOf('b') };
    const ref = `${REGISTRY}/team/api@${img.digest}`;
    await verdict(img, 'pass');
    expect((await review(ref)).allowed).toBe(true);
    // a replica quarantines it: the row changes in the database, this process is not told
    await svc.database.client.execute({ sql: "UPDATE image_verdicts SET quarantine = 'quarantined', verdict = 'fail', summary = 'denied package: telnetd 0.17-44', evaluated_at = ? WHERE digest = ?", args: [Date.now(), img.digest] });
    await vi.waitFor(async () => expect((await review(ref)).allowed).toBe(false), { timeout: 3_000, interval: 50 });
  });

  it('tags: a tag the index has not read yet is asked of the database; a moved tag is followed', async () => {
    const one = { registry: REGISTRY, repository: 'team/web', digest: digestOf('c1') };
    const two = { registry: REGISTRY, repository: 'team/web', digest: digestOf('c2') };
    await verdict(one, 'pass');
    await verdict(two, 'fail');
    // pushed by another process (intake): the index does not have it yet, the database does
    await svc.database.client.execute({ sql: 'INSERT INTO tags (registry, repository, tag, digest, updated_at) VALUES (?, ?, ?, ?, ?)', args: [REGISTRY, 'team/web', 'v1', one.digest, Date.now()] });
    expect(await review(`${REGISTRY}/team/web:v1`)).toMatchObject({ allowed: true });
    // the tag moves to the failing digest
    await svc.database.client.execute({ sql: 'UPDATE tags SET digest = ?, updated_at = ? WHERE registry = ? AND repository = ? AND tag = ?', args: [two.digest, Date.now(), REGISTRY, 'team/web', 'v1'] });
    await vi.waitFor(async () => expect((await review(`${REGISTRY}/team/web:v1`)).allowed).toBe(false), { timeout: 3_000, interval: 50 });
    // deleted: never seen pushed
    await svc.database.client.execute({ sql: 'UPDATE tags SET deleted_at = ? WHERE registry = ? AND repository = ? AND tag = ?', args: [Date.now(), REGISTRY, 'team/web', 'v1'] });
    await vi.waitFor(async () => expect(await review(`${REGISTRY}/team/web:v1`)).toMatchObject({ allowed: true, message: expect.stringMatching(/never seen pushed/) }), { timeout: 3_000, interval: 50 });
  });

  it('loads more rows than a page, rows written at the same millisecond included (keyset paging)', async () => {
    // 1,250 verdicts and tags written in one millisecond, as a bulk import or a re-evaluation can
    const at = Date.now() - 60_000;
    for (let i = 0; i < 1250; i += 125) {
      const n = Array.from({ length: 125 }, (_, k) => i + k);
      await svc.database.client.execute({
        sql: `INSERT INTO image_verdicts (registry, repository, digest, root_digest, verdict, policy_name, policy_version, mode, summary, details, evaluated_at, quarantine, gated)
              VALUES ${n.map(() => "(?, ?, ?, ?, 'pass', 'default', 0, 'enforce', 'pass', '{}', ?, 'none', 0)").join(', ')}`,
        args: n.flatMap((k) => [REGISTRY, `bulk/app${k % 7}`, digestOf(`bulk-${k}`), digestOf(`bulk-${k}`), at]),
      });
      await svc.database.client.execute({
        sql: `INSERT INTO tags (registry, repository, tag, digest, updated_at) VALUES ${n.map(() => '(?, ?, ?, ?, ?)').join(', ')}`,
        args: n.flatMap((k) => [REGISTRY, `bulk/app${k % 7}`, `v${k}`, digestOf(`bulk-${k}`), at]),
      });
    }
    const index = new VerdictIndex(svc.database, new VerdictLookup(svc.database), { refreshMs: 60_000 });
    try {
      await index.refresh();
      const { verdicts, tags, ready } = index.size;
      expect(ready).toBe(true);
      expect(verdicts).toBeGreaterThanOrEqual(1250);
      expect(tags).toBeGreaterThanOrEqual(1250);
      expect(await index.liveTagDigests([{ registry: REGISTRY, repository: 'bulk/app3', tag: 'v1249' }])).toEqual([digestOf('bulk-1249')]);
    } finally {
      await index.close();
    }
  });
});
});
