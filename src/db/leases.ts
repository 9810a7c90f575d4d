// A named lock every Customs process sharing the database respects: read-modify-write sections in a
// registry (the `.att` manifest, the referrers fallback index) must not interleave across replicas.
// A lease expires by itself, so a process that died holding one blocks the others for ttlMs at most.
import { randomUUID } from 'node:crypto';
import { and, eq } from 'drizzle-orm';
import { CustomsError } from '../errors.ts';
import type { Database } from './client.ts';
import { leases } from './schema.ts';

const PROCESS = randomUUID();

export interface LeaseOptions {
  /** how long the holder may keep it before others may take it */
  ttlMs?: number;
  /** give up waiting after this long */
  waitMs?: number;
}

export async function withLease<T>(database: Database, key: string, fn: () => Promise<T>, opts: LeaseOptions = {}): Promise<T> {
  const ttlMs = opts.ttlMs ?? 60_000;
  const deadline = Date.now() + (opts.waitMs ?? 60_000);
  const owner = `${PROCESS}:${randomUUID()}`;
  let delay = 10;
  for (;;) {
    const now = Date.now();
    // take it when free or expired: one statement, so two processes cannot both succeed
    const rs = await database.client.execute({
      sql: `INSERT INTO leases (key, owner, expires_at) VALUES (?, ?, ?)
            ON CONFLICT(key) DO UPDATE SET owner = excluded.owner, expires_at = excluded.expires_at WHERE leases.expires_at < ?`,
      args: [key, owner, now + ttlMs, now],
    });
    if (rs.rowsAffected === 1) break;
    if (Date.now() >= deadline) throw new CustomsError('unreachable', `lock ${key} still held by another Customs process after ${opts.waitMs ?? 60_000} ms`, { transient: true });
    await new Promise((r) => setTimeout(r, delay));
    delay = Math.min(delay * 2, 500);
  }
  try {
    return await fn();
  } finally {
    await database.db.delete(leases).where(and(eq(leases.key, key), eq(leases.owner, owner))).catch(() => undefined);
  }
}
