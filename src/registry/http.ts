import { setTimeout as sleep } from 'node:timers/promises';
import type { Readable } from 'node:stream';
import { Pool } from 'undici';
import type { Config, HttpSettings } from '../config/schema.ts';
import { CustomsError } from '../errors.ts';
import { log } from '../log.ts';
import { collectCapped } from '../util/read-capped.ts';

// The HTTP layer under the registry client: pooled connections per origin, retries with backoff,
// manual redirects (so credentials never follow a redirect to another origin), a plain-HTTP policy
// and capped body reads. It knows nothing about registries' APIs or auth.

export interface HttpRequest {
  method: 'GET' | 'HEAD' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  url: string | URL;
  headers?: Record<string, string>;
  /** a Buffer or string, never a stream, so a retry or a re-authenticated attempt can resend it */
  body?: Buffer | string;
  /** registry host the request is for (its settings pick connection limit / insecure policy) */
  registry: string;
  /** what is being fetched, for messages */
  what: string;
  /** follow 3xx redirects (default true) */
  followRedirects?: boolean;
  /** hand 429/5xx back at once instead of retrying them */
  noRetry?: boolean;
  /** overall deadline of this request, body included (default http.requestDeadlineMs) */
  deadlineMs?: number;
}

export interface HttpResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Readable;
  /** URL that produced this response (after redirects) */
  url: URL;
  /** why reading the body stopped, when a deadline aborted it (see deadlineError) */
  aborted?: () => CustomsError | undefined;
}

/**
 * The deadlines a request runs under: its own (from its start, body included) and the caller's
 * (a scan's). Whichever passes first aborts the request; the error names it.
 */
class Deadline {
  readonly signal: AbortSignal;
  private readonly own: AbortSignal;
  private readonly ms: number;
  private readonly outer: AbortSignal | undefined;
  private readonly what: string;
  constructor(ms: number, what: string, outer?: AbortSignal) {
    this.ms = ms;
    this.what = what;
    this.outer = outer;
    this.own = AbortSignal.timeout(ms);
    this.signal = outer ? AbortSignal.any([this.own, outer]) : this.own;
  }
  /** the error for an aborted request, undefined while neither deadline passed */
  error = (): CustomsError | undefined => {
    if (this.outer?.aborted) {
      const r = this.outer.reason;
      return r instanceof CustomsError ? r : new CustomsError('unreachable', `${this.what}: aborted (${String((r as Error)?.message ?? r)})`, { transient: true });
    }
    if (this.own.aborted) return new CustomsError('unreachable', `${this.what}: no complete answer within ${this.ms} ms (http.requestDeadlineMs; a slow or stalled registry)`, { transient: true });
    return undefined;
  };
}

const MAX_REDIRECTS = 5;
const NET_CODES = new Set([
  'ECONNREFUSED', 'ECONNRESET', 'ENOTFOUND', 'EAI_AGAIN', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'EPIPE',
  'ECONNABORTED', 'UND_ERR_CONNECT_TIMEOUT', 'UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT', 'UND_ERR_SOCKET',
  'UND_ERR_CLOSED', 'UND_ERR_DESTROYED',
]);

/** First value of a response header (undici gives arrays for repeated headers). */
export function header(res: { headers: HttpResponse['headers'] }, name: string): string | undefined {
  const v = res.headers[name.toLowerCase()];
  return Array.isArray(v) ? v[0] : v;
}

/** Host without port, brackets removed: "[::1]:5000" → "::1". */
export function hostnameOf(host: string): string {
  const m = /^\[([^\]]+)\](?::\d+)?$/.exec(host);
  if (m) return m[1]!;
  const i = host.lastIndexOf(':');
  return i > 0 && host.indexOf(':') === i ? host.slice(0, i) : host;
}

/** The API host for a registry name as written in references: Docker Hub's is not "docker.io". */
export function apiHost(registry: string): string {
  return registry === 'docker.io' || registry === 'index.docker.io' ? 'registry-1.docker.io' : registry;
}

export function isLoopback(host: string): boolean {
  const h = hostnameOf(host).toLowerCase();
  return h === 'localhost' || h === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(h);
}

