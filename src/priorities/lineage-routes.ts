// GET /api/v1/families (reader): images that share a base, what the base's findings reach (derived
// images and the workloads running them), and "rebuild on base:Y fixes N" where a newer base helps.
import type { Hono } from 'hono';
import { z } from 'zod';
import type { Config } from '../config/schema.ts';
import type { Database } from '../db/client.ts';
import { requireRole } from '../http/api-auth.ts';
import { pageFields, validQuery } from '../http/validate.ts';
import { fleetFamilies } from './lineage-load.ts';

export function mountFamilies(app: Hono, deps: { cfg: Config; database: Database }): void {
  const query = z.object({
    limit: pageFields(100, 10_000).limit,
    rebuild: z.enum(['true', 'false'], { error: 'rebuild must be true or false' }).optional(),
  });
  app.get('/api/v1/families', requireRole(deps.cfg.api, 'reader'), validQuery(query), async (c) => {
    const { limit, rebuild } = c.req.valid('query');
    let all = await fleetFamilies(deps.database);
    if (rebuild === 'true') all = all.filter((f) => f.rebuild);
    return c.json({ total: all.length, items: all.slice(0, limit) });
  });
}
