import type { Context } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';

/** An RFC 9457 problem document. */
export function problem(c: Context, status: ContentfulStatusCode, title: string, detail?: string, extra: Record<string, unknown> = {}): Response {
  return c.body(JSON.stringify({ type: 'about:blank', title, status, ...(detail ? { detail } : {}), instance: c.req.path, ...extra }), status, {
    'content-type': 'application/problem+json',
  });
}
