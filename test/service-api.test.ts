// REST API authentication (bearer tokens with roles), Problem+JSON errors and pagination, over real
// HTTP against a service on a real database file (no registry needed: workers are off).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startService, type RunningService } from '../src/server/service.ts';
import { testConfig } from './helpers/registry.ts';

const READER = 'reader-token-0123456789abcdef';
const OPERATOR = 'operator-token-0123456789abcdef';
let dir: string;
let svc: RunningService;
let base: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'customs-api-'));
  svc = await startService(testConfig({
    dataDir: dir, database: { url: `file:${join(dir, 'customs.db')}` }, server: { host: '127.0.0.1', port: 0 },
    api: { tokens: [{ name: 'dash', token: READER, role: 'reader' }, { name: 'ci', token: OPERATOR, role: 'operator' }] },
    workers: { concurrency: 0 },
  }));
  base = `http://127.0.0.1:${svc.port}`;
});
afterAll(async () => { await svc?.stop(); rmSync(dir, { recursive: true, force: true }); });

const call = async (path: string, token?: string, init: RequestInit = {}) => {
  const res = await fetch(base + path, { ...init, headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(init.headers ?? {}) } });
  return { status: res.status, type: res.headers.get('content-type'), body: (await res.json().catch(() => null)) as any };
};

describe('REST API', () => {
  it('roles: no token 401, wrong token 401, reader cannot queue scans (403), operator can', async () => {
    expect((await call('/api/v1/jobs')).status).toBe(401);
    const wrong = await call('/api/v1/jobs', 'not-a-configured-token-at-all');
    expect(wrong).toMatchObject({ status: 401, type: 'application/problem+json', body: { title: 'Unauthorized', status: 401, detail: 'unknown token' } });
    expect((await call('/api/v1/jobs', READER)).status).toBe(200);
    const post = { method: 'POST', body: JSON.stringify({ image: '127.0.0.1:1/app/x:1' }) };
    expect((await call('/api/v1/scans', READER, post)).body).toMatchObject({ status: 403, detail: 'role operator required' });
    const ok = await call('/api/v1/scans', OPERATOR, post);
    expect(ok.status).toBe(202);
    expect((await call(`/api/v1/scans/${ok.body.scanId}`, READER)).status).toBe(202); // queued, no worker
    expect((await call('/metrics')).status).toBe(401);
    expect((await call('/healthz')).status).toBe(200);
    expect((await call('/readyz')).status).toBe(200);
    expect((await call('/api/v1/openapi.json')).status).toBe(200);
  });

  it('bad requests are Problem+JSON; lists paginate with a cursor', async () => {
    expect((await call('/api/v1/scans', OPERATOR, { method: 'POST', body: '{"image":"oci:/tmp/x"}' })).body.detail).toMatch(/only registry references/);
    expect((await call('/api/v1/scans', OPERATOR, { method: 'POST', body: 'nope' })).status).toBe(400);
    expect((await call('/api/v1/images/sha256:xyz', READER)).body).toMatchObject({ status: 400 });
    expect((await call(`/api/v1/images/sha256:${'a'.repeat(64)}`, READER)).status).toBe(404);
    expect((await call('/api/v1/jobs?state=bogus', READER)).status).toBe(400);
    expect((await call('/api/v1/jobs?limit=0', READER)).status).toBe(400);
    for (let i = 0; i < 4; i++) await call('/api/v1/scans', OPERATOR, { method: 'POST', body: JSON.stringify({ image: `127.0.0.1:1/app/p${i}:1` }) });
    const seen: string[] = [];
    let cursor: string | null = null;
    for (let page = 0; page < 10; page++) {
      const r: { body: { items: { id: string }[]; nextCursor: string | null } } = await call(`/api/v1/jobs?state=queued&limit=2${cursor ? `&cursor=${cursor}` : ''}`, READER);
      seen.push(...r.body.items.map((j) => j.id));
      cursor = r.body.nextCursor;
      if (!cursor) break;
    }
    expect(seen).toHaveLength(5);
    expect(new Set(seen).size).toBe(5);
    // A digest reference is de-duplicated; force makes a new job.
    const d = `127.0.0.1:1/app/d@sha256:${'b'.repeat(64)}`;
    const a = await call('/api/v1/scans', OPERATOR, { method: 'POST', body: JSON.stringify({ image: d }) });
    const b = await call('/api/v1/scans', OPERATOR, { method: 'POST', body: JSON.stringify({ image: d }) });
    const f = await call('/api/v1/scans', OPERATOR, { method: 'POST', body: JSON.stringify({ image: d, force: true }) });
    expect([a.body.duplicate, b.body.duplicate, b.body.jobId === a.body.jobId, f.body.jobId === a.body.jobId]).toEqual([false, true, true, false]);
  });
});
