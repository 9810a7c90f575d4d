// POST /api/v1/workloads?cluster=NAME — import `kubectl get pods,services,ingresses -A -o json` for
// a cluster Customs cannot reach; GET /api/v1/workloads?cluster=&digest= — what runs where.
import type { Hono } from 'hono';
import type { Config } from '../config/schema.ts';
import type { Database } from '../db/client.ts';
import { requireRole } from '../http/api-auth.ts';
import { problem } from '../http/problem.ts';
import { jsonBody } from '../http/json-body.ts';
import { isDigest } from '../util/digest.ts';
import { InventoryError, parseInventory } from './inventory.ts';
import { importWorkloads, listWorkloads } from './store.ts';

/** kubectl output of a large cluster (thousands of pods) stays well under this */
const MAX_IMPORT_BYTES = 256 * 1024 * 1024;
const CLUSTER = /^[a-z0-9]([a-z0-9._-]{0,61}[a-z0-9])?$/;

export function mountWorkloads(app: Hono, deps: { cfg: Config; database: Database }): void {
  app.post('/api/v1/workloads', requireRole(deps.cfg.api, 'operator'), async (c) => {
    const cluster = c.req.query('cluster') ?? '';
    if (!CLUSTER.test(cluster)) return problem(c, 400, 'Bad Request', '?cluster= names the cluster: lower-case letters, digits, ".", "_", "-", at most 63');
    const body = await jsonBody(c, { maxBytes: MAX_IMPORT_BYTES, maxDepth: deps.cfg.limits.maxJsonDepth, what: 'kubectl output' });
    if (body instanceof Response) return body;
    let parsed;
    try {
      parsed = parseInventory(body.value);
    } catch (e) {
      if (e instanceof InventoryError) return problem(c, 400, 'Bad Request', e.message);
      throw e;
    }
    await importWorkloads(deps.database, cluster, parsed.containers);
    const workloads = new Set(parsed.containers.map((w) => `${w.namespace}/${w.kind}/${w.name}`));
    return c.json({
      cluster, pods: parsed.pods, workloads: workloads.size, containers: parsed.containers.length,
      internetFacing: new Set(parsed.containers.filter((w) => w.exposure === 'internet').map((w) => `${w.namespace}/${w.kind}/${w.name}`)).size,
      withoutDigest: parsed.containers.filter((w) => !w.digest).length,
    });
  });

  app.get('/api/v1/workloads', requireRole(deps.cfg.api, 'reader'), async (c) => {
    const cluster = c.req.query('cluster');
    const digest = c.req.query('digest');
    if (digest !== undefined && !isDigest(digest)) return problem(c, 400, 'Bad Request', 'not a digest (sha256:<64 hex>)');
    return c.json({ items: await listWorkloads(deps.database, { ...(cluster ? { cluster } : {}), ...(digest ? { digest } : {}) }) });
  });
}
