import { Hono } from 'hono';
import type { Database } from '../db/client.ts';
import { VERSION } from '../version.ts';

/** The HTTP API. Routes parse, authenticate and hand over; no business logic here. */
export function createApp(deps: { database: Database }): Hono {
  const app = new Hono();
  app.get('/healthz', async (c) => {
    try {
      await deps.database.client.execute('SELECT 1');
      return c.json({ status: 'ok', version: VERSION });
    } catch {
      return c.json({ status: 'unhealthy', reason: 'database unavailable' }, 503);
    }
  });
  app.notFound((c) => c.json({ error: 'not found', path: c.req.path }, 404));
  app.onError((err, c) => c.json({ error: 'internal error', message: err.message }, 500));
  return app;
}
