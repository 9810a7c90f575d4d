// The admission webhook's verdicts and tags in memory: the API server waits on every pod, so a
// review is answered from two Maps instead of two database queries (each of which libsql builds,
// prepares and runs on the event loop). Kept current two ways:
//   - this process's verdict writes (a scan judged, a re-evaluation, a release) drop the rows they
//     changed from the index before the write returns (onVerdictsWritten): the next review asks the
//     database for them, and the index reads them back in the background;
//   - other processes' writes (replicas on a shared database) and tag pushes are read every refreshMs:
//     rows changed since the previous read started (less an overlap for clocks and late commits).
// Reads go a page at a time, yielding to the event loop between pages, so a large change (the first
// load, a re-evaluation of every image) never holds a review up for long. Until the first load is
// done every review reads the database. A miss — a digest with no verdict here, a tag not seen — is
// asked of the database as before: the index can only be late (by at most refreshMs, for another
// process's change to a stored verdict or tag), never wrong about an image it does not hold.
import type { Database } from '../db/client.ts';
import type { VerdictLookup, VerdictLookupResult } from '../gate/lookup.ts';
import { log } from '../log.ts';
import type { ChangeCursor } from '../db/statements.ts';
import { onVerdictsWritten, verdictsChangedSince, verdictsForMany, type StoredVerdict, type VerdictKey } from '../quarantine/verdict-store.ts';
import { ImageStore } from '../scan/image-store.ts';

/** each read asks for rows changed since the previous read started, less this (writers' clocks a little behind ours, commits landing late) */
const OVERLAP_MS = 5_000;
/** rows read at once before yielding to the event loop */
const PAGE = 500;

const k3 = (a: string, b: string, c: string) => `${a}\0${b}\0${c}`;
const yieldToLoop = () => new Promise<void>((r) => setImmediate(r));

export class VerdictIndex {
  private readonly database: Database;
  private readonly lookup: VerdictLookup;
  private readonly images: ImageStore;
  private readonly verdicts = new Map<string, StoredVerdict>();
  private readonly tags = new Map<string, string>();
  /** per key, the sequence number of this process's last write to it: a read started before must not put an older row back */
  private readonly writtenAt = new Map<string, number>();
  private seq = 0;
  /** our clock when the last complete read started (0: never) */
  private watermark = 0;
  private ready = false;
  private refreshing: Promise<void> | undefined;
  private readonly timer: NodeJS.Timeout;
  private readonly unsubscribe: () => void;
  private closed = false;

  constructor(database: Database, lookup: VerdictLookup, opts: { refreshMs: number }) {
    this.database = database;
    this.lookup = lookup;
    this.images = new ImageStore(database);
    this.unsubscribe = onVerdictsWritten((keys) => this.written(keys));
    this.timer = setInterval(() => { void this.refresh(); }, opts.refreshMs);
    this.timer.unref();
  }

  get size(): { verdicts: number; tags: number; ready: boolean } { return { verdicts: this.verdicts.size, tags: this.tags.size, ready: this.ready }; }

  /** this process changed these rows: forget them now (reviews ask the database), read them back */
  private written(keys: readonly VerdictKey[]): void {
    const seq = ++this.seq;
    for (const k of keys) {
      const key = k3(k.registry, k.repository, k.digest);
      this.verdicts.delete(key);
      this.writtenAt.set(key, seq);
    }
    void verdictsForMany(this.database, keys).then((rows) => {
      rows.forEach((v, i) => {
        const key = k3(keys[i]!.registry, keys[i]!.repository, keys[i]!.digest);
        if (this.writtenAt.get(key) !== seq) return; // written again since: that write's read-back decides
        this.writtenAt.delete(key);
        if (v) this.verdicts.set(key, v);
      });
    }).catch((e) => { if (!this.closed) log.warn({ err: (e as Error).message }, 'admission: verdicts written here could not be read back into the index (the database answers for them)'); });
  }

  private put(v: StoredVerdict, startedSeq: number): void {
    const key = k3(v.registry, v.repository, v.digest);
    const w = this.writtenAt.get(key);
    if (w !== undefined && w > startedSeq) return; // this process wrote it after the read began
    this.verdicts.set(key, v);
  }

  /** Read what changed since the last read (everything, the first time), a page at a time. One at a time; never throws (a failure is logged and read again next time). */
  refresh(): Promise<void> {
    if (this.refreshing) return this.refreshing;
    if (this.closed) return Promise.resolve();
    this.refreshing = (async () => {
      const first = !this.ready;
      const since = new Date(first ? 0 : this.watermark - OVERLAP_MS);
      const startedAt = Date.now();
      const startedSeq = this.seq;
      const started = performance.now();
      try {
        // keyset pages; a row updated while we page moves past the cursor and may be skipped here:
        // it is newer than startedAt, so the next read has it
        for (let after: ChangeCursor | undefined, first = true; first || after; first = false) {
          const page = await verdictsChangedSince(this.database, since, { limit: PAGE, ...(after ? { after } : {}) });
          for (const v of page.rows) this.put(v, startedSeq);
          after = page.next;
          if (this.closed) break;
          if (after) await yieldToLoop();
        }
        for (let after: ChangeCursor | undefined, first = true; first || after; first = false) {
          const page = await this.images.tagsChangedSince(since, { limit: PAGE, ...(after ? { after } : {}) });
          for (const t of page.rows) {
            const key = k3(t.registry, t.repository, t.tag);
            if (t.deleted || !t.digest) this.tags.delete(key);
            else this.tags.set(key, t.digest);
          }
          after = page.next;
          if (this.closed) break;
          if (after) await yieldToLoop();
        }
        this.watermark = startedAt;
        this.ready = true;
        if (first) log.info({ verdicts: this.verdicts.size, tags: this.tags.size, ms: Math.round(performance.now() - started) }, 'admission: verdict and tag index loaded');
      } catch (e) {
        if (!this.closed) log.warn({ err: (e as Error).message }, `admission: the verdict index could not be ${first ? 'loaded' : 'refreshed'} (reviews ask the database for what it misses)`);
      } finally {
        this.refreshing = undefined;
      }
    })();
    return this.refreshing;
  }

  /** VerdictLookup.lookupMany from memory; images without a verdict here are asked of the database. */
  async lookupMany(keys: readonly VerdictKey[]): Promise<VerdictLookupResult[]> {
    if (!this.ready) return this.lookup.lookupMany(keys);
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
    if (!this.ready) return this.images.liveTagDigests(keys);
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
    clearInterval(this.timer);
    this.unsubscribe();
    await this.refreshing;
  }
}
