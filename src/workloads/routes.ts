// POST /api/v1/workloads?cluster=NAME — import `kubectl get pods,services,ingresses,httproutes -A -o json`
// for a cluster Customs cannot reach (the same path as `customs workloads import` and the API sync);
// GET /api/v1/workloads/clusters — how the sync of each configured cluster went; GET /api/v1/workloads?cluster=&digest= — what runs where.
import type { Hono } from 'hono';
import type { Config } from '../config/schema.ts';
import type { Database } from '../db/client.ts';
import { requireRole } from '../http/api-auth.ts';
import { problem } from '../http/problem.ts';
import { jsonBody } from '../http/json-body.ts';
import { isDigest } from '../util/digest.ts';
import { CLUSTER_NAME } from '../config/workloads-schema.ts';
import { log } from '../log.ts';
import { ingestInventory } from './ingest.ts';
import { InventoryError } from './inventory.ts';
import { listWorkloads } from './store.ts';
import type { WorkloadSync } from './sync.ts';

/** kubectl output of a large cluster (thousands of pods) stays well under this */
const MAX_IMPORT_BYTES = 256 * 1024 * 1024;

export function mountWorkloads(app: Hono, deps: { cfg: Config; database: Database; sync?: Pick<WorkloadSync, 'status'> }): void {
  // the Kubernetes API sync of each configured cluster: last success, what it found, the last error
  app.get('/api/v1/workloads/clusters', requireRole(deps.cfg.api, 'reader'), (c) => c.json({ items: deps.sync?.status() ?? [] }));

  app.post('/api/v1/workloads', requireRole(deps.cfg.api, 'operator'), async (c) => {
    const cluster = c.req.query('cluster') ?? '';
    if (!CLUSTER_NAME.test(cluster)) return problem(c, 400, 'Bad Request', '?cluster= names the cluster: lower-case letters, digits, ".", "_", "-", at most 63');
    const body = await jsonBody(c, { maxBytes: MAX_IMPORT_BYTES, maxDepth: deps.cfg.limits.maxJsonDepth, what: 'kubectl output' });
    if (body instanceof Response) return body;
    let summary;
    try {
      summary = await ingestInventory(deps.database, cluster, body.value, { criticalityKey: deps.cfg.priorities.criticalityLabel });
    } catch (e) {
      if (e instanceof InventoryError) return problem(c, 400, 'Bad Request', e.message);
      throw e;
    }
    log.info({ ...summary, via: 'api' }, 'workload inventory imported');
    return c.json(summary);
  });

  app.get('/api/v1/workloads', requireRole(deps.cfg.api, 'reader'), async (c) => {
    const cluster = c.req.query('cluster');
    const digest = c.req.query('digest');
    if (digest !== undefined && !isDigest(digest)) return problem(c, 400, 'Bad Request', 'not a digest (sha256:<64 hex>)');
    return c.json({ items: await listWorkloads(deps.database, { ...(cluster ? { cluster } : {}), ...(digest ? { digest } : {}) }) });
  });
}
