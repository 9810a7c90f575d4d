import type { RegistryEvent } from './event.ts';

/** What a parser sees besides the body. */
export interface ParseContext {
  header(name: string): string | undefined;
  /** webhooks.sources.<source>.registry, when configured (zot needs it: its payloads never name the host) */
  registry?: string;
}

/** One parser per source: a JSON body (already size- and depth-checked) to events. Throws
 *  CustomsError('usage') for a body that is not the source's format; a malformed event inside a
 *  well-formed delivery becomes an `invalid` event instead (see each-event.ts). Never throws
 *  anything else on untrusted input. */
export type WebhookParser = (body: unknown, ctx: ParseContext) => RegistryEvent[] | Promise<RegistryEvent[]>;

/** Most deliveries carry one or a few events; a cap keeps one request from queueing unbounded work. */
export const MAX_EVENTS_PER_DELIVERY = 1000;
