import { sqliteTable, text, integer, primaryKey } from 'drizzle-orm/sqlite-core';

/**
 * Per-layer analysis results. Keyed by the layer's (compressed) digest and the analyzer set with
 * versions, so a new analyzer version invalidates exactly what it must.
 */
export const layerAnalysis = sqliteTable('layer_analysis', {
  layerDigest: text('layer_digest').notNull(),
  analyzersKey: text('analyzers_key').notNull(),
  /** LayerResult as JSON */
  result: text('result').notNull(),
  createdAt: integer('created_at', { mode: 'timestamp_ms' }).notNull(),
  lastUsedAt: integer('last_used_at', { mode: 'timestamp_ms' }).notNull(),
}, (t) => [primaryKey({ columns: [t.layerDigest, t.analyzersKey] })]);
