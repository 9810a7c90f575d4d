// GET /api/v1/priorities?limit=N (reader): the ordered fixes across the fleet (fleet.ts), each with its
// findings and every factor of their priority.
import type { Hono } from 'hono';
import type { Config } from '../config/schema.ts';
import type { Database } from '../db/client.ts';
import { requireRole } from '../http/api-auth.ts';
import { pageFields, validQuery } from '../http/validate.ts';
import { z } from 'zod';
import { fleetPriorities } from './fleet.ts';

export function mountPriorities(app: Hono, deps: { cfg: Config; database: Database }): void {
  app.get('/api/v1/priorities', requireRole(deps.cfg.api, 'reader'), validQuery(z.object({ limit: pageFields(100, 10_000).limit })), async (c) => {
    const { limit } = c.req.valid('query');
    const r = await fleetPriorities(deps.database, { criticalityLabel: deps.cfg.priorities.criticalityLabel }, limit);
    return c.json({ total: r.total, items: r.fixes, unscanned: r.unscanned, criticalityLabel: deps.cfg.priorities.criticalityLabel, weights: r.weights });
  });
}
