import { Readable } from 'node:stream';
import type { Config } from '../config/schema.ts';
import { CustomsError } from '../errors.ts';
import { isValidRepository, isValidTag } from '../image/reference.ts';
import { MANIFEST_ACCEPT } from '../image/media-types.ts';
import { log } from '../log.ts';
import type { Descriptor } from '../types.ts';
import { assertDigest, DigestVerifier, digestOf, isDigest, verifyBuffer } from '../util/digest.ts';
import { parseUntrustedJson } from '../util/json.ts';
import { basicAuthorization, challengesOf, fetchToken, pullScope, pushScope, TokenCache, type Challenge, type Token } from './auth.ts';
import { lookupCredentials, type Credentials } from './credentials.ts';
import { abort, discard, header, HttpClient, isNetworkError, readCapped, type HttpRequest, type HttpResponse } from './http.ts';

// The OCI distribution API, client side. One RegistryClient per Config: it owns the connection
// pools, the credentials looked up per registry, the last auth challenge per registry and the
// token cache. Every byte read is capped and verified against a digest.

export interface ManifestResult { bytes: Buffer; contentType?: string; digest: string }

const MAX_ERROR_BODY = 64 * 1024;
const MAX_TAG_PAGE = 4 * 1024 * 1024;
const MAX_TAG_PAGES = 1000;
/** Credentials are looked up again after this long: helpers and ECR hand out short-lived secrets. */
const CREDS_TTL_MS = 10 * 60_000;

type Call = Omit<HttpRequest, 'registry' | 'url'> & { path?: string; url?: URL };

/** What a client knows of registry auth: credentials looked up, challenges, tokens (and fetches in flight). */
interface AuthState {
  creds: Map<string, { p: Promise<Credentials>; until: number }>;
  challenges: Map<string, Challenge>;
  tokens: TokenCache;
  /** token fetches in flight, so parallel layer downloads share one token request */
  pending: Map<string, Promise<Token>>;
}

export class RegistryClient {
  readonly http: HttpClient;
  private readonly cfg: Config;
  private readonly env: NodeJS.ProcessEnv;
  private readonly creds: AuthState['creds'];
  private readonly challenges: AuthState['challenges'];
  private readonly tokens: TokenCache;
  private readonly pending: AuthState['pending'];
  private readonly auth: AuthState;
  /** token requests go out on the auth state owner's client: a shared fetch in flight must not die with one job's deadline */
  private readonly tokenHttp: HttpClient;
  /** false for a view made by scoped(): the pools are its parent's, closed with it */
  private readonly owner: boolean;

  /** `signal`: a deadline over everything this client does (a scan's); each request also has its own */
  /** `credentials`: for these registries, use these instead of the configured ones (a pull a caller authorised, e.g. Harbor's robot account) */
  /** `share` (scoped() only): the parent's HTTP client, and its auth state when no credentials are handed over */
  constructor(cfg: Config, opts: { env?: NodeJS.ProcessEnv; signal?: AbortSignal; credentials?: Record<string, Credentials>; share?: { http: HttpClient; auth?: { state: AuthState; http: HttpClient } } } = {}) {
    this.cfg = cfg;
    this.env = opts.env ?? process.env;
    this.owner = !opts.share;
    this.http = opts.share?.http ?? new HttpClient(cfg, opts.signal);
    this.auth = opts.share?.auth?.state ?? { creds: new Map(), challenges: new Map(), tokens: new TokenCache(), pending: new Map() };
    this.tokenHttp = opts.share?.auth?.http ?? this.http;
    this.creds = this.auth.creds; this.challenges = this.auth.challenges; this.tokens = this.auth.tokens; this.pending = this.auth.pending;
    for (const [registry, c] of Object.entries(opts.credentials ?? {})) this.creds.set(registry, { p: Promise.resolve(c), until: Number.POSITIVE_INFINITY });
  }

