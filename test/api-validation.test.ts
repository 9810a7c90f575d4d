// Request validation in one place (src/http/validate.ts): bad path parameters, queries and JSON
// bodies are 400 problem documents naming the field; an oversized body is 413; valid input passes.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase, type Database } from '../src/db/client.ts';
import { createApp } from '../src/server/app.ts';
import { testConfig } from './helpers/registry.ts';

let dir: string;
let database: Database;
let app: ReturnType<typeof createApp>;
const D = 'sha256:' + 'a'.repeat(64);

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'customs-validate-'));
  const cfg = testConfig({ dataDir: dir, database: { url: `file:${join(dir, 'c.db')}` } });
  database = await openDatabase(cfg);
  app = createApp({ database, cfg });
});
afterAll(() => { database.close(); rmSync(dir, { recursive: true, force: true }); });

async function call(path: string, init?: RequestInit): Promise<{ status: number; type: string | null; body: any }> {
  const res = await app.fetch(new Request(`http://customs.test${path}`, init));
  const text = await res.text();
  return { status: res.status, type: res.headers.get('content-type'), body: text ? JSON.parse(text) : null };
}

describe('one validation layer for the API', () => {
  it.each([
    ['/api/v1/images/sha256:abc', 'digest: not a digest (sha256:<64 hex>)'],
    ['/api/v1/images/sha256:abc/findings', 'digest: not a digest (sha256:<64 hex>)'],
    ['/api/v1/verdicts/latest', 'digest: not a digest (sha256:<64 hex>)'],
    [`/api/v1/images/${'sha256:' + 'A'.repeat(64)}/signatures`, 'digest: not a digest (sha256:<64 hex>)'],
    ['/api/v1/jobs?limit=0', 'limit: limit must be 1..500'],
    ['/api/v1/jobs?limit=1e3', 'limit: limit must be 1..500'],
    ['/api/v1/jobs?limit=abc', 'limit: limit must be 1..500'],
    ['/api/v1/jobs?state=done', 'state: state must be one of queued, running, succeeded, failed'],
    ['/api/v1/repositories?cursor=%FF%FF', 'cursor: invalid cursor'],
    [`/api/v1/tags?cursor=${Buffer.from('-1').toString('base64url')}`, 'cursor: invalid cursor'],
    ['/api/v1/audit?limit=1001', 'limit: limit must be 1..1000'],
    ['/api/v1/audit?before=x', 'before: before must be an entry id'],
    ['/api/v1/policies/default?version=0', 'version: version must be a positive whole number'],
  ])('GET %s → 400 %s', async (path, detail) => {
    const r = await call(path);
    expect(r.status).toBe(400);
    expect(r.type).toMatch(/^application\/problem\+json/);
    expect(r.body.detail).toBe(detail);
  });

  it.each([
    ['/api/v1/scans', '', 'scan request: invalid JSON'],
    ['/api/v1/scans', '{"force": true}', 'scan request: image: expected a reference: {"image": "registry/repo:tag"}'],
    ['/api/v1/scans', '{"image": "r.example/a:1", "force": "yes"}', 'scan request: force: expected true or false'],
    ['/api/v1/scans', '[1]', 'scan request: '],
    [`/api/v1/quarantine/${D}/release`, '{"reason": "  "}', 'release: reason: a release needs a reason ("reason": "...")'],
    [`/api/v1/quarantine/${D}/release`, '', 'release: reason: a release needs a reason ("reason": "...")'],
    [`/api/v1/quarantine/${D}/release`, '{"reason": "ok", "repository": 5}', 'release: repository: must be a string'],
    [`/api/v1/quarantine/${D}/release`, '"text"', 'release: body must be JSON: {"reason": "...", "repository": "optional"}'],
    [`/api/v1/quarantine/${D}/release`, '{"reason": ' + '['.repeat(200) + ']'.repeat(200) + '}', 'release: JSON nested deeper than'],
  ])('POST %s %s → 400', async (path, body, detail) => {
    const r = await call(path, { method: 'POST', body });
    expect(r.status).toBe(400);
    expect(String(r.body.detail).startsWith(detail)).toBe(true);
  });

  it('an oversized body is 413, valid input passes the checks', async () => {
    expect((await call('/api/v1/scans', { method: 'POST', body: JSON.stringify({ image: 'x'.repeat(70_000) }) })).status).toBe(413);
    const ok = await call('/api/v1/scans', { method: 'POST', body: JSON.stringify({ image: 'r.example/app:1' }) });
    expect(ok.status).toBe(202);
    const jobs = await call('/api/v1/jobs?limit=1&state=queued');
    expect(jobs.status).toBe(200);
    expect(jobs.body.items).toHaveLength(1);
    const next = await call(`/api/v1/jobs?limit=1&cursor=${jobs.body.nextCursor}`);
    expect(next.status).toBe(200);
    expect((await call(`/api/v1/images/${D}`)).status).toBe(404); // valid digest, nothing stored
    expect((await call(`/api/v1/quarantine/${D}/release`, { method: 'POST', body: '{"reason": "test"}' })).status).not.toBe(400);
  });
});
