import { integer, sqliteTable, text } from 'drizzle-orm/sqlite-core';

/** Short named locks shared by every Customs process on the database (src/db/leases.ts). */
export const leases = sqliteTable('leases', {
  key: text('key').primaryKey(),
  owner: text('owner').notNull(),
  expiresAt: integer('expires_at', { mode: 'timestamp_ms' }).notNull(),
  /** what the holder has done so far (JSON), for the replica that takes the task over */
  state: text('state'),
});
