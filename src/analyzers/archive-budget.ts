// How much work reading archives inside an image may take, counted in three nested scopes: one
// top-level archive with everything nested in it, one layer, one image. Per-archive caps alone
// multiply: a jar of 200 copies of a jar of 200 copies … is 200^n archives, each within its own
// caps, and an image can hold many such jars. Every inflated byte, listed entry and opened archive
// is taken from all three scopes at once.
//
// What a cut means (README, "Limits"): the archive scope is soft — that archive's walk stops, what
// was found is kept, and the archive is an unread input (the inventory is incomplete). The layer
// and image scopes are hard — the scan ends with a 'limit' error (CLI exit 10): an image that spends
// that much on archives is hostile or far outside what Customs is sized for.
import type { Limits } from '../config/schema.ts';
import { CustomsError } from '../errors.ts';

export type BudgetKind = 'bytes' | 'entries' | 'archives';
export type BudgetScope = 'archive' | 'layer' | 'image';
export type BudgetUse = Record<BudgetKind, number>;

const SETTINGS: Record<BudgetScope, Record<BudgetKind, keyof Limits>> = {
  archive: { bytes: 'maxArchiveBytes', entries: 'maxArchiveEntries', archives: 'maxNestedArchives' },
  layer: { bytes: 'maxArchiveBytesPerLayer', entries: 'maxArchiveEntriesPerLayer', archives: 'maxArchivesPerLayer' },
  image: { bytes: 'maxArchiveBytesPerImage', entries: 'maxArchiveEntriesPerImage', archives: 'maxArchivesPerImage' },
};

const WHAT: Record<BudgetKind, string> = { bytes: 'bytes inflated', entries: 'zip entries listed', archives: 'archives opened' };
const WHERE: Record<BudgetScope, string> = { archive: 'in this archive, nested ones included', layer: 'in this layer', image: 'in this image' };

/** A cap of a scope was passed; `hard` (layer, image) ends the scan, soft (archive) cuts that archive. */
export class BudgetExceeded extends CustomsError {
  readonly hard: boolean;
  constructor(message: string, hard: boolean) {
    super('limit', message);
    this.hard = hard;
  }
}

export function isHardLimit(e: unknown): e is BudgetExceeded {
  return e instanceof BudgetExceeded && e.hard;
}

export class ArchiveBudget {
  readonly scope: BudgetScope;
  readonly used: BudgetUse = { bytes: 0, entries: 0, archives: 0 };
  private readonly limits: Limits;
  private readonly parent: ArchiveBudget | undefined;
  /** the first hard cap passed in this scope */
  private hardFailure: BudgetExceeded | undefined;

  constructor(scope: BudgetScope, limits: Limits, parent?: ArchiveBudget) {
    this.scope = scope; this.limits = limits; this.parent = parent;
  }

  /** A scope below this one (image → layer → archive). */
  child(scope: BudgetScope): ArchiveBudget {
    return new ArchiveBudget(scope, this.limits, this);
  }

  cap(kind: BudgetKind): number {
    return this.limits[SETTINGS[this.scope][kind]] as number;
  }

  /** Take `n` of `kind` from this scope and those above; throws BudgetExceeded at the first cap passed. */
  take(kind: BudgetKind, n: number): void {
    for (let b: ArchiveBudget | undefined = this; b; b = b.parent) {
      b.used[kind] += n;
      if (b.used[kind] > b.cap(kind)) throw b.exceeded(kind);
    }
  }

  /** Count what another analysis already used (a layer from the cache) against this scope and those above. */
  charge(use: BudgetUse): void {
    for (const kind of ['bytes', 'entries', 'archives'] as const) if (use[kind] > 0) this.take(kind, use[kind]);
  }

  /** The hard cap passed in this scope or one above, if any (set even when the thrower's error was swallowed). */
  failure(): BudgetExceeded | undefined {
    for (let b: ArchiveBudget | undefined = this; b; b = b.parent) if (b.hardFailure) return b.hardFailure;
    return undefined;
  }

  private exceeded(kind: BudgetKind): BudgetExceeded {
    const hard = this.scope !== 'archive';
    const e = new BudgetExceeded(`more than ${this.cap(kind)} ${WHAT[kind]} ${WHERE[this.scope]} (limits.${SETTINGS[this.scope][kind]})`, hard);
    if (hard) this.hardFailure ??= e;
    return e;
  }
}
