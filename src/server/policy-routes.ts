// REST routes of the policy side: policies (admin), verdicts (reader), releases (operator), the
// audit log (reader) and OpenVEX imports (admin). Handlers parse and hand over to src/policy and
// src/quarantine; a CustomsError they throw is answered by app.onError (its kind's status).
import type { Context, Hono } from 'hono';
import type { Config } from '../config/schema.ts';
import type { Database } from '../db/client.ts';
import { isCustomsError } from '../errors.ts';
import { testDraft } from '../judge/draft-test.ts';
import { combineVerdicts } from '../policy/evaluate.ts';
import { parsePolicy } from '../policy/parse.ts';
import { PolicyStore } from '../policy/store.ts';
import { release, type JudgeContext } from '../judge/judge.ts';
import { importVex } from '../policy/vex-store.ts';
import { OutboxStore } from '../publish/outbox.ts';
import { verdictsOf, verdictsWithReasons } from '../quarantine/verdict-store.ts';
import { isDigest } from '../util/digest.ts';
import { requireRole } from '../http/api-auth.ts';
import { problem } from '../http/problem.ts';
import { readBodyCapped } from '../util/read-capped.ts';

const MAX_POLICY_BODY = 1024 * 1024;
const MAX_VEX_BODY = 16 * 1024 * 1024;

function actor(c: Context): string {
  return (c.get('principal' as never) as string | undefined) ?? 'anonymous';
}

