import { getConnInfo } from '@hono/node-server/conninfo';
import type { Context, Hono } from 'hono';
import type { Config } from '../config/schema.ts';
import { WEBHOOK_SOURCES, type WebhookSource } from '../config/service-schema.ts';
import { isCustomsError } from '../errors.ts';
import type { IntakeWriter } from '../jobs/intake.ts';
import { log } from '../log.ts';
import { parseUntrustedJson } from '../util/json.ts';
import { allowList, authenticateWebhook } from '../webhooks/auth.ts';
import type { SnsOptions } from '../webhooks/sns.ts';
import { webhookParsers } from '../webhooks/sources.ts';
import { signatureSubject } from '../webhooks/classify.ts';
import { refuseIfNoneValid } from '../webhooks/each-event.ts';
import type { Metrics } from '../metrics.ts';
import { problem } from '../http/problem.ts';
import { answerEvents, deliveryLog } from './webhook-answer.ts';
import { readBodyCapped } from '../util/read-capped.ts';

/** POST /webhooks/<source>: authenticate, parse, store durably, then answer 202. */
export function mountWebhooks(app: Hono, deps: { cfg: Config; intake: IntakeWriter; metrics: Metrics; onQueued?: () => void; snsFetch?: SnsOptions['fetch']; onSignature?: (image: { registry: string; repository: string; digest: string }) => void }): void {
  const { cfg, intake, metrics } = deps;
  const ips = new Map(Object.entries(cfg.webhooks.sources).map(([s, sc]) => [s, allowList(sc!.allowIps)]));
  const parsers = new Map(WEBHOOK_SOURCES.map((s) => {
    const sc = cfg.webhooks.sources[s];
    return [s, webhookParsers({ certificatePem: sc?.snsCertificatePem, ...(deps.snsFetch ? { fetch: deps.snsFetch } : {}) })[s]];
  }));

  app.post('/webhooks/:source', async (c) => {
    const source = c.req.param('source') as WebhookSource;
    const sc = cfg.webhooks.sources[source];
    if (!sc || !parsers.has(source)) return problem(c, 404, 'Not Found', 'unknown or disabled webhook source');
    const refuse = (status: 400 | 401 | 403 | 413 | 415, reason: string) => {
      metrics.webhooksRefused.inc({ source, reason: String(status) });
      log.warn({ source, status, reason, ip: clientIp(c) }, 'webhook refused');
      return problem(c, status, status === 400 ? 'Bad Request' : status === 401 ? 'Unauthorized' : status === 403 ? 'Forbidden' : status === 413 ? 'Content Too Large' : 'Unsupported Media Type', reason);
    };
    let raw: Buffer;
    try { raw = await readBodyCapped(c.req.raw, cfg.webhooks.maxBodyBytes); } catch { return refuse(413, `body larger than ${cfg.webhooks.maxBodyBytes} bytes`); }
    const auth = authenticateWebhook(source, sc, ips.get(source), {
      header: (n) => c.req.header(n), query: (n) => c.req.query(n), clientIp: clientIp(c), rawBody: raw,
    });
    if (!auth.ok) return refuse(auth.status, auth.reason);
    let events;
    try {
      const body = parseUntrustedJson(raw, `${source} webhook`, cfg.limits.maxJsonDepth);
      events = await parsers.get(source)!(body, { header: (n) => c.req.header(n), ...(sc.registry ? { registry: sc.registry } : {}) });
      refuseIfNoneValid(events);
    } catch (e) {
      if (isCustomsError(e) && e.kind === 'auth') return refuse(401, e.message);
      if (isCustomsError(e) && e.kind === 'unreachable') return problem(c, 502, 'Bad Gateway', e.message);
      if (isCustomsError(e)) return refuse(400, e.message);
      throw e;
    }
    if (sc.registry) events = events.map((e) => (e.action === 'invalid' ? e : { ...e, registry: sc.registry! }));
    let outcomes;
    try {
      outcomes = await intake.record(source, events);
    } catch (e) {
      log.error({ source, err: (e as Error).message }, 'webhook could not be stored');
      return problem(c, 503, 'Service Unavailable', 'the event could not be stored; retry later');
    }
    const answered = answerEvents(events, outcomes);
    metrics.webhooksReceived.inc({ source });
    for (const a of answered) metrics.webhookEvents.inc({ source, outcome: a.outcome });
    if (outcomes.some((o) => o.outcome === 'queued')) deps.onQueued?.();
    for (const e of events) { const d = signatureSubject(e); if (d) deps.onSignature?.({ registry: e.registry, repository: e.repository, digest: d }); }
    const summary = deliveryLog(source, answered);
    if (summary.invalid) log.warn(summary, 'webhook accepted with invalid events'); else log.info(summary, 'webhook accepted');
    return c.json({ accepted: answered.length, events: answered }, 202);
  });
}

function clientIp(c: Context): string | undefined {
  try { return getConnInfo(c).remote.address; } catch { return undefined; }
}
