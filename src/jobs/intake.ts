import type { Database } from '../db/client.ts';
import type { RegistryEvent } from '../webhooks/event.ts';
import { writeDeliveries, type DeliveryRows, type EventOutcome } from './intake-write.ts';

// Webhook intake: events become rows (event, job, image, tag) before the webhook is answered.
// Deliveries that arrive while a group is being committed wait and form the next group: one
// transaction and one fsync for many requests (a commit costs milliseconds of fsync, a row ~0.1 ms).
// On the embedded file the groups are written by the intake thread (intake-thread.ts), so the
// fsync does not stop this event loop.

export type { EventOutcome } from './intake-write.ts';

interface Delivery extends DeliveryRows { resolve(o: EventOutcome[]): void; reject(e: unknown): void }

/** Events written in one transaction at most. */
const MAX_GROUP_EVENTS = 2000;

/**
 * Groups in flight at once. The embedded file has one writer (and libsql writes on this thread), so
 * one; PostgreSQL commits concurrent transactions in parallel (group commit in the server), so a
 * group can be written while the previous one waits for its commit. Two groups with the same new
 * image are safe: the unique dedup key makes the second wait for the first and keep its job.
 */
const GROUPS_IN_FLIGHT = { sqlite: 1, postgres: 4 } as const;

export class IntakeWriter {
  private readonly database: Database;
  private readonly maxAttempts: number;
  private readonly parallel: number;
  private queue: Delivery[] = [];
  private flushing = 0;
  private readonly writer: ((group: DeliveryRows[]) => Promise<EventOutcome[][]>) | undefined;
  /** `writer`: where groups are written (the intake thread on the embedded file); default this thread. */
  constructor(database: Database, maxAttempts: number, writer?: (group: DeliveryRows[]) => Promise<EventOutcome[][]>) {
    this.database = database;
    this.maxAttempts = maxAttempts;
    this.parallel = GROUPS_IN_FLIGHT[database.dialect];
    this.writer = writer;
  }

  /** Store the events of one delivery durably; resolves after the commit. */
  record(source: string, events: RegistryEvent[]): Promise<EventOutcome[]> {
    // Ignored and invalid events are answered, not stored: no transaction for a delivery of only those.
    if (!events.some((e) => e.action === 'push' || e.action === 'delete')) return Promise.resolve(events.map(() => ({ outcome: 'ignored' as const })));
    return new Promise((resolve, reject) => {
      this.queue.push({ source, events, now: Date.now(), resolve, reject });
      if (this.flushing < this.parallel) { this.flushing++; setImmediate(() => void this.flush()); }
    });
  }

  private write(group: DeliveryRows[]): Promise<EventOutcome[][]> {
    return this.writer ? this.writer(group) : writeDeliveries(this.database.client, group, this.maxAttempts);
  }

  private async flush(): Promise<void> {
    while (this.queue.length) {
      const group: Delivery[] = [];
      let n = 0;
      while (this.queue.length && (n === 0 || n + this.queue[0]!.events.length <= MAX_GROUP_EVENTS)) {
        const d = this.queue.shift()!;
        group.push(d);
        n += d.events.length;
      }
      const rows = group.map(({ source, events, now }) => ({ source, events, now }));
      try {
        const outcomes = await this.write(rows);
        group.forEach((d, i) => d.resolve(outcomes[i]!));
      } catch (e) {
        // One bad delivery must not fail the others of its group: write them one by one.
        if (group.length === 1) group[0]!.reject(e);
        else for (const [i, d] of group.entries()) await this.write([rows[i]!]).then((o) => d.resolve(o[0]!), (e2) => d.reject(e2));
      }
    }
    this.flushing--;
  }
}
