import { bad, deleteEvent, ignoredEvent, obj, pushEvent, splitImageUrl, str } from './classify.ts';
import { parseUntrustedJson } from '../util/json.ts';
import type { WebhookParser } from './types.ts';

// Google Artifact Registry via a Pub/Sub push subscription: {"message": {"data": base64(JSON),
// "messageId"}, "subscription"}; data = {"action": "INSERT"|"DELETE", "digest": "host/p/r/img@sha256:…",
// "tag": "host/p/r/img:1.1"} with full references, either possibly missing.
export const parseGar: WebhookParser = (body) => {
  const message = obj(body, 'message');
  const data64 = str(message, 'data');
  if (!data64) throw bad('expected a Pub/Sub push envelope with message.data');
  const data = parseUntrustedJson(Buffer.from(data64, 'base64'), 'Pub/Sub message data', 16);
  const action = str(data, 'action');
  const byDigest = str(data, 'digest') ? splitImageUrl(str(data, 'digest')!) : undefined;
  const byTag = str(data, 'tag') ? splitImageUrl(str(data, 'tag')!) : undefined;
  const where = byDigest ?? byTag;
  if (!action || !where) throw bad('Artifact Registry message without action or digest/tag reference');
  const base = {
    registry: where.registry, repository: where.repository,
    ...(byDigest?.digest ? { digest: byDigest.digest } : {}),
    ...(byTag?.tag ? { tag: byTag.tag } : {}),
    ...(str(message, 'messageId') ? { deliveryId: str(message, 'messageId')! } : {}),
  };
  if (action === 'INSERT') return [pushEvent(base)];
  if (action === 'DELETE') return [deleteEvent(base)];
  return [ignoredEvent(base, `action ${action.slice(0, 40)}`)];
};