  /**
   * A view of this client for one job: the same connection pools (per registry) and, unless the job
   * brings its own credentials, the same credential and token caches; `signal` bounds only the view's
   * requests. Credentials handed over (Harbor's robot account) get an auth state of their own, so no
   * token fetched with them serves another job. Closing a view closes nothing: the pools are the parent's.
   */
  scoped(opts: { signal?: AbortSignal; credentials?: Record<string, Credentials> } = {}): RegistryClient {
    const own = opts.credentials && Object.keys(opts.credentials).length > 0;
    return new RegistryClient(this.cfg, {
      env: this.env,
      ...(own ? { credentials: opts.credentials! } : {}),
      share: { http: opts.signal ? this.http.withSignal(opts.signal) : this.http, ...(own ? {} : { auth: { state: this.auth, http: this.tokenHttp } }) },
    });
  }

  // ---- reads ---------------------------------------------------------------------------------

  /** GET a manifest by tag or digest. By digest: bytes must hash to it. By tag: the digest is
   *  computed, and must equal Docker-Content-Digest when the registry sends one. */
  async getManifest(registry: string, repo: string, ref: string, maxBytes: number): Promise<ManifestResult> {
    checkRepoRef(repo, ref);
    const what = `${registry}/${repo}${refSuffix(ref)} manifest`;
    const res = await this.send(registry, pullScope(repo), { method: 'GET', path: `/v2/${repo}/manifests/${ref}`, headers: { accept: MANIFEST_ACCEPT }, what });
    if (res.status !== 200) throw await failure(res, what);
    const bytes = await readCapped(res, maxBytes, what);
    const contentType = header(res, 'content-type');
    const announced = header(res, 'docker-content-digest');
    let digest: string;
    if (isDigest(ref)) {
      verifyBuffer(bytes, ref, what);
      digest = ref;
    } else {
      digest = digestOf(bytes);
      if (announced !== undefined) {
        if (!isDigest(announced)) throw new CustomsError('digest-mismatch', `${what}: registry sent an invalid Docker-Content-Digest`);
        verifyBuffer(bytes, announced, `${what} (Docker-Content-Digest)`);
      }
    }
    return { bytes, ...(contentType ? { contentType } : {}), digest };
  }

  /** The digest a tag (or digest) currently points at; HEAD, falling back to GET when the
   *  registry does not send Docker-Content-Digest. */
  async headManifest(registry: string, repo: string, ref: string, maxBytes = this.cfg.limits.maxManifestBytes): Promise<string> {
    checkRepoRef(repo, ref);
    const what = `${registry}/${repo}${refSuffix(ref)} manifest`;
    const res = await this.send(registry, pullScope(repo), { method: 'HEAD', path: `/v2/${repo}/manifests/${ref}`, headers: { accept: MANIFEST_ACCEPT }, what });
    discard(res.body);
    if (res.status !== 200) throw await failure(res, what);
    if (isDigest(ref)) return ref;
    const d = header(res, 'docker-content-digest');
    if (d && isDigest(d)) return d;
    return (await this.getManifest(registry, repo, ref, maxBytes)).digest;
  }

  /** A stream of the blob's bytes, verified against desc.digest/desc.size (errors at the end on mismatch). */
  async openBlob(registry: string, repo: string, desc: Descriptor): Promise<Readable & AsyncIterable<Buffer>> {
    checkRepoRef(repo, desc.digest);
    const what = `${registry}/${repo} blob ${desc.digest}`;
    // a blob may take the request deadline plus its size at the slowest acceptable rate
    const deadlineMs = (bytes: number) => this.cfg.http.requestDeadlineMs + Math.ceil((bytes / this.cfg.http.minBytesPerSecond) * 1000);
    const get = (headers: Record<string, string> = {}, remaining = desc.size) =>
      this.send(registry, pullScope(repo), { method: 'GET', path: `/v2/${repo}/blobs/${desc.digest}`, headers, what, deadlineMs: deadlineMs(remaining) });
    const res = await get();
    if (res.status !== 200) throw await failure(res, what);
    const declared = header(res, 'content-length');
    if (declared !== undefined && /^\d+$/.test(declared) && Number(declared) > desc.size) {
      abort(res.body);
      throw new CustomsError('digest-mismatch', `${what}: registry announces ${declared} bytes, the descriptor says ${desc.size}`);
    }
    // A connection dropped mid-layer resumes with Range rather than starting a large download over.
    const reopen = async (offset: number): Promise<HttpResponse> => {
      const r = await get({ range: `bytes=${offset}-` }, Math.max(0, desc.size - offset));
      if (r.status === 206 && (header(r, 'content-range') ?? '').startsWith(`bytes ${offset}-`)) return r;
      discard(r.body);
      if (r.status === 206 || r.status === 200) throw new CustomsError('unreachable', `${what}: connection dropped after ${offset} bytes and the registry cannot resume (no usable Range support)`, { transient: true });
      throw await failure(r, what);
    };
    const verifier = new DigestVerifier(desc.digest, desc.size, what);
    const source = Readable.from(resumableBody(res, reopen, this.cfg.http.retries, what), { objectMode: false });
    source.on('error', (e) => verifier.destroy(e));
    // Whoever stops reading early must not leave the socket streaming into nowhere.
    verifier.on('close', () => source.destroy());
    source.pipe(verifier);
    return verifier;
  }

