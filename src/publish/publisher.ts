// The publisher: drains the publication outbox (src/publish/outbox.ts). For each image whose stored
// verdict is ahead of what the registry says, it publishes what is stored NOW — the signed
// attestations (all three statements when the findings changed, else the verdict alone) and the
// status tag — then deletes the row unless a newer verdict bumped it meanwhile. Failures are retried
// with backoff, forever (the registry will come back); an image gone from the registry or from
// Customs is dropped. Throttled in all and per registry, so a policy change that flips ten thousand
// verdicts does not flood one registry.
import { randomUUID } from 'node:crypto';
import { publishAttestations } from '../attest/publish.ts';
import { subjectOf, type SubjectDescriptor } from '../attest/publish-referrers.ts';
import type { PublishedQuarantine } from '../attest/statements.ts';
import type { Config } from '../config/schema.ts';
import { openDerivedWriter, type Database } from '../db/client.ts';
import { isCustomsError } from '../errors.ts';
import { ScanStore } from '../scan/scan-store.ts';
import { log } from '../log.ts';
import { rootVerdict } from '../quarantine/verdict-store.ts';
import type { RegistryClient } from '../registry/client.ts';
import { loadSigner } from '../signing/key.ts';
import type { Signer } from '../attest/signer.ts';
import { OutboxStore, type Publication } from './outbox.ts';
import { writeStatusTag } from './status-tag.ts';

export interface PublisherStats { published: number; retried: number; dropped: number }

export interface Publisher {
  /** look for due publications now (called after a verdict queued one) */
  wake(): void;
  /** resolves when nothing due is left and nothing is in flight (tests, benchmarks, shutdown) */
  idle(): Promise<void>;
  stats: PublisherStats;
  stop(): Promise<void>;
}

