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
import { requireRole } from '../http/api-auth.ts';
import { problem } from '../http/problem.ts';
import { digestParam, pageFields, validJson, validParams, validQuery } from '../http/validate.ts';
import { z } from 'zod';
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

  app.get('/api/v1/policies/:name', reader, validQuery(z.object({ version: z.string().regex(/^[1-9]\d{0,8}$/, 'version must be a positive whole number').transform(Number).optional() })), async (c) => {
    const { version } = c.req.valid('query');
    const p = await policies.get(c.req.param('name'), version);
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

  app.get('/api/v1/verdicts/:digest', reader, validParams(digestParam), async (c) => {
    const { digest } = c.req.valid('param');
    const rows = await verdictsOf(database, digest);
    if (!rows.length) return problem(c, 404, 'Not Found', `no verdict for ${digest}`);
    return c.json({ items: rows });
  });

  // the server-side equivalent of `customs verify`: the current verdict of an image (its root rows)
  app.get('/api/v1/images/:digest/verdict', reader, validParams(digestParam), async (c) => {
    const { digest } = c.req.valid('param');
    const items = await verdictsWithReasons(database, digest);
    if (!items.length) return problem(c, 404, 'Not Found', `no verdict for ${digest} (not scanned yet?)`);
    // where the published (signed) verdict stands: pending while the outbox still holds it
    const withPublication = await Promise.all(items.map(async (v) => {
      const p = await outbox.get({ registry: v.registry, repository: v.repository, digest: v.rootDigest });
      return { ...v, publication: p ? { state: 'pending', statements: p.statements, attempts: p.attempts, lastError: p.lastError, dueAt: p.dueAt.toISOString() } : { state: cfg.attestations.enabled || cfg.workers.statusTags ? 'none' : 'disabled' } };
    }));
    return c.json({ digest, verdict: combineVerdicts(items.map((r) => r.verdict)), items: withPublication });
  });

  const needsReason = 'a release needs a reason ("reason": "...")';
  const releaseBody = validJson(z.object({
    reason: z.string({ error: needsReason }).refine((r) => r.trim().length > 0, needsReason),
    repository: z.string({ error: 'must be a string' }).optional(),
  }, { error: 'body must be JSON: {"reason": "...", "repository": "optional"}' }), { maxBytes: 64 * 1024, maxDepth: cfg.limits.maxJsonDepth, what: 'release', emptyAs: {} });
  app.post('/api/v1/quarantine/:digest/release', operator, validParams(digestParam), releaseBody.check, async (c) => {
    const { digest } = c.req.valid('param');
    const body = releaseBody.of(c);
    const r = await release(deps.judge, digest, { actor: actor(c), reason: body.reason, ...(body.repository !== undefined ? { repository: body.repository } : {}) });
    return c.json(r);
  });

  app.get('/api/v1/audit', reader, validQuery(z.object({
    limit: pageFields(100, 1000).limit,
    before: z.string().regex(/^\d{1,15}$/, 'before must be an entry id').transform(Number).optional(),
    subject: z.string().min(1).optional(),
  })), async (c) => {
    const { limit, before, subject } = c.req.valid('query');
    const items = await policies.auditEntries({ limit, ...(before !== undefined ? { before } : {}), ...(subject ? { subject } : {}) });
    return c.json({ items, next: items.length === limit ? items[items.length - 1]!.id : null });
  });
}