  /** A small blob (config) read fully, capped, verified. */
  async fetchBlob(registry: string, repo: string, desc: Descriptor, maxBytes: number): Promise<Buffer> {
    const what = `${registry}/${repo} blob ${desc.digest}`;
    if (desc.size > maxBytes) throw new CustomsError('limit', `${what}: ${desc.size} bytes exceeds the limit of ${maxBytes} bytes`);
    const stream = await this.openBlob(registry, repo, desc);
    return readCapped({ body: stream, headers: {} }, maxBytes, what);
  }

  async blobExists(registry: string, repo: string, digest: string): Promise<boolean> {
    checkRepoRef(repo, digest);
    const what = `${registry}/${repo} blob ${digest}`;
    const res = await this.send(registry, pullScope(repo), { method: 'HEAD', path: `/v2/${repo}/blobs/${digest}`, what });
    discard(res.body);
    if (res.status === 200) return true;
    if (res.status === 404) return false;
    throw await failure(res, what);
  }

  /** All tags, following Link pagination (bounded). */
  async listTags(registry: string, repo: string): Promise<string[]> {
    checkRepoRef(repo);
    const what = `${registry}/${repo} tag list`;
    const tags: string[] = [];
    let path = `/v2/${repo}/tags/list?n=1000`;
    for (let page = 0; page < MAX_TAG_PAGES; page++) {
      const res = await this.send(registry, pullScope(repo), { method: 'GET', path, what });
      if (res.status !== 200) throw await failure(res, what);
      const doc = parseUntrustedJson<any>(await readCapped(res, MAX_TAG_PAGE, what), what, 8);
      if (Array.isArray(doc?.tags)) tags.push(...doc.tags.filter((t: unknown): t is string => typeof t === 'string'));
      const next = /<([^>]+)>\s*;\s*rel="?next"?/.exec(header(res, 'link') ?? '');
      if (!next) return tags;
      const u = new URL(next[1]!, this.http.baseUrl(registry));
      if (u.origin !== new URL(this.http.baseUrl(registry)).origin) throw new CustomsError('registry', `${what}: pagination link leaves the registry`);
      path = u.pathname + u.search;
    }
    throw new CustomsError('limit', `${what}: more than ${MAX_TAG_PAGES} pages`);
  }

  /** GET /v2/<repo>/referrers/<digest> (OCI 1.1): the index of referrers, or undefined when the
   *  registry has no referrers API (404/405; the caller then reads the `sha256-<hex>` tag index). */
  async referrers(registry: string, repo: string, digest: string, maxBytes: number): Promise<Buffer | undefined> {
    assertDigest(digest, 'subject digest');
    checkRepoRef(repo, digest);
    const what = `${registry}/${repo}@${digest} referrers`;
    const res = await this.send(registry, pullScope(repo), { method: 'GET', path: `/v2/${repo}/referrers/${digest}`, headers: { accept: 'application/vnd.oci.image.index.v1+json' }, what });
    if (res.status === 404 || res.status === 405) { discard(res.body); return undefined; }
    if (res.status !== 200) throw await failure(res, what);
    return readCapped(res, maxBytes, what);
  }

