// Tags Customs has seen pushed (the `tags` table, written when a scan of a tagged push is stored):
// the admission webhook's first, database-only way from a tag to a digest. One raw query for every
// tag of a pod (see verdictsForMany for why not drizzle on this path).
import type { Database } from '../db/client.ts';

export async function storedTagDigests(database: Database, keys: readonly { registry: string; repository: string; tag: string }[]): Promise<(string | undefined)[]> {
  if (!keys.length) return [];
  const rs = await database.client.execute({
    sql: `SELECT registry, repository, tag, digest FROM tags
          WHERE deleted_at IS NULL AND digest IS NOT NULL AND (${keys.map(() => '(registry = ? AND repository = ? AND tag = ?)').join(' OR ')})`,
    args: keys.flatMap((k) => [k.registry, k.repository, k.tag]),
  });
  const found = new Map(rs.rows.map((r) => [`${String(r.registry)}\0${String(r.repository)}\0${String(r.tag)}`, String(r.digest)]));
  return keys.map((k) => found.get(`${k.registry}\0${k.repository}\0${k.tag}`));
}