/** True when a connection/transport error (not an HTTP status) means the peer could not be reached. */
export function isNetworkError(e: unknown): boolean {
  const err = e as { code?: string; cause?: { code?: string } } | undefined;
  return !!err && (NET_CODES.has(err.code ?? '') || NET_CODES.has(err.cause?.code ?? ''));
}

export function networkError(e: unknown, what: string, origin: string): CustomsError {
  const err = e as { code?: string; message?: string; cause?: { code?: string } };
  const code = err?.code ?? err?.cause?.code ?? 'error';
  return new CustomsError('unreachable', `${what}: cannot reach ${origin} (${code}: ${err?.message ?? String(e)})`, { cause: e, transient: true });
}

/** Certificate problems: retrying cannot help, and the message must say what is wrong. */
function isTlsTrustError(e: unknown): boolean {
  const err = e as { code?: string; cause?: { code?: string } } | undefined;
  return /CERT|SELF_SIGNED|UNABLE_TO_VERIFY|UNABLE_TO_GET_ISSUER|ERR_TLS_CERT/.test(`${err?.code ?? ''} ${err?.cause?.code ?? ''}`);
}

function tlsError(e: unknown, what: string, host: string): CustomsError {
  const err = e as { code?: string; cause?: { code?: string } };
  return new CustomsError('unreachable', `${what}: TLS certificate of ${host} is not trusted (${err.code ?? err.cause?.code}); for a test registry set registries["${host}"].insecure: true`, { cause: e });
}

/** Retry-After as a delay in ms (delta-seconds or HTTP date), undefined when absent/unparseable. */
export function parseRetryAfter(v: string | undefined, now = Date.now()): number | undefined {
  if (!v) return undefined;
  const s = v.trim();
  if (/^\d+$/.test(s)) return Number(s) * 1000;
  const t = Date.parse(s);
  return Number.isNaN(t) ? undefined : Math.max(0, t - now);
}

/** Exponential backoff with jitter (50–100 % of the doubled base), Retry-After winning, all capped. */
export function backoffDelay(attempt: number, s: Pick<HttpSettings, 'backoffMs' | 'maxBackoffMs'>, retryAfterMs?: number): number {
  if (retryAfterMs !== undefined) return Math.min(retryAfterMs, s.maxBackoffMs);
  const base = s.backoffMs * 2 ** attempt;
  return Math.min(s.maxBackoffMs, Math.round(base * (0.5 + Math.random() * 0.5)));
}

function isRetryableStatus(status: number): boolean {
  return status === 429 || (status >= 500 && status <= 599 && status !== 501 && status !== 505);
}

/** Stop reading a body for good. The abort error undici emits then is expected, not a crash. */
export function abort(body: Readable): void {
  body.on('error', () => undefined);
  body.destroy();
}

/** Discard a body we do not need: drain a small one (keeps the connection reusable), else abort. */
export function discard(body: Readable): void {
  body.on('error', () => undefined);
  const dump = (body as Readable & { dump?: (o: { limit: number }) => Promise<void> }).dump;
  if (typeof dump === 'function') dump.call(body, { limit: 64 * 1024 }).catch(() => undefined);
  else body.destroy();
}

/**
 * Read a body completely, refusing more than maxBytes: a declared Content-Length over the cap is
 * refused before reading; a body without one is aborted as soon as it crosses the cap, so memory
 * stays bounded by the cap.
 */
export async function readCapped(res: Pick<HttpResponse, 'body' | 'headers' | 'aborted'>, maxBytes: number, what: string): Promise<Buffer> {
  const declared = header(res, 'content-length');
  if (declared !== undefined && /^\d+$/.test(declared) && Number(declared) > maxBytes) {
    abort(res.body);
    throw new CustomsError('limit', `${what}: ${declared} bytes exceeds the limit of ${maxBytes} bytes`);
  }
  try {
    return await collectCapped(res.body as AsyncIterable<Buffer>, maxBytes, () => {
      abort(res.body);
      return new CustomsError('limit', `${what}: more than the limit of ${maxBytes} bytes`);
    });
  } catch (e) {
    if (e instanceof CustomsError) throw e;
    const late = res.aborted?.();
    if (late) throw late;
    throw new CustomsError('unreachable', `${what}: connection failed while reading the response (${(e as Error).message})`, { cause: e, transient: true });
  }
}

