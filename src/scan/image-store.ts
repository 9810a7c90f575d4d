// Images and tags seen in registries (tables `images` and `tags`): the reads. Written today by the
// job store (a stored scan) and intake (pushes and deletions).
import { and, asc, count, eq, isNull, max, sql, type SQL } from 'drizzle-orm';
import type { Database } from '../db/client.ts';
import { images, tags } from '../db/schema.ts';

export type TagRow = typeof tags.$inferSelect;

export interface RepositorySummary { registry: string; repository: string; images: number; liveImages: number; lastSeenAt: Date | null }

export interface DigestPlacement { registry: string; repository: string; deletedAt: Date | null; tags: string[] }

export class ImageStore {
  readonly database: Database;
  constructor(database: Database) { this.database = database; }

  /** Where a digest has been seen (at most 100 repositories, by registry and repository) with its live tags there. */
  async placements(digest: string): Promise<DigestPlacement[]> {
    const db = this.database.db;
    const seen = await db.select({ registry: images.registry, repository: images.repository, deletedAt: images.deletedAt })
      .from(images).where(eq(images.digest, digest)).orderBy(asc(images.registry), asc(images.repository)).limit(100);
    if (!seen.length) return [];
    const live = await db.select({ registry: tags.registry, repository: tags.repository, tag: tags.tag })
      .from(tags).where(and(eq(tags.digest, digest), isNull(tags.deletedAt))).orderBy(asc(tags.registry), asc(tags.repository), asc(tags.tag));
    const byRepo = new Map<string, string[]>();
    for (const t of live) {
      const k = `${t.registry}\0${t.repository}`;
      byRepo.set(k, [...(byRepo.get(k) ?? []), t.tag]);
    }
    return seen.map((s) => ({ ...s, tags: byRepo.get(`${s.registry}\0${s.repository}`) ?? [] }));
  }

  /** Repositories with images seen, by registry and repository, a page at a time. */
  async repositories(page: { limit: number; offset: number }): Promise<RepositorySummary[]> {
    const rows = await this.database.db.select({
      registry: images.registry, repository: images.repository, images: count(),
      liveImages: sql<number>`sum(case when ${images.deletedAt} is null then 1 else 0 end)`.mapWith(Number),
      lastSeenAt: max(images.lastSeenAt),
    }).from(images).groupBy(images.registry, images.repository).orderBy(asc(images.registry), asc(images.repository))
      .limit(page.limit).offset(page.offset);
    return rows;
  }

  /** Tags seen (deleted ones too), optionally of one repository and/or registry, a page at a time. */
  async tags(filter: { registry?: string; repository?: string }, page: { limit: number; offset: number }): Promise<TagRow[]> {
    const where: SQL[] = [];
    if (filter.repository) where.push(eq(tags.repository, filter.repository));
    if (filter.registry) where.push(eq(tags.registry, filter.registry));
    return this.database.db.select().from(tags).where(where.length ? and(...where) : undefined)
      .orderBy(asc(tags.registry), asc(tags.repository), asc(tags.tag)).limit(page.limit).offset(page.offset);
  }
}
