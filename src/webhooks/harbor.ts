import { bad, deleteEvent, ignoredEvent, obj, pushEvent, splitImageUrl, str } from './classify.ts';
import { eachEvent } from './each-event.ts';
import type { RegistryEvent } from './event.ts';
import { MAX_EVENTS_PER_DELIVERY, type WebhookParser } from './types.ts';

// Harbor: the default format {type, occur_at, operator, event_data: {resources[], repository}} and
// the CloudEvents format (2.8+; structured {specversion, type: harbor.artifact.pushed, data}, or
// binary with ce-* headers and data as the body). Harbor 1.9/1.10 sent the same default shape with
// camel-case types (pushImage: resources carry digest, tag and resource_url, so they are scanned
// like PUSH_ARTIFACT). No media type is sent: the worker resolves it.

const PUSH = new Set(['PUSH_ARTIFACT', 'harbor.artifact.pushed', 'pushImage']);
const DELETE = new Set(['DELETE_ARTIFACT', 'harbor.artifact.deleted', 'deleteImage']);

export const parseHarbor: WebhookParser = (body, ctx) => {
  let type: string | undefined;
  let data: Record<string, unknown> | undefined;
  let id: string | undefined;
  if (ctx.header('ce-type')) { type = ctx.header('ce-type'); data = obj({ body }, 'body'); id = ctx.header('ce-id'); }
  else if (str(body, 'specversion')) { type = str(body, 'type'); data = obj(body, 'data'); id = str(body, 'id'); }
  else { type = str(body, 'type'); data = obj(body, 'event_data'); }
  if (!type || !data) throw bad('expected a Harbor webhook (type + event_data, or a CloudEvent with data)');
  const resources = Array.isArray(data.resources) ? data.resources : [];
  if (resources.length > MAX_EVENTS_PER_DELIVERY) throw bad('too many resources');
  // Scans, quotas, replication, charts, pulls: nothing to do, and their resources need not name an
  // image (quota events carry a bare digest), so they are not validated.
  const kind = type;
  if (!PUSH.has(kind) && !DELETE.has(kind)) {
    return Array.from({ length: Math.max(resources.length, 1) }, () => ignoredEvent({ registry: '', repository: '' }, `type ${kind.slice(0, 40)}`));
  }
  const repoFull = str(obj(data, 'repository'), 'repo_full_name');
  return eachEvent(resources, (r): RegistryEvent => {
    const url = str(r, 'resource_url');
    const parts = url ? splitImageUrl(url) : undefined;
    if (!parts) throw bad('resource without resource_url host/repository');
    const digest = str(r, 'digest') ?? parts.digest;
    const tag = str(r, 'tag') ?? parts.tag;
    const base = {
      registry: parts.registry, repository: repoFull ?? parts.repository,
      ...(digest ? { digest } : {}), ...(tag ? { tag } : {}), ...(id ? { deliveryId: id } : {}),
    };
    return PUSH.has(kind) ? pushEvent(base) : deleteEvent(base);
  });
};
