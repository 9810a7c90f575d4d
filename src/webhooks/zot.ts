import { parseUntrustedJson } from '../util/json.ts';
import { bad, deleteEvent, ignoredEvent, obj, pushEvent, str } from './classify.ts';
import type { WebhookParser } from './types.ts';

// zot's events extension (pkg/extensions/events): CloudEvents of type zotregistry.image.updated |
// zotregistry.image.deleted | zotregistry.image.lint_failed | zotregistry.image.scanned |
// zotregistry.repository.created, data {name, reference, digest, mediaType, manifest, actor?,
// request?}, sent in binary mode (ce-* headers, data as the body); structured mode is read too.
// zot sets the CloudEvent source to the constant "zotregistry.dev", never its own address, so the
// host to scan from is webhooks.sources.zot.registry — required by the configuration, never guessed.
export const parseZot: WebhookParser = (body, ctx) => {
  const registry = ctx.registry;
  if (!registry) throw bad('webhooks.sources.zot.registry is not configured');
  const binary = !!ctx.header('ce-type');
  const type = binary ? ctx.header('ce-type') : str(body, 'type');
  const data = binary ? obj({ body }, 'body') : obj(body, 'data');
  const id = binary ? ctx.header('ce-id') : str(body, 'id');
  if (!type || !data) throw bad('expected a CloudEvent (type and data)');
  const repository = str(data, 'name') ?? str(data, 'repository');
  if (!repository) throw bad('zot event without data.name');
  const reference = str(data, 'reference');
  const digest = str(data, 'digest') ?? (reference?.startsWith('sha256:') ? reference : undefined);
  const tag = reference && !reference.includes(':') ? reference : undefined;
  const base = {
    registry, repository,
    ...(digest ? { digest } : {}), ...(tag ? { tag } : {}),
    ...(str(data, 'mediaType') ? { mediaType: str(data, 'mediaType')! } : {}),
    ...(id ? { deliveryId: id } : {}),
  };
  if (type === 'zotregistry.image.updated') return [pushEvent(base, configMediaType(str(data, 'manifest')))];
  if (type === 'zotregistry.image.deleted') return [deleteEvent(base)];
  return [ignoredEvent(base, `type ${type.slice(0, 60)}`)];
};

/** zot sends the manifest itself (as a string): its config media type tells an artifact from an image. */
function configMediaType(manifest: string | undefined): string | undefined {
  if (!manifest) return undefined;
  try {
    return str(obj(parseUntrustedJson(Buffer.from(manifest), 'zot manifest', 16), 'config'), 'mediaType');
  } catch {
    return undefined; // an unreadable copy only loses the hint; the worker reads the real manifest
  }
}
