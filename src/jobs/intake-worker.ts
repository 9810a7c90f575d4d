// The intake thread's body (intake-thread.ts starts it): its own libsql connection to the embedded
// file, writing each group of deliveries in one transaction. libsql writes and fsyncs synchronously;
// here that blocks this thread only, not the event loop answering webhooks.
import { parentPort, workerData } from 'node:worker_threads';
import { createClient } from '@libsql/client/sqlite3';
import { writeDeliveries, type DeliveryRows } from './intake-write.ts';

const { url, timeoutMs, maxAttempts } = workerData as { url: string; timeoutMs: number; maxAttempts: number };
// one connection: a failed write rolls back on it before the next group (no lock left behind)
const client = createClient({ url, timeout: timeoutMs, concurrency: 1 });

parentPort!.on('message', (m: { id: number; group: DeliveryRows[] } | 'close') => {
  if (m === 'close') { client.close(); process.exit(0); }
  writeDeliveries(client, m.group, maxAttempts).then(
    (outcomes) => parentPort!.postMessage({ id: m.id, outcomes }),
    (e: Error) => parentPort!.postMessage({ id: m.id, error: String(e?.message ?? e) }),
  );
});
