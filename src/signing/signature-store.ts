import { and, eq } from 'drizzle-orm';
import type { ImageSubject } from '../attest/statements.ts';
import type { Database } from '../db/client.ts';
import { imageSignatures } from '../db/schema.ts';
import type { SignatureResult } from './verify-image.ts';

export interface StoredSignature extends SignatureResult { registry: string; repository: string; checkedAt: string }

/** Replace the image's recorded signatures with this evaluation's (one write batch). */
export async function recordSignatures(database: Database, image: ImageSubject, results: SignatureResult[], now = new Date()): Promise<void> {
  const db = database.db;
  const where = and(eq(imageSignatures.registry, image.registry), eq(imageSignatures.repository, image.repository), eq(imageSignatures.digest, image.digest));
  const rows = results.map((r) => ({
    ...image, format: r.format, ref: r.ref, verified: r.verified,
    // one text column: why a signature did not verify, or a verified one's notes (no migration)
    authority: r.authority ?? null, reason: (r.verified ? r.notes : r.reason) ?? null, signedAt: r.signedAt ?? null, checkedAt: now,
  }));
  await db.batch([db.delete(imageSignatures).where(where), ...(rows.length ? [db.insert(imageSignatures).values(rows)] : [])]);
}

/** Every recorded signature of a digest, in any repository. */
export async function signaturesOf(database: Database, digest: string): Promise<StoredSignature[]> {
  const rows = await database.db.select().from(imageSignatures).where(eq(imageSignatures.digest, digest)).orderBy(imageSignatures.id);
  return rows.map((r) => ({
    registry: r.registry, repository: r.repository, format: r.format as SignatureResult['format'], ref: r.ref, verified: r.verified,
    ...(r.authority ? { authority: r.authority } : {}), ...(r.reason ? (r.verified ? { notes: r.reason } : { reason: r.reason }) : {}), ...(r.signedAt ? { signedAt: r.signedAt } : {}),
    checkedAt: r.checkedAt.toISOString(),
  }));
}
