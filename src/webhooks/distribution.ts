import { MAX_EVENTS_PER_DELIVERY, type WebhookParser } from './types.ts';
import { bad, deleteEvent, hostOf, ignoredEvent, obj, pushEvent, str } from './classify.ts';
import type { RegistryEvent } from './event.ts';
import { INDEX_TYPES } from '../image/media-types.ts';
import { eachEvent } from './each-event.ts';

// CNCF distribution (docker registry 2.8 and 3.x): {"events":[…]} (2.8 may batch; 3.x sends one
// per request; a bare event object is accepted too). Azure Container Registry sends the same shape.

export const parseDistribution: WebhookParser = (body) => {
  const list = Array.isArray(obj({ b: body }, 'b')?.events) ? (body as { events: unknown[] }).events
    : body && typeof body === 'object' && !Array.isArray(body) && 'action' in body ? [body] : undefined;
  if (!list) throw bad('expected {"events":[…]} (CNCF distribution notification envelope)');
  if (list.length > MAX_EVENTS_PER_DELIVERY) throw bad(`more than ${MAX_EVENTS_PER_DELIVERY} events in one delivery`);
  return eachEvent(list, distributionEvent);
};

export function distributionEvent(raw: unknown): RegistryEvent {
  const target = obj(raw, 'target');
  const action = str(raw, 'action');
  if (!target || !action) throw bad('event without action or target');
  const request = obj(raw, 'request');
  const registry = hostOf(str(request, 'host')) ?? hostOf(str(target, 'url'));
  const repository = str(target, 'repository');
  if (!registry || !repository) throw bad('event without target.repository or a registry host (request.host / target.url)');
  const base = {
    registry, repository,
    ...(str(target, 'digest') ? { digest: str(target, 'digest')! } : {}),
    ...(str(target, 'tag') ? { tag: str(target, 'tag')! } : {}),
    ...(str(target, 'mediaType') ? { mediaType: str(target, 'mediaType')! } : {}),
    ...(str(raw, 'id') ? { deliveryId: str(raw, 'id')! } : {}),
  };
  switch (action) {
    case 'push': {
      // With includereferences, a manifest lists its config first: an artifact shows by its config type.
      const refs = Array.isArray(target.references) ? target.references : [];
      const configType = base.mediaType && !INDEX_TYPES.has(base.mediaType) ? str(refs[0], 'mediaType') : undefined;
      return pushEvent(base, configType);
    }
    case 'delete': return deleteEvent(base);
    default: return ignoredEvent(base, action === 'pull' || action === 'mount' ? action : `action ${action.slice(0, 40)}`);
  }
}