  // ---- writes (tests, write-backs) -----------------------------------------------------------

  /** Upload a blob monolithically (POST → PUT ?digest=); a no-op when it already exists. */
  /**
   * Upload a blob (POST + PUT) unless the registry has it already (HEAD). `probe: false` skips the
   * question for bytes that cannot be there yet (a fresh signature): a HEAD is not free — undici
   * closes the connection after every HEAD (for servers that send a body with it) — but re-uploading
   * a blob the registry has costs it far more (measured on distribution: 6 ms against 1.4 ms).
   */
  async pushBlob(registry: string, repo: string, data: Buffer, digest?: string, opts: { probe?: boolean } = {}): Promise<{ digest: string; size: number }> {
    const d = digest ?? digestOf(data);
    if (digest) verifyBuffer(data, d, `blob for ${registry}/${repo}`); // a digest computed here needs no second hash
    const probe = opts.probe ?? true;
    if (probe && await this.blobExists(registry, repo, d)) return { digest: d, size: data.length };
    const what = `${registry}/${repo} blob upload ${d}`;
    const start = await this.send(registry, pushScope(repo), { method: 'POST', path: `/v2/${repo}/blobs/uploads/`, headers: { 'content-length': '0' }, what });
    discard(start.body);
    if (start.status !== 202) throw await failure(start, what);
    const url = this.uploadUrl(registry, start, what);
    url.searchParams.set('digest', d);
    const put = await this.send(registry, pushScope(repo), {
      method: 'PUT', url, body: data, what,
      headers: { 'content-type': 'application/octet-stream', 'content-length': String(data.length) },
    });
    discard(put.body);
    if (put.status !== 201) throw await failure(put, what);
    return { digest: d, size: data.length };
  }

  /** Cross-repository mount; false when the registry chose not to mount (the caller uploads instead). */
  async mountBlob(registry: string, repo: string, digest: string, fromRepo: string): Promise<boolean> {
    checkRepoRef(repo, digest);
    checkRepoRef(fromRepo);
    const what = `${registry}/${repo} blob mount ${digest} from ${fromRepo}`;
    const scope = `${pushScope(repo)} ${pullScope(fromRepo)}`;
    const res = await this.send(registry, scope, {
      method: 'POST', path: `/v2/${repo}/blobs/uploads/?mount=${encodeURIComponent(digest)}&from=${encodeURIComponent(fromRepo)}`,
      headers: { 'content-length': '0' }, what,
    });
    discard(res.body);
    if (res.status === 201) return true;
    if (res.status === 202) {
      // An upload session was opened instead; cancel it so it does not linger.
      const url = this.uploadUrl(registry, res, what);
      await this.send(registry, scope, { method: 'DELETE', url, what }).then((r) => discard(r.body), () => undefined);
      return false;
    }
    throw await failure(res, what);
  }

  /** PUT a manifest under a tag or its digest; returns the digest and the OCI-Subject header if any. */
  async putManifestDetailed(registry: string, repo: string, tagOrDigest: string, bytes: Buffer, mediaType: string): Promise<{ digest: string; subject?: string }> {
    checkRepoRef(repo, tagOrDigest);
    const digest = isDigest(tagOrDigest) ? tagOrDigest : digestOf(bytes);
    verifyBuffer(bytes, digest, `manifest for ${registry}/${repo}`);
    const what = `${registry}/${repo}${refSuffix(tagOrDigest)} manifest push`;
    const res = await this.send(registry, pushScope(repo), {
      method: 'PUT', path: `/v2/${repo}/manifests/${tagOrDigest}`, body: bytes, what,
      headers: { 'content-type': mediaType, 'content-length': String(bytes.length) },
    });
    discard(res.body);
    if (res.status !== 201 && res.status !== 200) throw await failure(res, what);
    const announced = header(res, 'docker-content-digest');
    if (announced && announced !== digest) log.warn({ registry, repo, digest, announced }, 'registry reports a different digest for a pushed manifest');
    const subject = header(res, 'oci-subject');
    return { digest, ...(subject ? { subject } : {}) };
  }

