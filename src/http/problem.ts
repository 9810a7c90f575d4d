import type { Context } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import type { CustomsError } from '../errors.ts';

/** An RFC 9457 problem document. */
export function problem(c: Context, status: ContentfulStatusCode, title: string, detail?: string, extra: Record<string, unknown> = {}): Response {
  return c.body(JSON.stringify({ type: 'about:blank', title, status, ...(detail ? { detail } : {}), instance: c.req.path, ...extra }), status, {
    'content-type': 'application/problem+json',
  });
}

const TITLES: Record<number, string> = {
  400: 'Bad Request', 404: 'Not Found', 409: 'Conflict', 413: 'Content Too Large', 415: 'Unsupported Media Type',
  422: 'Unprocessable Content', 500: 'Internal Server Error', 502: 'Bad Gateway',
};

/** A CustomsError as a problem document: the status its kind maps to (CustomsError.httpStatus), its message as detail. */
export function customsProblem(c: Context, e: CustomsError): Response {
  const status = e.httpStatus as ContentfulStatusCode;
  return problem(c, status, TITLES[status] ?? 'Error', e.message);
}
