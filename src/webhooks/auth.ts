import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { BlockList, isIP } from 'node:net';
import type { WebhookSource, WebhookSourceConfig } from '../config/service-schema.ts';

// Per-source webhook authentication: IP allow-list, then a shared secret (compared in constant time)
// or, for GitHub, the X-Hub-Signature-256 HMAC of the raw body. Reasons are short and never echo secrets.

export interface AuthInput {
  header(name: string): string | undefined;
  query(name: string): string | undefined;
  clientIp: string | undefined;
  rawBody: Buffer;
}

export type AuthResult = { ok: true } | { ok: false; status: 401 | 403; reason: string };

/** Equal-length digests so neither length nor content leaks through timing. */
export function safeEqual(a: string, b: string): boolean {
  return timingSafeEqual(createHash('sha256').update(a).digest(), createHash('sha256').update(b).digest());
}

export function allowList(entries: string[]): BlockList | undefined {
  if (!entries.length) return undefined;
  const list = new BlockList();
  for (const e of entries) {
    const [addr, bits] = e.split('/');
    const type = isIP(addr!) === 6 ? 'ipv6' : 'ipv4';
    if (bits !== undefined) list.addSubnet(addr!, Number(bits), type); else list.addAddress(addr!, type);
  }
  return list;
}

function ipAllowed(list: BlockList, ip: string | undefined): boolean {
  if (!ip) return false;
  const v4 = ip.startsWith('::ffff:') ? ip.slice(7) : ip;
  return list.check(v4, isIP(v4) === 6 ? 'ipv6' : 'ipv4');
}

export function authenticateWebhook(source: WebhookSource, cfg: WebhookSourceConfig, ips: BlockList | undefined, req: AuthInput): AuthResult {
  if (ips && !ipAllowed(ips, req.clientIp)) return { ok: false, status: 403, reason: 'source address not allowed' };
  if (!cfg.secret) return { ok: true };
  if (source === 'github') {
    const sig = req.header('x-hub-signature-256');
    if (!sig) return { ok: false, status: 401, reason: 'missing X-Hub-Signature-256' };
    const expected = 'sha256=' + createHmac('sha256', cfg.secret).update(req.rawBody).digest('hex');
    return safeEqual(sig, expected) ? { ok: true } : { ok: false, status: 401, reason: 'X-Hub-Signature-256 does not match' };
  }
  const offered = [
    req.header('authorization'),
    req.header('authorization')?.replace(/^Bearer\s+/i, ''),
    cfg.header ? req.header(cfg.header) : undefined,
    req.query('token'),
  ].filter((v): v is string => !!v);
  if (!offered.length) return { ok: false, status: 401, reason: 'missing credentials' };
  // Compare every candidate (no early exit) so timing does not tell which one was close.
  let ok = false;
  for (const v of offered) ok = safeEqual(v, cfg.secret) || ok;
  return ok ? { ok: true } : { ok: false, status: 401, reason: 'wrong secret' };
}
