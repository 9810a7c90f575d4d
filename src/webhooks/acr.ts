import { bad, ignoredEvent, obj, str } from './classify.ts';
import { distributionEvent } from './distribution.ts';
import type { WebhookParser } from './types.ts';

// Azure Container Registry: one distribution-shaped event per request ({id, action, target, request});
// actions push | delete | quarantine | chart_push | chart_delete (Azure's webhook reference). Only
// image push/delete act. Chart events carry no `request` block, so no registry host: they are
// acknowledged and ignored before anything that needs one is looked at.
const NOT_IMAGES = new Map([
  ['chart_push', 'helm chart (chart_push), not a container image'],
  ['chart_delete', 'helm chart (chart_delete), not a container image'],
  ['quarantine', 'quarantine notice, not a push'],
]);

export const parseAcr: WebhookParser = (body) => {
  if (!body || typeof body !== 'object' || Array.isArray(body)) throw bad('expected an ACR webhook event object');
  const action = str(body, 'action');
  const skip = action !== undefined ? NOT_IMAGES.get(action) : undefined;
  if (skip) {
    const target = obj(body, 'target');
    return [ignoredEvent({ registry: '', repository: str(target, 'repository') ?? '', ...(str(body, 'id') ? { deliveryId: str(body, 'id')! } : {}) }, skip)];
  }
  const e = distributionEvent(body);
  if (e.action === 'push' && e.mediaType?.includes('helm')) return [{ ...e, action: 'ignored', reason: 'helm chart' }];
  return [e];
};
