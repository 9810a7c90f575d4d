import type { Config } from '../config/schema.ts';
import { redactUrl } from '../db/client.ts';
import { log } from '../log.ts';
import { startService } from '../server/service.ts';
import { VERSION } from '../version.ts';

/**
 * `customs serve`: webhook intake and REST API, plus the scan workers. Resolves when stopped.
 * SIGTERM/SIGINT: stop accepting requests, stop claiming jobs, let running scans finish within
 * workers.shutdownMs and release the leases of the rest (another replica or the next start takes them).
 */
export async function serveCommand(cfg: Config): Promise<void> {
  const service = await startService(cfg, { vulndbRefresh: true });
  log.info({
    version: VERSION, address: `http://${cfg.server.host}:${service.port}`, db: redactUrl(service.database.url),
    dataDir: cfg.dataDir, workers: cfg.workers.concurrency, owner: service.workers.owner,
  }, 'customs listening');
  await new Promise<void>((resolve) => {
    const stop = (signal: string) => {
      log.info({ signal }, 'shutting down');
      setTimeout(() => process.exit(0), cfg.workers.shutdownMs + 10_000).unref(); // never hang
      void service.stop().finally(resolve);
    };
    process.once('SIGINT', () => stop('SIGINT'));
    process.once('SIGTERM', () => stop('SIGTERM'));
  });
}
