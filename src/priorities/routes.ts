// GET /api/v1/priorities?limit=N (reader): the ordered fixes across the fleet (fleet.ts), each with its
// findings and every factor of their priority.
import type { Hono } from 'hono';
import type { Config } from '../config/schema.ts';
import type { Database } from '../db/client.ts';
import { requireRole } from '../http/api-auth.ts';
import { problem } from '../http/problem.ts';
import { fleetPriorities } from './fleet.ts';

export function mountPriorities(app: Hono, deps: { cfg: Config; database: Database }): void {
  app.get('/api/v1/priorities', requireRole(deps.cfg.api, 'reader'), async (c) => {
    const limit = Number(c.req.query('limit') ?? 100);
    if (!Number.isInteger(limit) || limit < 1 || limit > 10_000) return problem(c, 400, 'Bad Request', 'limit must be 1..10000');
    const r = await fleetPriorities(deps.database, { criticalityLabel: deps.cfg.priorities.criticalityLabel }, limit);
    return c.json({ total: r.total, items: r.fixes, unscanned: r.unscanned, criticalityLabel: deps.cfg.priorities.criticalityLabel, weights: r.weights });
  });
}