function withProtocol(url: URL, protocol: 'http:' | 'https:'): URL {
  const u = new URL(url.href);
  u.protocol = protocol;
  return u;
}

/** What HTTP clients of one process share: the pools (per origin) and what was learnt of each host. */
interface HttpShared {
  pools: Map<string, Pool>;
  /** Registries (API hosts) found to speak plain HTTP, and those whose HTTPS worked. */
  plainHosts: Set<string>;
  tlsHosts: Set<string>;
  closed: boolean;
}

export class HttpClient {
  private readonly cfg: Config;
  private readonly shared: HttpShared;
  /** the caller's deadline (a scan's): every request aborts when it passes */
  private readonly signal: AbortSignal | undefined;

  constructor(cfg: Config, signal?: AbortSignal, shared?: HttpShared) {
    this.cfg = cfg; this.signal = signal;
    this.shared = shared ?? { pools: new Map(), plainHosts: new Set(), tlsHosts: new Set(), closed: false };
  }

  /** This client under one more deadline (a scan's), sharing its pools and what it learnt of hosts. */
  withSignal(signal: AbortSignal): HttpClient {
    return new HttpClient(this.cfg, this.signal ? AbortSignal.any([this.signal, signal]) : signal, this.shared);
  }

  private get pools(): Map<string, Pool> { return this.shared.pools; }
  private get plainHosts(): Set<string> { return this.shared.plainHosts; }
  private get tlsHosts(): Set<string> { return this.shared.tlsHosts; }
  private get closed(): boolean { return this.shared.closed; }
  private set closed(v: boolean) { this.shared.closed = v; }

  /** Loopback hosts and registries configured insecure may use plain HTTP and unverified TLS. */
  private isInsecure(host: string, registry?: string): boolean {
    return isLoopback(host) || !!this.cfg.registries[host]?.insecure || (registry !== undefined && !!this.cfg.registries[registry]?.insecure);
  }

  /**
   * Scheme for a registry. Like docker: HTTPS always; for loopback and insecure registries HTTPS
   * without verification first, then plain HTTP once a TLS handshake has failed (remembered).
   */
  schemeFor(registry: string): 'http' | 'https' {
    return this.plainHosts.has(apiHost(registry)) ? 'http' : 'https';
  }

  baseUrl(registry: string): string {
    return `${this.schemeFor(registry)}://${apiHost(registry)}`;
  }

  private assertAllowed(url: URL, registry: string, what: string): void {
    if (url.protocol === 'https:') return;
    if (url.protocol === 'http:' && this.isInsecure(url.host, registry)) return;
    throw new CustomsError('unsupported', `${what}: refusing ${url.protocol}//${url.host} (plain HTTP is only used for loopback hosts and registries configured insecure: true)`);
  }

  private poolFor(origin: string, registry: string): Pool {
    let p = this.pools.get(origin);
    if (!p) {
      const h = this.cfg.http;
      const sameRegistry = new URL(origin).host === apiHost(registry);
      p = new Pool(origin, {
        connections: (sameRegistry ? this.cfg.registries[registry]?.maxConnections : undefined) ?? h.maxConnectionsPerRegistry,
        connectTimeout: h.timeoutMs,
        headersTimeout: h.timeoutMs,
        bodyTimeout: h.bodyTimeoutMs,
        // unverified TLS only where plain HTTP would be allowed anyway
        ...(this.isInsecure(new URL(origin).host, sameRegistry ? registry : undefined) ? { connect: { rejectUnauthorized: false } } : {}),
      });
      this.pools.set(origin, p);
    }
    return p;
  }