  async putManifest(registry: string, repo: string, tagOrDigest: string, bytes: Buffer, mediaType: string): Promise<string> {
    return (await this.putManifestDetailed(registry, repo, tagOrDigest, bytes, mediaType)).digest;
  }

  /** DELETE a manifest by digest (distribution refuses deletes by tag). */
  async deleteManifest(registry: string, repo: string, digest: string): Promise<void> {
    assertDigest(digest, 'manifest digest');
    checkRepoRef(repo, digest);
    const what = `${registry}/${repo}@${digest} manifest delete`;
    const res = await this.send(registry, `repository:${repo}:pull,push,delete`, { method: 'DELETE', path: `/v2/${repo}/manifests/${digest}`, what });
    discard(res.body);
    if (res.status !== 202 && res.status !== 200) throw await failure(res, what);
  }

  async close(): Promise<void> {
    if (!this.owner) return;
    this.tokens.clear();
    await this.http.close();
  }

  // ---- plumbing ------------------------------------------------------------------------------

  private uploadUrl(registry: string, res: HttpResponse, what: string): URL {
    const loc = header(res, 'location');
    if (!loc) throw new CustomsError('registry', `${what}: upload response has no Location`);
    return new URL(loc, this.http.baseUrl(registry));
  }

  private credentials(registry: string): Promise<Credentials> {
    const hit = this.creds.get(registry);
    if (hit && hit.until > Date.now()) return hit.p;
    const entry = { p: lookupCredentials(registry, this.cfg, this.env), until: Date.now() + CREDS_TTL_MS };
    entry.p.then(
      (c) => { if (c.expiresAt !== undefined) entry.until = Math.min(entry.until, c.expiresAt - 60_000); },
      () => { if (this.creds.get(registry) === entry) this.creds.delete(registry); }, // a failed lookup may succeed later
    );
    this.creds.set(registry, entry);
    return entry.p;
  }

  /** Authorization for (registry, scope) from what we know. `rejected` is a header the registry just
   *  refused: a cached token equal to it is not reused (another request may have renewed it already). */
  private async authorization(registry: string, scope: string, rejected?: string): Promise<string | undefined> {
    const creds = await this.credentials(registry);
    if (creds.registryToken) return `Bearer ${creds.registryToken}`;
    const ch = this.challenges.get(registry);
    if (!ch) return undefined;
    if (ch.scheme === 'basic') return basicAuthorization(creds);
    const key = TokenCache.key(ch.realm, ch.service, scope);
    const cached = this.tokens.get(key);
    if (cached && `Bearer ${cached}` !== rejected) return `Bearer ${cached}`;
    let p = this.pending.get(key);
    if (!p) {
      p = fetchToken(this.tokenHttp, registry, ch, scope, creds).finally(() => this.pending.delete(key));
      this.pending.set(key, p);
    }
    const tok = await p;
    this.tokens.set(key, tok);
    return `Bearer ${tok.token}`;
  }

  /**
   * One registry request with auth: send with what we know (cached token / basic), and on a 401
   * learn the challenge, authenticate and retry once. A second refusal is an 'auth' error naming
   * the registry and the scope.
   */
  private async send(registry: string, scope: string, call: Call): Promise<HttpResponse> {
    const base = new URL(this.http.baseUrl(registry));
    const url = call.url ?? new URL(call.path!, base);
    const attempt = async (authz: string | undefined): Promise<HttpResponse> => {
      const headers: Record<string, string> = { 'user-agent': 'customs/0.1', ...call.headers };
      // Only the registry's own origin ever sees its credentials.
      if (authz && url.origin === base.origin) headers.authorization = authz;
      return this.http.request({ ...call, url, registry, headers });
    };
    let authz = await this.authorization(registry, scope);
    let res = await attempt(authz);
    if (res.status === 401) {
      const chs = challengesOf(res);
      discard(res.body);
      const ch = chs.find((c) => c.scheme === 'bearer') ?? chs.find((c) => c.scheme === 'basic');
      const creds = await this.credentials(registry);
      if (!ch) throw authError(registry, scope, creds, 'no usable WWW-Authenticate challenge');
      this.challenges.set(registry, ch);
      // A configured bearer token is all we have; nothing to exchange or refresh.
      if (creds.registryToken) throw authError(registry, scope, creds, 'the configured token was rejected');
      if (ch.scheme === 'basic' && !basicAuthorization(creds)) throw authError(registry, scope, creds, 'the registry requires credentials');
      // Basic credentials already sent and refused: sending them again cannot help.
      if (authz?.startsWith('Basic ') && ch.scheme === 'basic') throw authError(registry, scope, creds, 'HTTP 401');
      authz = await this.authorization(registry, scope, authz ?? '');
      res = await attempt(authz);
      if (res.status === 401 || res.status === 403) {
        discard(res.body);
        throw authError(registry, scope, creds, `HTTP ${res.status}`);
      }
    } else if (res.status === 403) {
      discard(res.body);
      throw authError(registry, scope, await this.credentials(registry), 'HTTP 403');
    }
    return res;
  }
}

