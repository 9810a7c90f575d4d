import { bad } from './classify.ts';
import { distributionEvent } from './distribution.ts';
import type { WebhookParser } from './types.ts';

// Azure Container Registry: one distribution-shaped event per request ({id, action, target, request});
// actions push | delete | quarantine | chart_push | chart_delete — only image push/delete act.
export const parseAcr: WebhookParser = (body) => {
  if (!body || typeof body !== 'object' || Array.isArray(body)) throw bad('expected an ACR webhook event object');
  const e = distributionEvent(body);
  if (e.action === 'push' && e.mediaType?.includes('helm')) return [{ ...e, action: 'ignored', reason: 'helm chart' }];
  return [e];
};
