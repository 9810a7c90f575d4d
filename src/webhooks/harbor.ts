import { bad, deleteEvent, ignoredEvent, obj, pushEvent, splitImageUrl, str } from './classify.ts';
import type { RegistryEvent } from './event.ts';
import { MAX_EVENTS_PER_DELIVERY, type WebhookParser } from './types.ts';

// Harbor 2.x: the default format {type: PUSH_ARTIFACT, event_data: {resources[], repository}} and the
// CloudEvents format (2.8+; structured {specversion, type: harbor.artifact.pushed, data} or binary
// with ce-* headers and data as the body). No media type is sent: the worker resolves it.

const PUSH = new Set(['PUSH_ARTIFACT', 'harbor.artifact.pushed']);
const DELETE = new Set(['DELETE_ARTIFACT', 'harbor.artifact.deleted']);

export const parseHarbor: WebhookParser = (body, ctx) => {
  let type: string | undefined;
  let data: Record<string, unknown> | undefined;
  let id: string | undefined;
  if (ctx.header('ce-type')) { type = ctx.header('ce-type'); data = body as Record<string, unknown>; id = ctx.header('ce-id'); }
  else if (str(body, 'specversion')) { type = str(body, 'type'); data = obj(body, 'data'); id = str(body, 'id'); }
  else { type = str(body, 'type'); data = obj(body, 'event_data'); }
  if (!type || !data || typeof data !== 'object') throw bad('expected a Harbor webhook (type + event_data, or a CloudEvent with data)');
  const resources = Array.isArray(data.resources) ? data.resources : [];
  if (resources.length > MAX_EVENTS_PER_DELIVERY) throw bad('too many resources');
  const repoFull = str(obj(data, 'repository'), 'repo_full_name');
  return resources.map((r): RegistryEvent => {
    const url = str(r, 'resource_url');
    const parts = url ? splitImageUrl(url) : undefined;
    if (!parts) throw bad('resource without resource_url host/repository');
    const base = {
      registry: parts.registry, repository: repoFull ?? parts.repository,
      ...(str(r, 'digest') ?? parts.digest ? { digest: (str(r, 'digest') ?? parts.digest)! } : {}),
      ...(str(r, 'tag') ?? parts.tag ? { tag: (str(r, 'tag') ?? parts.tag)! } : {}),
      ...(id ? { deliveryId: id } : {}),
    };
    if (PUSH.has(type!)) return pushEvent(base);
    if (DELETE.has(type!)) return deleteEvent(base);
    return ignoredEvent(base, `type ${type!.slice(0, 40)}`);
  });
};
