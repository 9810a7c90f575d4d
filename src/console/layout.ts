// The page shell: navigation by role, the stylesheet and script served by Customs itself (no CDN),
// no inline script or style (the CSP forbids them). Everything interpolated is escaped by hono/html.
import { html, raw } from 'hono/html';
import type { HtmlEscapedString } from 'hono/utils/html';
import { VERSION } from '../version.ts';
import { canDo, type Session } from './session.ts';

export type Html = HtmlEscapedString | Promise<HtmlEscapedString>;

export const CSP = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'";

const NAV: [string, string, 'reader' | 'operator' | 'admin'][] = [
  ['/', 'Overview', 'reader'], ['/images', 'Images', 'reader'], ['/quarantine', 'Quarantine', 'reader'],
  ['/policies', 'Policies', 'reader'], ['/audit', 'Audit log', 'reader'], ['/jobs', 'Jobs', 'reader'],
];

export function page(title: string, s: Session | undefined, current: string, body: Html): Html {
  return html`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title} · Customs</title><link rel="stylesheet" href="/console/app.css"><script src="/console/app.js" defer></script></head>
<body><a class="skip" href="#main">Skip to content</a>
<header><nav aria-label="Main"><span class="brand">Customs</span><ul>${s ? NAV.filter(([, , r]) => canDo(s, r)).map(([href, label]) => html`<li><a href="${href}"${current === href ? raw(' aria-current="page"') : ''}>${label}</a></li>`) : ''}</ul>
${s ? html`<span class="who">${s.name} (${s.role})${s.open ? '' : html` <form method="post" action="/logout" class="inline"><input type="hidden" name="_csrf" value="${s.csrf}"><button>Sign out</button></form>`}</span>` : ''}</nav></header>
<main id="main"><h1>${title}</h1>${body}</main>
<footer>Customs ${VERSION}</footer></body></html>`;
}

export function csrfField(s: Session): Html { return html`<input type="hidden" name="_csrf" value="${s.csrf}">`; }

export function short(digest: string): string { return digest.replace(/^sha256:/, '').slice(0, 12); }

export function when(ms: number | string | null | undefined): string {
  if (ms === null || ms === undefined || ms === '') return '';
  const d = new Date(typeof ms === 'string' && !/^\d+$/.test(ms) ? ms : Number(ms));
  return Number.isNaN(d.getTime()) ? '' : d.toISOString().replace('T', ' ').slice(0, 16) + ' UTC';
}

export function badge(verdict: string | null | undefined): Html {
  const v = verdict ?? 'none';
  return html`<span class="badge ${v}">${v === 'none' ? 'not judged' : v}</span>`;
}

/** Page links keeping the other query parameters. */
export function pager(path: string, query: Record<string, string | undefined>, page: number, perPage: number, total: number): Html {
  const pages = Math.max(1, Math.ceil(total / perPage));
  const link = (p: number) => `${path}?${new URLSearchParams({ ...Object.fromEntries(Object.entries(query).filter(([, v]) => v)), page: String(p) } as Record<string, string>)}`;
  return html`<nav class="pager" aria-label="Pages">${page > 1 ? html`<a href="${link(page - 1)}" rel="prev">Previous</a>` : ''}<span>page ${page} of ${pages} (${total} in all)</span>${page < pages ? html`<a href="${link(page + 1)}" rel="next">Next</a>` : ''}</nav>`;
}
