// Notifications out: when a re-match against an updated vulnerability database finds advisories an
// image did not have (src/judge/reevaluate.ts → JudgeContext.onNewFindings) and that image runs in an
// internet-facing workload (the workload inventory, src/workloads/), every configured webhook
// (notifications.webhooks) receives one CloudEvent 1.0 in structured mode
// (application/cloudevents+json), signed with HMAC-SHA256:
//   customs-webhook-id: <the event id>
//   customs-webhook-timestamp: <unix seconds>
//   customs-webhook-signature: v1=<hex HMAC-SHA256(secret, "<timestamp>.<body>")>
// A receiver recomputes the HMAC over the timestamp, a dot and the raw body, compares in constant
// time, and refuses old timestamps (replays). Deliveries run one at a time off the re-evaluation,
// retried on 429/5xx/network errors with doubling backoff; they live in memory (a restart drops what
// was not delivered yet). Logs name the receiver, the event and the outcome — never the secret.
import { createHmac, randomUUID } from 'node:crypto';
import type { WebhookTarget } from '../config/notifications-schema.ts';
import type { Database } from '../db/client.ts';
import { log } from '../log.ts';
import { listWorkloads, type StoredWorkload } from '../workloads/store.ts';
import type { Finding } from '../vulndb/types.ts';

export const EVENT_TYPE = 'dev.customs.advisory.exposed';
const SEVERITY_ORDER = ['none', 'unknown', 'low', 'medium', 'high', 'critical'];

export interface NewFindingsOf { manifestDigest: string; platform: string; findings: Finding[] }
export interface Image { registry: string; repository: string; digest: string }

/** The signature header value of `body` sent at `timestamp` (unix seconds). */
export function signature(secret: string, timestamp: number, body: string): string {
  return `v1=${createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex')}`;
}

export interface AdvisoryEvent {
  specversion: '1.0'; type: string; source: string; id: string; time: string; subject: string; datacontenttype: 'application/json';
  data: {
    image: Image;
    advisories: { id: string; aliases: string[]; severity: string; cvss?: number; kev: boolean; epss?: number; package: { type: string; name: string; version: string }; fixedVersion?: string; platform: string; manifestDigest: string }[];
    workloads: { cluster: string; namespace: string; kind: string; name: string; container: string; replicas: number; exposedBy: string[]; criticality: string | null; digest: string }[];
  };
}

export class AdvisoryNotifier {
  private readonly database: Database;
  private readonly targets: readonly WebhookTarget[];
  private readonly source: string;
  private readonly backoffMs: number;
  private tail: Promise<void> = Promise.resolve();
  private stopped = false;

  constructor(opts: { database: Database; targets: readonly WebhookTarget[]; source?: string; backoffMs?: number }) {
    this.database = opts.database;
    this.targets = opts.targets;
    this.source = opts.source ?? '/customs';
    this.backoffMs = opts.backoffMs ?? 1000;
  }

  /** JudgeContext.onNewFindings: queued, never awaited by the re-evaluation */
  newFindings(image: Image, added: readonly NewFindingsOf[]): void {
    if (this.stopped || !this.targets.length) return;
    this.tail = this.tail.then(() => this.handle(image, added)).catch((e) => log.warn({ err: (e as Error).message, image: `${image.registry}/${image.repository}@${image.digest}` }, 'notification: new advisories could not be matched to workloads'));
  }

