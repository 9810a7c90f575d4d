// The CLI says on stderr when an inventory is incomplete (an input it wanted could not be read: a
// package database over a cap, an archive cut by a limit or refused as a zip bomb), whatever the
// output format: exit 0 with an incomplete inventory must never read as a clean result.
import { formatPlatform } from '../image/manifest.ts';
import type { ImageInventory } from '../types.ts';
import { warnUser } from './terminal.ts';

const SHOWN = 5;

export function warnIncomplete(inventories: readonly Pick<ImageInventory, 'platform' | 'incomplete'>[]): void {
  for (const inv of inventories) {
    const unread = inv.incomplete ?? [];
    if (!unread.length) continue;
    const list = unread.slice(0, SHOWN).map((u) => `${u.path} (${u.reason})`).join('; ');
    warnUser(`inventory of ${formatPlatform(inv.platform)} incomplete, ${unread.length} input(s) not analysed: ${list}${unread.length > SHOWN ? '; …' : ''}`);
  }
}
