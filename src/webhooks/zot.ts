import { bad, deleteEvent, hostOf, ignoredEvent, obj, pushEvent, str } from './classify.ts';
import type { WebhookParser } from './types.ts';

// zot's CloudEvents extension: type zotregistry.image.updated | zotregistry.image.deleted |
// zotregistry.image.lint_failed | zotregistry.repository.created; data {name, reference, digest,
// mediaType, manifest}. Structured mode (JSON with specversion) or binary mode (ce-* headers).
// The registry host comes from the CloudEvent `source` (a URL or host) or webhooks.sources.zot.registry.
export const parseZot: WebhookParser = (body, ctx) => {
  const binary = !!ctx.header('ce-type');
  const type = binary ? ctx.header('ce-type') : str(body, 'type');
  const data = binary ? (body as Record<string, unknown>) : obj(body, 'data');
  const source = binary ? ctx.header('ce-source') : str(body, 'source');
  const id = binary ? ctx.header('ce-id') : str(body, 'id');
  if (!type || !data) throw bad('expected a CloudEvent (type and data)');
  const repository = str(data, 'name') ?? str(data, 'repository');
  if (!repository) throw bad('zot event without data.name');
  const reference = str(data, 'reference');
  const digest = str(data, 'digest') ?? (reference?.startsWith('sha256:') ? reference : undefined);
  const tag = reference && !reference.includes(':') ? reference : undefined;
  const base = {
    registry: hostOf(source) ?? '', repository,
    ...(digest ? { digest } : {}), ...(tag ? { tag } : {}),
    ...(str(data, 'mediaType') ? { mediaType: str(data, 'mediaType')! } : {}),
    ...(id ? { deliveryId: id } : {}),
  };
  if (type === 'zotregistry.image.updated') return [pushEvent(base)];
  if (type === 'zotregistry.image.deleted') return [deleteEvent(base)];
  return [ignoredEvent(base, `type ${type.slice(0, 60)}`)];
};