  /**
   * Send a request, retrying 429/5xx/connection errors with backoff, following redirects.
   * Returns the final response (also a 4xx/5xx once retries are spent); throws
   * CustomsError('unreachable') when the peer could not be reached at all.
   */
  async request(req: HttpRequest): Promise<HttpResponse> {
    if (this.closed) throw new CustomsError('internal', 'HTTP client used after close()');
    let url = typeof req.url === 'string' ? new URL(req.url) : req.url;
    let method = req.method;
    let headers = { ...req.headers };
    let body = req.body;
    const deadline = new Deadline(req.deadlineMs ?? this.cfg.http.requestDeadlineMs, req.what, this.signal);
    for (let redirects = 0; ; redirects++) {
      this.assertAllowed(url, req.registry, req.what);
      const res = await this.withRetries(url, method, headers, body, req, deadline);
      url = res.url; // may have fallen back to plain HTTP
      const location = header(res, 'location');
      if (req.followRedirects === false || ![301, 302, 303, 307, 308].includes(res.status) || !location) return res;
      discard(res.body);
      if (redirects >= MAX_REDIRECTS) throw new CustomsError('registry', `${req.what}: more than ${MAX_REDIRECTS} redirects`);
      const next = new URL(location, url);
      // Credentials are for the registry only: a blob redirect to storage (another origin) must not see them.
      if (next.origin !== url.origin) {
        headers = Object.fromEntries(Object.entries(headers).filter(([k]) => k.toLowerCase() !== 'authorization'));
      }
      if (res.status === 303 || ((res.status === 301 || res.status === 302) && method === 'POST')) {
        method = 'GET';
        body = undefined;
      }
      log.debug({ what: req.what, from: url.origin, to: next.origin, status: res.status }, 'following redirect');
      url = next;
    }
  }

  private async withRetries(url0: URL, method: HttpRequest['method'], headers: Record<string, string>, body: Buffer | string | undefined, req: HttpRequest, deadline: Deadline): Promise<HttpResponse> {
    const h = this.cfg.http;
    let url = url0;
    if (url.protocol === 'https:' && this.plainHosts.has(url.host) && url.host === apiHost(req.registry)) url = withProtocol(url, 'http:');
    for (let attempt = 0; ; attempt++) {
      const last = attempt >= h.retries;
      try {
        const r = await this.poolFor(url.origin, req.registry).request({
          origin: url.origin, path: url.pathname + url.search, method, headers, body, signal: deadline.signal,
        });
        const res: HttpResponse = { status: r.statusCode, headers: r.headers, body: r.body, url, aborted: deadline.error };
        if (url.protocol === 'https:') this.tlsHosts.add(url.host);
        if (last || req.noRetry || !isRetryableStatus(res.status)) return res;
        discard(res.body);
        const wait = backoffDelay(attempt, h, parseRetryAfter(header(res, 'retry-after')));
        log.warn({ what: req.what, host: url.host, status: res.status, attempt: attempt + 1, waitMs: wait }, 'registry busy or failing; retrying');
        await sleep(wait, undefined, { signal: deadline.signal });
      } catch (e) {
        const late = deadline.error();
        if (late) throw late;
        if (this.shouldFallBackToPlain(e, url, req.registry)) {
          // expected for every plain-HTTP loopback registry, once per client: not news worth an info line
          log.debug({ registry: req.registry, host: url.host }, 'TLS handshake failed on an insecure/loopback registry; using plain HTTP');
          this.plainHosts.add(url.host);
          url = withProtocol(url, 'http:');
          attempt--; // the probe is not a retry
          continue;
        }
        if (isTlsTrustError(e)) throw tlsError(e, req.what, url.host);
        if (!isNetworkError(e)) throw e;
        if (last) throw networkError(e, req.what, url.host);
        const wait = backoffDelay(attempt, h);
        log.warn({ what: req.what, host: url.host, code: (e as any).code, attempt: attempt + 1, waitMs: wait }, 'connection failed; retrying');
        await sleep(wait, undefined, { signal: deadline.signal }).catch(() => { throw deadline.error() ?? e; });
      }
    }
  }

  /** A failed TLS handshake with the registry's own host, where plain HTTP is allowed and HTTPS never worked. */
  private shouldFallBackToPlain(e: unknown, url: URL, registry: string): boolean {
    if (url.protocol !== 'https:' || url.host !== apiHost(registry) || this.tlsHosts.has(url.host) || !this.isInsecure(url.host, registry)) return false;
    const err = e as { code?: string; cause?: { code?: string } };
    const code = err?.code ?? '';
    const cause = err?.cause?.code ?? '';
    return [code, cause].some((c) => c === 'EPROTO' || c.startsWith('ERR_SSL_') || c === 'ECONNRESET' || c === 'UND_ERR_SOCKET');
  }

  async close(): Promise<void> {
    this.closed = true;
    const pools = [...this.pools.values()];
    this.pools.clear();
    await Promise.all(pools.map((p) => p.destroy().catch(() => undefined)));
  }
}
