import { isCustomsError } from '../errors.ts';
import { bad, invalidEvent } from './classify.ts';
import type { RegistryEvent } from './event.ts';

// Deliveries that carry several events (distribution's envelope, Harbor's resources, Quay's tags)
// are judged event by event: one malformed event must not refuse the valid push beside it, above
// all because distribution retries a refused delivery forever (its queue holds it until a 2xx).

/** Parse each item on its own; an item that is not the source's format becomes an invalid event. */
export function eachEvent<T>(items: readonly T[], parse: (item: T) => RegistryEvent): RegistryEvent[] {
  return items.map((item) => {
    try {
      return parse(item);
    } catch (e) {
      if (isCustomsError(e) && e.kind === 'usage') return invalidEvent(e.message);
      throw e;
    }
  });
}

/** A delivery in which nothing is the source's format is refused whole (400), with the first reason. */
export function refuseIfNoneValid(events: readonly RegistryEvent[]): void {
  const invalid = events.filter((e) => e.action === 'invalid');
  if (!events.length || invalid.length < events.length) return;
  const more = invalid.length > 1 ? ` (and ${invalid.length - 1} more invalid event${invalid.length > 2 ? 's' : ''})` : '';
  throw bad(`${invalid[0]!.reason}${more}`);
}
