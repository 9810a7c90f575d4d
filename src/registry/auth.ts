import { CustomsError } from '../errors.ts';
import { log } from '../log.ts';
import { parseUntrustedJson } from '../util/json.ts';
import type { Credentials } from './credentials.ts';
import { discard, readCapped, type HttpClient } from './http.ts';

// Registry authentication per the Docker token spec: parse the 401 challenge, fetch a bearer token
// from the realm (Basic credentials, or an OAuth2 refresh token), cache it per (realm, service, scope).

export type Challenge =
  | { scheme: 'bearer'; realm: string; service?: string; scope?: string; error?: string }
  | { scheme: 'basic'; realm?: string };

export interface Token { token: string; expiresAt: number }

const MAX_TOKEN_RESPONSE = 1024 * 1024;
const TOKEN_DEFAULT_TTL_S = 60;

export function pullScope(repo: string): string { return `repository:${repo}:pull`; }
export function pushScope(repo: string): string { return `repository:${repo}:pull,push`; }

/**
 * Parse a WWW-Authenticate header: `Bearer realm="https://a/token",service="reg",scope="repository:x:pull,push"`.
 * Quoted values may hold commas and escaped quotes. Returns every challenge found (Bearer/Basic only).
 */
export function parseWwwAuthenticate(value: string): Challenge[] {
  const out: Challenge[] = [];
  // auth-scheme followed by auth-params; a new scheme starts where a bare token precedes a space
  const re = /([A-Za-z][A-Za-z0-9!#$%&'*+.^_`|~-]*)\s*(?:=\s*("(?:[^"\\]|\\.)*"|[^,\s]*))?\s*,?\s*/gy;
  let current: { scheme: string; params: Record<string, string> } | undefined;
  const flush = () => {
    if (!current) return;
    const p = current.params;
    if (current.scheme === 'bearer' && p.realm) {
      out.push({ scheme: 'bearer', realm: p.realm, ...(p.service !== undefined ? { service: p.service } : {}), ...(p.scope !== undefined ? { scope: p.scope } : {}), ...(p.error !== undefined ? { error: p.error } : {}) });
    } else if (current.scheme === 'basic') {
      out.push({ scheme: 'basic', ...(p.realm !== undefined ? { realm: p.realm } : {}) });
    }
  };
  let m: RegExpExecArray | null;
  re.lastIndex = 0;
  const s = value.trim();
  while (re.lastIndex < s.length && (m = re.exec(s)) !== null) {
    const [, name, raw] = m;
    if (raw === undefined) {
      flush();
      current = { scheme: name!.toLowerCase(), params: {} };
    } else if (current) {
      const v = raw.startsWith('"') ? raw.slice(1, -1).replace(/\\(.)/g, '$1') : raw;
      current.params[name!.toLowerCase()] = v;
    }
    if (m[0] === '') break; // no progress: stop rather than loop
  }
  flush();
  return out;
}

/** Bearer tokens keyed by realm + service + scope, expiring a little before the server says. */
export class TokenCache {
  private readonly tokens = new Map<string, Token>();
  static key(realm: string, service: string | undefined, scope: string): string {
    return `${realm}\u0000${service ?? ''}\u0000${scope}`;
  }
  get(key: string, now = Date.now()): string | undefined {
    const t = this.tokens.get(key);
    if (!t) return undefined;
    if (t.expiresAt <= now) { this.tokens.delete(key); return undefined; }
    return t.token;
  }
  set(key: string, t: Token): void { this.tokens.set(key, t); }
  clear(): void { this.tokens.clear(); }
}

function basicHeader(username: string, password: string): string {
  return `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}`;
}

/** The Authorization header for a Basic challenge, if we have a username and password. */
export function basicAuthorization(creds: Credentials): string | undefined {
  return creds.username !== undefined && creds.password !== undefined ? basicHeader(creds.username, creds.password) : undefined;
}

/**
 * Fetch a bearer token from the challenge's realm for `scope` (space-separated scopes allowed).
 * Uses POST + refresh_token when the credentials carry an identity token (docker's OAuth2 flow),
 * else GET with Basic credentials when we have them, else anonymously.
 */
export async function fetchToken(http: HttpClient, registry: string, ch: Extract<Challenge, { scheme: 'bearer' }>, scope: string, creds: Credentials, now = Date.now()): Promise<Token> {
  const realm = parseRealm(ch.realm, registry);
  const what = `token for ${registry} (scope ${scope})`;
  const scopes = scope.split(' ').filter(Boolean);
  let res;
  if (creds.identityToken) {
    const form = new URLSearchParams({ grant_type: 'refresh_token', refresh_token: creds.identityToken, client_id: 'customs' });
    if (ch.service) form.set('service', ch.service);
    if (scopes.length) form.set('scope', scopes.join(' '));
    res = await http.request({
      method: 'POST', url: realm, registry, what, body: form.toString(),
      headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
    });
  } else {
    const url = new URL(realm);
    if (ch.service) url.searchParams.set('service', ch.service);
    for (const s of scopes) url.searchParams.append('scope', s);
    const headers: Record<string, string> = { accept: 'application/json' };
    const basic = basicAuthorization(creds);
    if (basic) headers.authorization = basic;
    res = await http.request({ method: 'GET', url, registry, what, headers });
  }
  if (res.status === 401 || res.status === 403) {
    discard(res.body);
    throw new CustomsError('auth', `authentication to ${registry} refused for scope ${scope} (token server ${realm.host} answered ${res.status}${creds.source === 'anonymous' ? '; no credentials configured' : `; credentials from ${creds.source}`})`);
  }
  if (res.status !== 200) {
    discard(res.body);
    throw new CustomsError('registry', `${what}: token server ${realm.host} answered HTTP ${res.status}`, { transient: res.status === 429 || res.status >= 500 });
  }
  const doc = parseUntrustedJson<any>(await readCapped(res, MAX_TOKEN_RESPONSE, what), what, 16);
  const token = typeof doc?.token === 'string' && doc.token ? doc.token : typeof doc?.access_token === 'string' ? doc.access_token : '';
  if (!token) throw new CustomsError('registry', `${what}: token server ${realm.host} sent no token`);
  const ttl = typeof doc.expires_in === 'number' && doc.expires_in > 0 ? doc.expires_in : TOKEN_DEFAULT_TTL_S;
  const issued = typeof doc.issued_at === 'string' && !Number.isNaN(Date.parse(doc.issued_at)) ? Math.min(Date.parse(doc.issued_at), now) : now;
  // Expire early so a token is never sent just as it lapses (clock skew, slow requests).
  const margin = Math.min(30, ttl / 4);
  log.debug({ registry, scope, ttl, realm: realm.host }, 'obtained registry token');
  return { token, expiresAt: issued + (ttl - margin) * 1000 };
}

function parseRealm(realm: string, registry: string): URL {
  try {
    const u = new URL(realm);
    if (u.protocol === 'http:' || u.protocol === 'https:') return u;
  } catch { /* fall through */ }
  throw new CustomsError('registry', `${registry}: invalid token realm ${JSON.stringify(realm.slice(0, 200))}`);
}

/** Read the WWW-Authenticate header of a 401 into challenges. */
export function challengesOf(res: { headers: Record<string, string | string[] | undefined> }): Challenge[] {
  const raw = res.headers['www-authenticate'];
  const values = Array.isArray(raw) ? raw : raw ? [raw] : [];
  return values.flatMap(parseWwwAuthenticate);
}
