import type { Database } from './client.ts';

// Named leases in the database (table `leases`): background tasks that must run on one replica at a
// time — re-evaluation, the vulnerability-data refresh — hold one while they work. A holder renews it
// on each tick; when it dies, the lease lapses after `ttlMs` and another replica takes the task over.

export class Lease {
  readonly key: string;
  readonly owner: string;
  readonly ttlMs: number;
  private readonly database: Database;
  constructor(database: Database, key: string, owner: string, ttlMs: number) {
    this.database = database; this.key = key; this.owner = owner; this.ttlMs = ttlMs;
  }

  /** Take or renew the lease; true while this owner holds it. One statement: atomic on both databases. */
  async hold(): Promise<boolean> {
    const now = Date.now();
    const rs = await this.database.client.execute({
      sql: `INSERT INTO leases (key, owner, expires_at) VALUES (?, ?, ?)
            ON CONFLICT (key) DO UPDATE SET owner = excluded.owner, expires_at = excluded.expires_at
            WHERE leases.expires_at < ? OR leases.owner = excluded.owner
            RETURNING owner`,
      args: [this.key, this.owner, now + this.ttlMs, now],
    });
    return rs.rows.length === 1;
  }

  /** What the last holder recorded with saveState (JSON), whoever it was; null when nothing was. */
  async state(): Promise<string | null> {
    const rs = await this.database.client.execute({ sql: 'SELECT state FROM leases WHERE key = ?', args: [this.key] });
    return (rs.rows[0]?.state as string | null | undefined) ?? null;
  }

  /** Record progress while holding the lease (ignored when it was lost meanwhile); true when written. */
  async saveState(state: string): Promise<boolean> {
    const rs = await this.database.client.execute({ sql: 'UPDATE leases SET state = ? WHERE key = ? AND owner = ?', args: [state, this.key, this.owner] });
    return rs.rowsAffected === 1;
  }

  /** Give it up now (shutdown), so another replica need not wait for it to lapse. */
  async release(): Promise<void> {
    // the row stays (with its state) for the next holder; only the time runs out now
    await this.database.client.execute({ sql: 'UPDATE leases SET expires_at = 0 WHERE key = ? AND owner = ?', args: [this.key, this.owner] });
  }
}
