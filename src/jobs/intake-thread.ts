import { Worker } from 'node:worker_threads';
import { log } from '../log.ts';
import type { DeliveryRows, EventOutcome } from './intake-write.ts';

// Webhook intake on the embedded file writes in a thread of its own (intake-worker.ts): the commit's
// fsync (milliseconds per group) no longer stops the event loop that answers the next webhooks.
// A thread that dies fails its pending groups (the webhooks get 5xx and are re-sent) and is started
// again for the next group.

export interface IntakeThread {
  write(group: DeliveryRows[]): Promise<EventOutcome[][]>;
  close(): Promise<void>;
}

export function startIntakeThread(url: string, maxAttempts: number, timeoutMs: number): IntakeThread {
  let worker: Worker | undefined;
  let seq = 0;
  let closed = false;
  const pending = new Map<number, { resolve(o: EventOutcome[][]): void; reject(e: Error): void }>();
  const inFlight = new Set<Promise<EventOutcome[][]>>();
  const spawn = (): Worker => {
    const w = new Worker(new URL('./intake-worker.ts', import.meta.url), { workerData: { url, timeoutMs, maxAttempts } });
    w.on('message', (m: { id: number; outcomes?: EventOutcome[][]; error?: string }) => {
      const p = pending.get(m.id);
      if (!p) return;
      pending.delete(m.id);
      if (m.error !== undefined) p.reject(new Error(m.error)); else p.resolve(m.outcomes!);
    });
    const fail = (why: string) => {
      if (worker === w) worker = undefined;
      for (const [id, p] of pending) { pending.delete(id); p.reject(new Error(`the intake thread ${why}`)); }
    };
    w.on('error', (e) => { log.error({ err: e.message }, 'the webhook intake thread failed; starting another for the next deliveries'); fail(`failed: ${e.message}`); });
    w.on('exit', (code) => { if (!closed) { log.error({ code }, 'the webhook intake thread exited'); fail(`exited (${code})`); } });
    return w;
  };
  return {
    write(group) {
      if (closed) return Promise.reject(new Error('webhook intake is closed'));
      worker ??= spawn();
      const id = ++seq;
      const p = new Promise<EventOutcome[][]>((resolve, reject) => {
        pending.set(id, { resolve, reject });
        worker!.postMessage({ id, group });
      });
      inFlight.add(p);
      void p.finally(() => inFlight.delete(p)).catch(() => {});
      return p;
    },
    async close() {
      closed = true;
      const w = worker;
      worker = undefined;
      if (!w) return;
      // groups in flight finish first
      await Promise.allSettled(inFlight);
      const exited = new Promise((r) => w.once('exit', r));
      w.postMessage('close');
      await Promise.race([exited, new Promise((r) => setTimeout(r, 2_000))]);
      await w.terminate();
    },
  };
}
