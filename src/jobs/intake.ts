import type { InStatement } from '@libsql/client';
import type { Database } from '../db/client.ts';
import type { RegistryEvent } from '../webhooks/event.ts';
import { dedupKey, enqueueStatements } from './job-store.ts';

// Webhook intake: events become rows (event, job, image, tag) before the webhook is answered.
// Concurrent deliveries are written together in one transaction (group commit): one fsync for many
// requests, which is what makes thousands of durable deliveries a second possible on one disk.

export interface EventOutcome {
  /** queued: a new job; duplicate: the image already had one; deleted; ignored */
  outcome: 'queued' | 'duplicate' | 'deleted' | 'ignored';
  jobId?: string;
}

interface Pending { statements: InStatement[]; resolve(rs: unknown[]): void; reject(e: unknown): void }

const MAX_BATCH_STATEMENTS = 4000;

export class IntakeWriter {
  private readonly database: Database;
  private readonly maxAttempts: number;
  private queue: Pending[] = [];
  private flushing = false;

  constructor(database: Database, maxAttempts: number) {
    this.database = database;
    this.maxAttempts = maxAttempts;
  }

  /** Store the events of one delivery durably; resolves after the commit. */
  async record(source: string, events: RegistryEvent[]): Promise<EventOutcome[]> {
    const now = Date.now();
    const statements: InStatement[] = [];
    const reads: (number | EventOutcome)[] = []; // index of the RETURNING statement, or a fixed outcome
    for (const e of events) {
      if (e.action === 'ignored') { reads.push({ outcome: 'ignored' }); continue; }
      if (e.action === 'delete') {
        statements.push(...deleteStatements(e, now), eventStatement(source, e, now, { outcome: 'deleted' }));
        reads.push({ outcome: 'deleted' });
        continue;
      }
      const { id, statements: enqueue } = enqueueStatements({ ...e, origin: source }, now, this.maxAttempts);
      statements.push(enqueue[0]!, ...seenStatements(e, now));
      reads.push(statements.length);
      statements.push(eventStatement(source, e, now, { newJobId: id, key: dedupKey(e) }));
    }
    if (!statements.length) return reads as EventOutcome[];
    const rs = (await this.submit(statements)) as { rows: Record<string, unknown>[] }[];
    return reads.map((r) => {
      if (typeof r !== 'number') return r;
      const row = rs[r]!.rows[0]!;
      return { outcome: row.outcome as 'queued' | 'duplicate', jobId: String(row.job_id) };
    });
  }

  private submit(statements: InStatement[]): Promise<unknown[]> {
    return new Promise((resolve, reject) => {
      this.queue.push({ statements, resolve, reject });
      if (!this.flushing) { this.flushing = true; setImmediate(() => void this.flush()); }
    });
  }

  private async flush(): Promise<void> {
    while (this.queue.length) {
      const group: Pending[] = [];
      let n = 0;
      while (this.queue.length && (n === 0 || n + this.queue[0]!.statements.length <= MAX_BATCH_STATEMENTS)) {
        const p = this.queue.shift()!;
        group.push(p);
        n += p.statements.length;
      }
      try {
        const rs = await this.database.client.batch(group.flatMap((p) => p.statements), 'write');
        let i = 0;
        for (const p of group) { p.resolve(rs.slice(i, i + p.statements.length)); i += p.statements.length; }
      } catch (e) {
        // One bad delivery must not fail the others of its group: retry them one by one.
        if (group.length === 1) group[0]!.reject(e);
        else {
          for (const p of group) {
            try { p.resolve(await this.database.client.batch(p.statements, 'write')); } catch (e2) { p.reject(e2); }
          }
        }
      }
    }
    this.flushing = false;
  }
}

function eventStatement(source: string, e: RegistryEvent, now: number, o: { outcome: 'deleted' } | { newJobId: string; key: string | null }): InStatement {
  const base = [source, now, e.action, e.registry, e.repository, e.digest ?? null, e.tag ?? null, e.mediaType ?? null, e.deliveryId ?? null];
  const cols = 'source, received_at, action, registry, repository, digest, tag, media_type, delivery_id, outcome, job_id';
  if ('outcome' in o) {
    return { sql: `INSERT INTO webhook_events (${cols}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 'deleted', NULL)`, args: base };
  }
  // The job this event belongs to: the one just inserted, or the image's existing one (dedup).
  const jobOf = `COALESCE((SELECT id FROM jobs WHERE dedup_key = ?10), ?11)`;
  return {
    sql: `INSERT INTO webhook_events (${cols})
          VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, CASE WHEN ${jobOf} = ?11 THEN 'queued' ELSE 'duplicate' END, ${jobOf})
          RETURNING outcome, job_id`,
    args: [...base, o.key, o.newJobId],
  };
}

/** The image and tag as announced (digest known), live again if they had been deleted. */
function seenStatements(e: RegistryEvent, now: number): InStatement[] {
  if (!e.digest) return [];
  const out: InStatement[] = [{
    sql: `INSERT INTO images (registry, repository, digest, media_type, first_seen_at, last_seen_at) VALUES (?, ?, ?, ?, ?, ?)
          ON CONFLICT (registry, repository, digest) DO UPDATE SET last_seen_at = excluded.last_seen_at, deleted_at = NULL,
            media_type = COALESCE(excluded.media_type, images.media_type)`,
    args: [e.registry, e.repository, e.digest, e.mediaType ?? null, now, now],
  }];
  if (e.tag) {
    out.push({
      sql: `INSERT INTO tags (registry, repository, tag, digest, updated_at) VALUES (?, ?, ?, ?, ?)
            ON CONFLICT (registry, repository, tag) DO UPDATE SET digest = excluded.digest, updated_at = excluded.updated_at, deleted_at = NULL`,
      args: [e.registry, e.repository, e.tag, e.digest, now],
    });
  }
  return out;
}

/** A delete marks the image (by digest) or the tag deleted; nothing is removed. */
function deleteStatements(e: RegistryEvent, now: number): InStatement[] {
  const out: InStatement[] = [];
  if (e.digest) {
    out.push({ sql: 'UPDATE images SET deleted_at = ? WHERE registry = ? AND repository = ? AND digest = ?', args: [now, e.registry, e.repository, e.digest] });
    out.push({ sql: 'UPDATE tags SET deleted_at = ? WHERE registry = ? AND repository = ? AND digest = ?', args: [now, e.registry, e.repository, e.digest] });
  }
  if (e.tag) out.push({ sql: 'UPDATE tags SET deleted_at = ? WHERE registry = ? AND repository = ? AND tag = ?', args: [now, e.registry, e.repository, e.tag] });
  return out;
}
