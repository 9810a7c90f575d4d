// The admission webhook's verdicts and tags in memory: the API server waits on every pod, so a
// review is answered from two Maps instead of two database queries (each of which libsql builds,
// prepares and runs on the event loop). Kept current two ways:
//   - this process's verdict writes (a scan judged, a re-evaluation, a release) mark the index stale
//     (onVerdictsWritten) and the next review first reads what changed — as fresh as the database;
//   - other processes' writes (replicas on a shared database) and tag pushes are read every
//     refreshMs (rows changed since the last read, with an overlap for clocks and late commits).
// A miss — a digest with no verdict here, a tag not seen — is asked of the database as before, so
// the index can only be late (by at most refreshMs, for another process's change to a stored verdict
// or tag), never wrong about an image it does not hold.
import type { Database } from '../db/client.ts';
import type { VerdictLookup, VerdictLookupResult } from '../gate/lookup.ts';
import { log } from '../log.ts';
import { onVerdictsWritten, verdictsChangedSince, type StoredVerdict } from '../quarantine/verdict-store.ts';
import { ImageStore } from '../scan/image-store.ts';

/**
 * each read asks for rows changed since the previous read started, less this much (writers' clocks a
 * little behind ours, commits landing late). Not measured from the newest row: a batch of rows
 * written together would then be read again on every refresh — a stall of the event loop each time.
 */
const OVERLAP_MS = 5_000;

type Key = { registry: string; repository: string; digest: string };
const k3 = (a: string, b: string, c: string) => `${a}\0${b}\0${c}`;

export class VerdictIndex {
  private readonly database: Database;
  private readonly lookup: VerdictLookup;
  private readonly images: ImageStore;
  private readonly verdicts = new Map<string, StoredVerdict>();
  private readonly tags = new Map<string, string>();
  /** our clock when the last good read started (0: never read) */
  private watermark = 0;
  private stale = true;
  private refreshing: Promise<void> | undefined;
  private timer: NodeJS.Timeout | undefined;
  private readonly unsubscribe: () => void;
  private closed = false;

  constructor(database: Database, lookup: VerdictLookup, opts: { refreshMs: number }) {
    this.database = database;
    this.lookup = lookup;
    this.images = new ImageStore(database);
    this.unsubscribe = onVerdictsWritten(() => { this.stale = true; });
    this.timer = setInterval(() => { this.stale = true; void this.refresh().catch(() => undefined); }, opts.refreshMs);
    this.timer.unref();
  }

  get size(): { verdicts: number; tags: number } { return { verdicts: this.verdicts.size, tags: this.tags.size }; }

  /** Read what changed since the last read (everything, the first time). One at a time; never throws (a failure is logged, the index stays as it was and is read again next time). */
  refresh(): Promise<void> {
    if (this.refreshing) return this.refreshing;
    if (this.closed) return Promise.resolve();
    this.stale = false;
    this.refreshing = (async () => {
      const first = this.watermark === 0;
      const since = new Date(first ? 0 : this.watermark - OVERLAP_MS);
      const startedAt = Date.now();
      const started = performance.now();
      try {
        for (const v of await verdictsChangedSince(this.database, since)) this.verdicts.set(k3(v.registry, v.repository, v.digest), v);
        for (const t of await this.images.tagsChangedSince(since)) {
          const key = k3(t.registry, t.repository, t.tag);
          if (t.deleted || !t.digest) this.tags.delete(key);
          else this.tags.set(key, t.digest);
        }
        this.watermark = startedAt;
        if (first) log.info({ verdicts: this.verdicts.size, tags: this.tags.size, ms: Math.round(performance.now() - started) }, 'admission: verdict and tag index loaded');
      } catch (e) {
        this.stale = true;
        if (!this.closed) log.warn({ err: (e as Error).message }, 'admission: the verdict index could not be refreshed (answers use the database for what it misses)');
      } finally {
        this.refreshing = undefined;
      }
    })();
    return this.refreshing;
  }

  private async current(): Promise<void> {
    if (this.stale || this.watermark === 0) await this.refresh();
    else if (this.refreshing) await this.refreshing;
  }

  /** VerdictLookup.lookupMany from memory; images without a verdict here are asked of the database. */
  async lookupMany(keys: readonly Key[]): Promise<VerdictLookupResult[]> {
    await this.current();
    const out: (VerdictLookupResult | undefined)[] = [];
    const missed: number[] = [];
    await Promise.all(keys.map(async (key, i) => {
      const v = this.verdicts.get(k3(key.registry, key.repository, key.digest));
      if (v) out[i] = { policy: await this.lookup.governing(key.registry, key.repository), verdict: v };
      else missed.push(i);
    }));
    if (missed.length) {
      const asked = await this.lookup.lookupMany(missed.map((i) => keys[i]!));
      missed.forEach((i, n) => { out[i] = asked[n]; });
    }
    return out as VerdictLookupResult[];
  }

  /** ImageStore.liveTagDigests from memory; tags not seen here are asked of the database. */
  async liveTagDigests(keys: readonly { registry: string; repository: string; tag: string }[]): Promise<(string | undefined)[]> {
    await this.current();
    const out = keys.map((t) => this.tags.get(k3(t.registry, t.repository, t.tag)));
    const missed = keys.flatMap((t, i) => (out[i] === undefined ? [{ t, i }] : []));
    if (missed.length) {
      const asked = await this.images.liveTagDigests(missed.map((m) => m.t));
      missed.forEach((m, n) => { out[m.i] = asked[n]; });
    }
    return out;
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.timer) clearInterval(this.timer);
    this.unsubscribe();
    await this.refreshing;
  }
}
