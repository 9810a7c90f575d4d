import type { Lease } from '../db/leases.ts';
import type { Config } from '../config/schema.ts';
import { log } from '../log.ts';
import type { VulnStore } from './store.ts';
import { updateVulnDb, type UpdateResult } from './update.ts';

export interface RefreshOptions {
  /** default cfg.vulndb.refreshIntervalMs */
  intervalMs?: number;
  /** after each run that imported something new (rescan hooks, metrics) */
  onUpdated?: (r: UpdateResult) => void | Promise<void>;
  /** after a run that failed (nothing usable); the previous data stays current */
  onError?: (e: unknown) => void;
  /** several replicas: refresh only while holding this lease */
  lease?: Lease;
}

/**
 * Run `db update` on a schedule for `customs serve`. The first run comes at once when the database
 * is empty or older than the interval, otherwise when the interval since the last update is over.
 * Runs never overlap; stop() cancels the timer and waits for a run in progress.
 */
export function startVulnDbRefresh(cfg: Config, store: VulnStore, opts: RefreshOptions = {}): { stop: () => Promise<void> } {
  const intervalMs = opts.intervalMs ?? cfg.vulndb.refreshIntervalMs;
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> | undefined;

  const schedule = (ms: number) => {
    if (stopped) return;
    timer = setTimeout(() => { running = run().finally(() => { running = undefined; }); }, Math.max(0, ms));
    timer.unref();
  };
  const run = async () => {
    try {
      // several replicas: one refreshes; the rest read what it imports
      if (opts.lease && !(await opts.lease.hold())) { schedule(intervalMs); return; }
      const r = await updateVulnDb(cfg, store.database);
      if (!r.unchanged) await opts.onUpdated?.(r);
    } catch (e) {
      log.warn({ err: (e as Error).message }, 'scheduled vulnerability update failed; previous data stays current');
      opts.onError?.(e);
    }
    schedule(intervalMs);
  };

  void store.status().then(
    (st) => schedule(st.updatedAt ? intervalMs - (Date.now() - Date.parse(st.updatedAt)) : 0),
    () => schedule(0),
  );
  return {
    stop: async () => {
      stopped = true;
      if (timer) clearTimeout(timer);
      await running;
    },
  };
}