export async function startPublisher(cfg: Config, database: Database, client: RegistryClient): Promise<Publisher> {
  // the outbox's own bookkeeping (claims, completions, retries) is re-doable: on an embedded file it
  // commits without an fsync each (openDerivedWriter); a lost completion only publishes again
  const writer = await openDerivedWriter(database);
  const outbox = new OutboxStore(writer);
  const scans = new ScanStore(database);
  const owner = `publisher:${randomUUID()}`;
  const { concurrency, perRegistry, retryMs, maxRetryMs, pollMs, leaseMs } = cfg.attestations;
  const stats: PublisherStats = { published: 0, retried: 0, dropped: 0 };
  const active = new Map<string, number>();
  let inFlight = 0;
  let pumping = false;
  let again = false;
  let stopped = false;
  let idleWaiters: (() => void)[] = [];
  let signer: Signer | undefined;

  const publishOne = async (p: Publication): Promise<'published' | 'dropped'> => {
    const image = { registry: p.registry, repository: p.repository, digest: p.digest };
    const name = `${p.registry}/${p.repository}@${p.digest}`;
    const root = await rootVerdict(database, image);
    if (!root) {
      log.info({ image: name }, 'publication dropped: Customs has no verdict for this image any more');
      return 'dropped';
    }
    let subject: SubjectDescriptor;
    try {
      subject = await subjectOf(client, image, cfg.limits.maxManifestBytes); // read once: it is every referrer's subject
    } catch (e) {
      if (isCustomsError(e) && e.kind === 'not-found') {
        log.info({ image: name }, 'publication dropped: the image is no longer in the repository (deleted or moved to quarantine)');
        return 'dropped';
      }
      throw e;
    }
    const { stored, verdict } = root;
    const quarantine: PublishedQuarantine = { state: stored.quarantine, ...(stored.releasedAt ? { releasedAt: stored.releasedAt } : {}) };
    const started = performance.now();
    if (cfg.attestations.enabled) {
      signer ??= loadSigner(cfg);
      const report = p.statements === 'all' && stored.scanId ? await scans.report(stored.scanId) : undefined;
      await publishAttestations({ client, signer, cfg }, image, report, verdict, { quarantine, subject });
    }
    if (cfg.workers.statusTags) {
      const scan = stored.scanId ? await scans.summary(stored.scanId) : undefined;
      await writeStatusTag(client, p.registry, p.repository, {
        scanId: stored.scanId, digest: p.digest, finishedAt: scan ? scan.finishedAt.toISOString() : null, dbVersion: stored.dbVersion,
        platforms: scan?.platforms ?? verdict.platforms.length, packages: scan?.packages ?? 0, findings: scan?.findings ?? 0,
        critical: scan?.critical ?? 0, high: scan?.high ?? 0, medium: scan?.medium ?? 0, low: scan?.low ?? 0, unknown: scan?.unknown ?? 0,
        verdict: stored.verdict, policy: `${stored.policyName}@${stored.policyVersion}`, quarantine: stored.quarantine, evaluatedAt: stored.evaluatedAt,
      }, cfg.limits.maxManifestBytes, subject);
    }
    log.info({ image: name, statements: p.statements, verdict: stored.verdict, quarantine: stored.quarantine, attestations: cfg.attestations.enabled, statusTag: cfg.workers.statusTags, attempt: p.attempts + 1, ms: Math.round(performance.now() - started) }, 'verdict published');
    return 'published';
  };

  const run = async (p: Publication) => {
    try {
      const outcome = await publishOne(p);
      if (outcome === 'dropped') { await outbox.drop(p); stats.dropped++; } else { await outbox.done(p); stats.published++; }
    } catch (e) {
      const message = (e as Error)?.message ?? String(e);
      // a statement over the size limit will not shrink by waiting: dropped, loudly
      if (isCustomsError(e) && e.kind === 'limit') {
        log.error({ image: `${p.registry}/${p.repository}@${p.digest}`, err: message }, 'publication dropped: over a limit');
        await outbox.drop(p).catch(() => undefined);
        stats.dropped++;
        return;
      }
      const delay = Math.min(maxRetryMs, retryMs * 2 ** Math.min(p.attempts, 20)) * (0.75 + Math.random() * 0.5);
      log.warn({ image: `${p.registry}/${p.repository}@${p.digest}`, attempt: p.attempts + 1, retryInMs: Math.round(delay), err: message }, 'publication failed; will retry');
      stats.retried++;
      await outbox.retry(p, message, delay).catch((err) => log.warn({ err: (err as Error).message }, 'publication retry could not be recorded (the lease expires and it is retried anyway)'));
    } finally {
      inFlight--;
      const n = (active.get(p.registry) ?? 1) - 1;
      if (n) active.set(p.registry, n); else active.delete(p.registry);
      pump();
    }
  };

  const pump = () => {
    if (stopped) return;
    if (pumping) { again = true; return; }
    pumping = true;
    void (async () => {
      try {
        do {
          again = false;
          const free = concurrency - inFlight;
          if (free <= 0) break;
          const claimed = await outbox.claim(owner, leaseMs, free, (registry) => perRegistry - (active.get(registry) ?? 0));
          for (const p of claimed) {
            inFlight++;
            active.set(p.registry, (active.get(p.registry) ?? 0) + 1);
            void run(p);
          }
          if (claimed.length === free) again = true;
        } while (again && !stopped);
      } catch (e) {
        log.warn({ err: (e as Error).message }, 'publication outbox could not be read');
      } finally {
        pumping = false;
        if (inFlight === 0 && !again) { const w = idleWaiters; idleWaiters = []; for (const f of w) f(); }
      }
    })();
  };

  const timer = setInterval(pump, pollMs);
  timer.unref();
  // a long publication (a big SBOM, a slow registry) keeps its lease; a dead process's lapses
  const renewal = setInterval(() => { if (inFlight) outbox.renew(owner, leaseMs).catch((e) => log.warn({ err: (e as Error).message }, 'publication leases could not be renewed')); }, Math.max(500, Math.floor(leaseMs / 3)));
  renewal.unref();
  pump();

  return {
    stats,
    wake: pump,
    idle: async () => {
      for (let i = 0; i < 100_000; i++) {
        await new Promise<void>((r) => { idleWaiters.push(r); pump(); });
        if (inFlight === 0 && (await outbox.dueCount()) === 0) return;
        await new Promise((r) => setTimeout(r, 20));
      }
    },
    stop: async () => {
      stopped = true;
      clearInterval(timer);
      clearInterval(renewal);
      for (let i = 0; i < 600 && inFlight > 0; i++) await new Promise((r) => setTimeout(r, 50));
      writer.close();
    },
  };
}
