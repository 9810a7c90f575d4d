import { serve } from '@hono/node-server';
import type { Config } from '../config/schema.ts';
import { openDatabase, redactUrl } from '../db/client.ts';
import { CustomsError } from '../errors.ts';
import { log } from '../log.ts';
import { createApp } from '../server/app.ts';
import { VERSION } from '../version.ts';

/** `customs serve`: the service with embedded defaults. Resolves when the server has stopped. */
export async function serveCommand(cfg: Config): Promise<void> {
  const database = await openDatabase(cfg);
  const app = createApp({ database });
  await new Promise<void>((resolvePromise, reject) => {
    const server = serve({ fetch: app.fetch, hostname: cfg.server.host, port: cfg.server.port }, (info) => {
      log.info({ version: VERSION, address: `http://${cfg.server.host}:${info.port}`, db: redactUrl(database.url), dataDir: cfg.dataDir }, 'customs listening');
    });
    server.on('error', (e: any) => {
      database.close();
      reject(new CustomsError('config', `cannot listen on ${cfg.server.host}:${cfg.server.port}: ${e.code ?? e.message}`));
    });
    const stop = (signal: string) => {
      log.info({ signal }, 'shutting down');
      server.close(() => { database.close(); resolvePromise(); });
      setTimeout(() => process.exit(0), 10_000).unref(); // don't hang on open keep-alive connections
    };
    process.once('SIGINT', () => stop('SIGINT'));
    process.once('SIGTERM', () => stop('SIGTERM'));
  });
}
