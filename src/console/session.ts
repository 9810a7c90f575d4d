// Console sign-in: an API token (the API's roles) exchanged for a session cookie. The cookie holds
// the token's name, role and expiry, signed with a key derived from the configured tokens — every
// replica with the same configuration accepts it, and changing the tokens signs everyone out. Forms
// carry a CSRF token bound to the session; the cookie is HttpOnly, SameSite=Strict, Secure on TLS.
import { createHash, createHmac } from 'node:crypto';
import type { Context, MiddlewareHandler } from 'hono';
import { getCookie, setCookie, deleteCookie } from 'hono/cookie';
import type { ApiConfig } from '../config/service-schema.ts';
import { safeEqual } from '../webhooks/auth.ts';

export type Role = 'reader' | 'operator' | 'admin';
const RANK: Record<Role, number> = { reader: 1, operator: 2, admin: 3 };
const COOKIE = 'customs_session';
const TTL_MS = 12 * 3600_000;

export interface Session { name: string; role: Role; csrf: string; open: boolean }

export function canDo(s: Session, role: Role): boolean { return RANK[s.role] >= RANK[role]; }

export class Sessions {
  private readonly api: ApiConfig;
  private readonly key: Buffer;

  constructor(api: ApiConfig) {
    this.api = api;
    this.key = createHash('sha256').update('customs-console\0').update(api.tokens.map((t) => `${t.name}\0${t.token}\0${t.role}`).join('\n')).digest();
  }

  get open(): boolean { return this.api.tokens.length === 0; }

  private sign(payload: string): string { return createHmac('sha256', this.key).update(payload).digest('base64url'); }

  /** The token's identity, or undefined: compared against every token (constant time). */
  signIn(c: Context, token: string): Session | undefined {
    let found: ApiConfig['tokens'][number] | undefined;
    for (const t of this.api.tokens) if (safeEqual(token, t.token)) found = t;
    if (!found) return undefined;
    const payload = `${Buffer.from(found.name).toString('base64url')}.${found.role}.${Date.now() + TTL_MS}`;
    const value = `${payload}.${this.sign(payload)}`;
    setCookie(c, COOKIE, value, { httpOnly: true, sameSite: 'Strict', secure: new URL(c.req.url).protocol === 'https:', path: '/', maxAge: TTL_MS / 1000 });
    return { name: found.name, role: found.role, csrf: this.sign(`csrf\0${value}`), open: false };
  }

  signOut(c: Context): void { deleteCookie(c, COOKIE, { path: '/' }); }

  /** The signed-in session (or the open one when no token is configured). */
  read(c: Context): Session | undefined {
    if (this.open) return { name: 'anonymous', role: 'admin', csrf: this.sign('csrf\0open'), open: true };
    const value = getCookie(c, COOKIE);
    if (!value || value.length > 512) return undefined;
    const parts = value.split('.');
    if (parts.length !== 4) return undefined;
    const [name64, role, expiry, mac] = parts as [string, string, string, string];
    if (!safeEqual(mac, this.sign(`${name64}.${role}.${expiry}`))) return undefined;
    if (!(role in RANK) || !(Number(expiry) > Date.now())) return undefined;
    const name = Buffer.from(name64, 'base64url').toString('utf8');
    // a token removed from the configuration no longer signs in, even with a cookie still valid
    if (!this.api.tokens.some((t) => t.name === name && t.role === role)) return undefined;
    return { name, role: role as Role, csrf: this.sign(`csrf\0${value}`), open: false };
  }

  /** Pages: a session with at least `role`, else the sign-in page (or 403 for a lesser role). */
  require(role: Role): MiddlewareHandler {
    return async (c, next) => {
      const s = this.read(c);
      if (!s) return c.redirect(`/login?next=${encodeURIComponent(c.req.path)}`, 303);
      if (!canDo(s, role)) return c.text(`this needs the ${role} role`, 403);
      c.set('session' as never, s as never);
      if (c.req.method === 'POST') {
        // same-origin form posts only, each with the session's CSRF token
        const origin = c.req.header('origin');
        if (origin && origin !== new URL(c.req.url).origin) return c.text('cross-origin form post refused', 403);
        const form = await c.req.parseBody();
        if (typeof form._csrf !== 'string' || !safeEqual(form._csrf, s.csrf)) return c.text('the form expired or did not come from this console (CSRF token); reload the page', 403);
        c.set('form' as never, form as never);
      }
      return next();
    };
  }
}

export function sessionOf(c: Context): Session { return c.get('session' as never) as Session; }
export function formOf(c: Context): Record<string, string | File> { return (c.get('form' as never) ?? {}) as Record<string, string | File>; }
