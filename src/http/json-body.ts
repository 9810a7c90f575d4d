import type { Context } from 'hono';
import { isCustomsError } from '../errors.ts';
import { parseUntrustedJson } from '../util/json.ts';
import { readBodyCapped } from '../util/read-capped.ts';
import { problem } from './problem.ts';

/**
 * A request's JSON body read under a byte cap and parsed under a depth cap, or the problem to answer:
 * 413 over the cap (`setting` names the knob), 400 when it is not JSON. Other failures propagate.
 */
export async function jsonBody(c: Context, opts: { maxBytes: number; maxDepth: number; what: string; setting?: string; emptyAs?: unknown }): Promise<{ value: unknown } | Response> {
  let raw: Buffer;
  try {
    raw = await readBodyCapped(c.req.raw, opts.maxBytes);
  } catch (e) {
    if (!isCustomsError(e)) throw e;
    return problem(c, 413, 'Content Too Large', `body larger than ${opts.maxBytes} bytes${opts.setting ? ` (${opts.setting})` : ''}`);
  }
  // an empty body stands for `emptyAs` where the route allows one (e.g. a release without options)
  if (opts.emptyAs !== undefined && !raw.toString('utf8').trim()) return { value: opts.emptyAs };
  try {
    return { value: parseUntrustedJson(raw, opts.what, opts.maxDepth) };
  } catch (e) {
    if (!isCustomsError(e)) throw e;
    return problem(c, 400, 'Bad Request', e.message);
  }
}