/** The body's bytes, reopening at the current offset (up to maxResumes times) when the connection drops. */
async function* resumableBody(first: HttpResponse, reopen: (offset: number) => Promise<HttpResponse>, maxResumes: number, what: string): AsyncGenerator<Buffer> {
  let res = first;
  let offset = 0;
  for (let resumes = 0; ; resumes++) {
    res.body.on('error', () => undefined); // seen by the loop below; also after an early destroy
    try {
      for await (const chunk of res.body as AsyncIterable<Buffer>) {
        offset += chunk.length;
        yield chunk;
      }
      return;
    } catch (e) {
      if (e instanceof CustomsError) throw e;
      const late = res.aborted?.();
      if (late) throw late; // a deadline passed: resuming would not make it faster
      if (!isNetworkError(e) || resumes >= maxResumes) {
        throw new CustomsError('unreachable', `${what}: connection failed while downloading (${(e as Error).message})`, { cause: e, transient: true });
      }
      log.warn({ what, offset, attempt: resumes + 1 }, 'blob download interrupted; resuming');
      res = await reopen(offset);
    }
  }
}

function authError(registry: string, scope: string, creds: Credentials, why: string): CustomsError {
  const from = creds.source === 'anonymous' ? 'no credentials configured' : `credentials from ${creds.source}`;
  return new CustomsError('auth', `authentication to ${registry} refused for scope ${scope} (${why}; ${from})`);
}

function refSuffix(ref: string): string { return isDigest(ref) ? `@${ref}` : `:${ref}`; }

/** Repository and reference go into URL paths: refuse anything outside the grammar. */
function checkRepoRef(repo: string, ref?: string): void {
  if (!isValidRepository(repo)) throw new CustomsError('usage', `invalid repository name "${repo.slice(0, 200)}"`);
  if (ref !== undefined && !isDigest(ref) && !isValidTag(ref)) throw new CustomsError('usage', `invalid tag or digest "${ref.slice(0, 200)}"`);
}

/** Turn a non-success response into the right CustomsError, reading (capped) the error body. */
async function failure(res: HttpResponse, what: string): Promise<CustomsError> {
  let code = '';
  let message = '';
  try {
    const body = await readCapped(res, MAX_ERROR_BODY, what);
    const doc = body.length ? parseUntrustedJson<any>(body, what, 16) : undefined;
    const e = Array.isArray(doc?.errors) ? doc.errors[0] : undefined;
    if (typeof e?.code === 'string') code = e.code.slice(0, 64);
    if (typeof e?.message === 'string') message = e.message.slice(0, 200).replace(/[\r\n]+/g, ' ');
  } catch { /* the error body is informational only */ }
  const detail = `HTTP ${res.status}${code ? ` ${code}` : ''}${message ? `: ${message}` : ''}`;
  if (res.status === 404 || /^(MANIFEST|BLOB|NAME)_UNKNOWN$/.test(code)) return new CustomsError('not-found', `${what}: not found (${detail})`);
  if (code === 'UNSUPPORTED' || res.status === 405) return new CustomsError('unsupported', `${what}: not supported by the registry (${detail})`);
  return new CustomsError('registry', `${what}: registry answered ${detail}`, { transient: res.status === 429 || res.status >= 500 });
}
