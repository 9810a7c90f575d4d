import type { Context, MiddlewareHandler } from 'hono';
import { validator } from 'hono/validator';
import { z } from 'zod';
import { DIGEST_RE } from '../util/digest.ts';
import { jsonBody } from './json-body.ts';
import { problem } from './problem.ts';

// Request validation in one place: path parameters and query strings through hono's validator
// with a zod schema (typed `c.req.valid('param' | 'query')` in the handler), JSON bodies read under
// a byte and depth cap and then checked by a schema. Anything that fails is a 400 problem document
// saying which field and why — handlers only see valid input.

/** The first issue, as a user reads it: `field: message` (or the message for the whole input). */
export function describeIssue(error: z.ZodError): string {
  const issue = error.issues[0]!;
  const path = issue.path.map(String).join('.');
  return path ? `${path}: ${issue.message}` : issue.message;
}

/** Path parameters checked against `schema`; read them with `c.req.valid('param')`. */
export function validParams<S extends z.ZodType<Record<string, unknown>>>(schema: S) {
  return validator('param', (value, c) => {
    const r = schema.safeParse(value);
    return r.success ? r.data as z.output<S> : problem(c, 400, 'Bad Request', describeIssue(r.error));
  });
}

/** Query parameters checked against `schema`; read them with `c.req.valid('query')`. */
export function validQuery<S extends z.ZodType<Record<string, unknown>>>(schema: S) {
  return validator('query', (value, c) => {
    const r = schema.safeParse(value);
    return r.success ? r.data as z.output<S> : problem(c, 400, 'Bad Request', describeIssue(r.error));
  });
}

/**
 * A JSON body (any content type: registries and scripts rarely set it) read under `maxBytes` (413)
 * and the depth cap, checked against `schema` (400). `check` is the middleware; `of(c)` the value.
 */
export function validJson<S extends z.ZodType>(schema: S, opts: { maxBytes: number; maxDepth: number; what: string; setting?: string; emptyAs?: unknown }) {
  const key = `json:${opts.what}`;
  const check: MiddlewareHandler = async (c, next) => {
    const body = await jsonBody(c, opts);
    if (body instanceof Response) return body;
    const r = schema.safeParse(body.value);
    if (!r.success) return problem(c, 400, 'Bad Request', `${opts.what}: ${describeIssue(r.error)}`);
    c.set(key as never, r.data as never);
    await next();
  };
  return { check, of: (c: Context) => c.get(key as never) as z.output<S> };
}

/** Shapes several routes share. */
export const digestParam = z.object({ digest: z.string().regex(DIGEST_RE, 'not a digest (sha256:<64 hex>)') });

/**
 * The paging fields of a list route's query: `limit` (1..max, default `def`) and `cursor`, an
 * opaque offset this API wrote (base64url), which comes out as the offset (0 without one).
 */
export function pageFields(def: number, max: number) {
  const bad = `limit must be 1..${max}`;
  return {
    limit: z.coerce.number({ error: bad }).int(bad).min(1, bad).max(max, bad).default(def),
    cursor: z.string().optional().transform((s, ctx) => {
      // an offset this API wrote: anything else (also a number the database cannot take) is refused
      const decoded = s === undefined ? '0' : Buffer.from(s, 'base64url').toString('utf8');
      if (!/^\d{1,9}$/.test(decoded)) { ctx.addIssue({ code: 'custom', message: 'invalid cursor' }); return z.NEVER; }
      return Number(decoded);
    }),
  };
}

/** `{ limit, offset }` of a query validated with pageFields. */
export function pageOf(q: { limit: number; cursor: number }): { limit: number; offset: number } {
  return { limit: q.limit, offset: q.cursor };
}