  /** the events built for these findings (one per receiver whose minSeverity keeps any), delivered */
  private async handle(image: Image, added: readonly NewFindingsOf[]): Promise<void> {
    // the workloads running the image (its root digest) or one of the platforms the advisories were found in
    const digests = [...new Set([image.digest, ...added.map((a) => a.manifestDigest)])];
    const running: StoredWorkload[] = [];
    for (const d of digests) running.push(...(await listWorkloads(this.database, { digest: d })).filter((w) => w.replicas > 0 && w.exposure === 'internet'));
    if (!running.length) {
      log.debug({ image: `${image.registry}/${image.repository}@${image.digest}` }, 'notification: new advisories, but no internet-facing workload runs the image');
      return;
    }
    for (const target of this.targets) {
      const min = SEVERITY_ORDER.indexOf(target.minSeverity);
      const advisories = added.flatMap((a) => a.findings
        .filter((f) => SEVERITY_ORDER.indexOf(f.severity.rating) >= min)
        // only advisories of a platform some of these workloads run (the root digest runs every platform)
        .filter(() => running.some((w) => w.digest === image.digest || w.digest === a.manifestDigest))
        .map((f) => ({
          id: f.id, aliases: f.aliases, severity: f.severity.rating, ...(typeof f.severity.score === 'number' ? { cvss: f.severity.score } : {}),
          kev: !!f.kev, ...(f.epss ? { epss: f.epss.score } : {}), package: { type: String(f.package.type), name: f.package.name, version: f.package.version },
          ...(f.fixedVersion ? { fixedVersion: f.fixedVersion } : {}), platform: a.platform, manifestDigest: a.manifestDigest,
        })));
      if (!advisories.length) continue;
      const event: AdvisoryEvent = {
        specversion: '1.0', type: EVENT_TYPE, source: this.source, id: randomUUID(), time: new Date().toISOString(),
        subject: `${image.registry}/${image.repository}@${image.digest}`, datacontenttype: 'application/json',
        data: {
          image, advisories,
          workloads: running.map((w) => ({ cluster: w.cluster, namespace: w.namespace, kind: w.kind, name: w.name, container: w.container, replicas: w.replicas, exposedBy: w.exposedBy, criticality: w.criticality, digest: w.digest! })),
        },
      };
      await this.deliver(target, event);
    }
  }

  private async deliver(target: WebhookTarget, event: AdvisoryEvent): Promise<void> {
    const body = JSON.stringify(event);
    const what = { webhook: target.name, id: event.id, subject: event.subject, advisories: event.data.advisories.length, workloads: event.data.workloads.length };
    for (let attempt = 1; attempt <= target.attempts && !this.stopped; attempt++) {
      const timestamp = Math.floor(Date.now() / 1000);
      let outcome: string;
      let retry = true;
      try {
        const r = await fetch(target.url, {
          method: 'POST', body, redirect: 'manual', signal: AbortSignal.timeout(target.timeoutMs),
          headers: {
            'content-type': 'application/cloudevents+json; charset=utf-8', 'user-agent': 'customs',
            'customs-webhook-id': event.id, 'customs-webhook-timestamp': String(timestamp), 'customs-webhook-signature': signature(target.secret, timestamp, body),
          },
        });
        await r.arrayBuffer().catch(() => undefined);
        if (r.ok) { log.info({ ...what, status: r.status, attempt }, 'notification delivered: new advisory in an internet-facing workload'); return; }
        outcome = `HTTP ${r.status}`;
        retry = r.status === 429 || r.status >= 500;
      } catch (e) {
        const err = e as Error & { cause?: { code?: string } };
        outcome = err.name === 'TimeoutError' ? `no answer within ${target.timeoutMs} ms` : `unreachable (${err.cause?.code ?? err.message})`;
      }
      if (!retry || attempt === target.attempts) {
        log.error({ ...what, attempt, outcome }, `notification to ${target.name} not delivered: ${outcome}${retry ? '' : ' (not retried)'}`);
        return;
      }
      log.warn({ ...what, attempt, outcome }, `notification to ${target.name} failed (${outcome}), retrying`);
      await new Promise((r) => setTimeout(r, this.backoffMs * 2 ** (attempt - 1)));
    }
  }

  /** every queued notification handled (tests, shutdown) */
  async idle(): Promise<void> {
    let seen;
    do { seen = this.tail; await seen; } while (seen !== this.tail);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.idle();
  }
}