export function mountPolicyApi(app: Hono, deps: { cfg: Config; database: Database; judge: JudgeContext }): void {
  const { cfg, database } = deps;
  const reader = requireRole(cfg.api, 'reader');
  const operator = requireRole(cfg.api, 'operator');
  const admin = requireRole(cfg.api, 'admin');
  const policies = new PolicyStore(database);
  const outbox = new OutboxStore(database);

  app.get('/api/v1/policies', reader, async (c) => {
    const all = await policies.current();
    return c.json({ items: all.map((p) => ({ name: p.policy.metadata.name, version: p.version, mode: p.policy.spec.mode, scope: p.policy.spec.scope, createdAt: p.createdAt, createdBy: p.createdBy })) });
  });

  app.get('/api/v1/policies/:name', reader, async (c) => {
    const v = c.req.query('version');
    if (v !== undefined && !/^[1-9]\d{0,8}$/.test(v)) return problem(c, 400, 'Bad Request', 'version must be a positive whole number');
    const p = await policies.get(c.req.param('name'), v === undefined ? undefined : Number(v));
    if (!p) return problem(c, 404, 'Not Found', `no policy named ${c.req.param('name')}`);
    return c.json({ name: p.policy.metadata.name, version: p.version, createdAt: p.createdAt, createdBy: p.createdBy, document: p.policy, history: await policies.history(p.policy.metadata.name) });
  });

  app.put('/api/v1/policies/:name', admin, async (c) => {
    const text = (await readBodyCapped(c.req.raw, MAX_POLICY_BODY)).toString('utf8');
    const policy = parsePolicy(text, 'request body');
    if (policy.metadata.name !== c.req.param('name')) return problem(c, 400, 'Bad Request', `metadata.name "${policy.metadata.name}" differs from the name in the path "${c.req.param('name')}"`);
    const stored = await policies.apply(policy, { actor: actor(c), source: text });
    return c.json({ name: policy.metadata.name, version: stored.version }, stored.version === 1 ? 201 : 200);
  });

  app.delete('/api/v1/policies/:name', admin, async (c) => {
    await policies.delete(c.req.param('name'), { actor: actor(c), ...(c.req.query('reason') ? { reason: c.req.query('reason')! } : {}) });
    return c.body(null, 204);
  });

  app.post('/api/v1/policies/test', admin, async (c) => {
    const text = (await readBodyCapped(c.req.raw, MAX_POLICY_BODY)).toString('utf8');
    const draft = parsePolicy(text, 'request body');
    return c.json(await testDraft(database, await policies.current(), draft, 10_000));
  });

  app.post('/api/v1/vex', admin, async (c) => {
    const text = (await readBodyCapped(c.req.raw, MAX_VEX_BODY)).toString('utf8');
    return c.json(await importVex(database, text, actor(c)), 201);
  });

  app.get('/api/v1/verdicts/:digest', reader, async (c) => {
    const digest = c.req.param('digest');
    if (!isDigest(digest)) return problem(c, 400, 'Bad Request', 'not a digest (sha256:<64 hex>)');
    const rows = await verdictsOf(database, digest);
    if (!rows.length) return problem(c, 404, 'Not Found', `no verdict for ${digest}`);
    return c.json({ items: rows });
  });

  // the server-side equivalent of `customs verify`: the current verdict of an image (its root rows)
  app.get('/api/v1/images/:digest/verdict', reader, async (c) => {
    const digest = c.req.param('digest');
    if (!isDigest(digest)) return problem(c, 400, 'Bad Request', 'not a digest (sha256:<64 hex>)');
    const items = await verdictsWithReasons(database, digest);
    if (!items.length) return problem(c, 404, 'Not Found', `no verdict for ${digest} (not scanned yet?)`);
    // where the published (signed) verdict stands: pending while the outbox still holds it
    const withPublication = await Promise.all(items.map(async (v) => {
      const p = await outbox.get({ registry: v.registry, repository: v.repository, digest: v.rootDigest });
      return { ...v, publication: p ? { state: 'pending', statements: p.statements, attempts: p.attempts, lastError: p.lastError, dueAt: p.dueAt.toISOString() } : { state: cfg.attestations.enabled || cfg.workers.statusTags ? 'none' : 'disabled' } };
    }));
    return c.json({ digest, verdict: combineVerdicts(items.map((r) => r.verdict)), items: withPublication });
  });

  app.post('/api/v1/quarantine/:digest/release', operator, async (c) => {
    const digest = c.req.param('digest');
    if (!isDigest(digest)) return problem(c, 400, 'Bad Request', 'not a digest (sha256:<64 hex>)');
    let body: { reason?: unknown; repository?: unknown };
    try {
      const raw = (await readBodyCapped(c.req.raw, 64 * 1024)).toString('utf8');
      body = raw.trim() ? JSON.parse(raw) : {};
    } catch (e) {
      if (isCustomsError(e)) throw e;
      return problem(c, 400, 'Bad Request', 'body must be JSON: {"reason": "...", "repository": "optional"}');
    }
    if (typeof body !== 'object' || body === null) return problem(c, 400, 'Bad Request', 'body must be a JSON object');
    if (typeof body.reason !== 'string' || !body.reason.trim()) return problem(c, 400, 'Bad Request', 'a release needs a reason ("reason": "...")');
    if (body.repository !== undefined && typeof body.repository !== 'string') return problem(c, 400, 'Bad Request', 'repository must be a string');
    const r = await release(deps.judge, digest, { actor: actor(c), reason: body.reason, ...(typeof body.repository === 'string' ? { repository: body.repository } : {}) });
    return c.json(r);
  });

  app.get('/api/v1/audit', reader, async (c) => {
    const limit = Number(c.req.query('limit') ?? 100);
    const before = c.req.query('before');
    if (!Number.isInteger(limit) || limit < 1 || limit > 1000) return problem(c, 400, 'Bad Request', 'limit must be 1..1000');
    if (before !== undefined && !/^\d{1,15}$/.test(before)) return problem(c, 400, 'Bad Request', 'before must be an entry id');
    const items = await policies.auditEntries({ limit, ...(before ? { before: Number(before) } : {}), ...(c.req.query('subject') ? { subject: c.req.query('subject')! } : {}) });
    return c.json({ items, next: items.length === limit ? items[items.length - 1]!.id : null });
  });
}
