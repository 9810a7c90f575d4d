// The registry actions a verdict ran (table `quarantine_actions`): recorded with what undoes them,
// read back and marked undone when the image is released.
import { and, desc, eq, isNull } from 'drizzle-orm';
import type { Database } from '../db/client.ts';
import { quarantineActions } from '../db/schema.ts';
import type { ActionRecord, ImageTarget } from './actions.ts';

/** Record the actions a verdict (`fail` or `pass`) ran on an image. */
export async function recordActions(database: Database, image: ImageTarget, trigger: 'fail' | 'pass', actions: readonly ActionRecord[]): Promise<void> {
  await database.db.insert(quarantineActions).values(actions.map((a) => ({
    registry: image.registry, repository: image.repository, digest: image.digest, trigger,
    type: a.type, ok: a.ok, detail: a.detail, undo: a.undo ? JSON.stringify(a.undo) : null, createdAt: new Date(),
  })));
}

/** The actions a failing verdict ran on an image and that are not undone yet, newest first, with their ids. */
export async function openFailActions(database: Database, image: ImageTarget): Promise<{ id: number; record: ActionRecord }[]> {
  const rows = await database.db.select().from(quarantineActions)
    .where(and(eq(quarantineActions.registry, image.registry), eq(quarantineActions.repository, image.repository), eq(quarantineActions.digest, image.digest), eq(quarantineActions.trigger, 'fail'), isNull(quarantineActions.undoneAt)))
    .orderBy(desc(quarantineActions.id));
  return rows.map((x) => ({ id: x.id, record: { type: x.type as ActionRecord['type'], ok: x.ok, detail: x.detail, ...(x.undo ? { undo: JSON.parse(x.undo) } : {}) } }));
}

/** Mark recorded actions undone (one statement each, as before). */
export async function markUndone(database: Database, ids: readonly number[], at: Date): Promise<void> {
  for (const id of ids) await database.db.update(quarantineActions).set({ undoneAt: at }).where(eq(quarantineActions.id, id));
}
