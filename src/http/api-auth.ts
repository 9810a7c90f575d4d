import type { MiddlewareHandler } from 'hono';
import type { ApiConfig } from '../config/service-schema.ts';
import { safeEqual } from '../webhooks/auth.ts';
import { problem } from './problem.ts';

export type Role = 'reader' | 'operator' | 'admin';
const RANK: Record<Role, number> = { reader: 1, operator: 2, admin: 3 };

/** Bearer tokens from configuration with roles; no tokens configured = open (loopback setups). */
export function requireRole(api: ApiConfig, role: Role): MiddlewareHandler {
  return async (c, next) => {
    if (!api.tokens.length) return next();
    const m = /^Bearer\s+(.+)$/i.exec(c.req.header('authorization') ?? '');
    if (!m) return problem(c, 401, 'Unauthorized', 'a bearer token is required');
    let found: ApiConfig['tokens'][number] | undefined;
    for (const t of api.tokens) if (safeEqual(m[1]!, t.token)) found = t; // check all: constant time
    if (!found) return problem(c, 401, 'Unauthorized', 'unknown token');
    if (RANK[found.role] < RANK[role]) return problem(c, 403, 'Forbidden', `role ${role} required`);
    c.set('principal' as never, found.name as never);
    return next();
  };
}
