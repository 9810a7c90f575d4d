import { index, integer, sqliteTable, text } from 'drizzle-orm/sqlite-core';

/**
 * The signatures found for an image at its last evaluation under a policy with a `signature` rule
 * (src/signing/): one row per signature, replaced as a whole at each evaluation.
 */
export const imageSignatures = sqliteTable('image_signatures', {
  id: integer('id').primaryKey({ autoIncrement: true }),
  registry: text('registry').notNull(),
  repository: text('repository').notNull(),
  digest: text('digest').notNull(),
  /** cosign-legacy | sigstore-bundle | notation */
  format: text('format').notNull(),
  /** the layer or manifest digest holding the signature */
  ref: text('ref').notNull(),
  verified: integer('verified', { mode: 'boolean' }).notNull(),
  /** the policy authority whose key verified it */
  authority: text('authority'),
  /** why it did not verify; for a verified signature, its notes (log entries, timestamps: SignatureResult.notes) */
  reason: text('reason'),
  /** when the signer says it signed (RFC 3339), when known */
  signedAt: text('signed_at'),
  checkedAt: integer('checked_at', { mode: 'timestamp_ms' }).notNull(),
}, (t) => [index('image_signatures_image').on(t.registry, t.repository, t.digest), index('image_signatures_digest').on(t.digest)]);
