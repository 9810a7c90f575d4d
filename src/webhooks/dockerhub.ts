import { MT } from '../image/media-types.ts';
import { bad, ignoredEvent, isImageManifestType, obj, pushEvent, str } from './classify.ts';
import type { WebhookParser } from './types.ts';

// Docker Hub: {"push_data": {tag, pusher, pushed_at, media_type?}, "repository": {repo_name, namespace, name}}.
// No digest or signature: the tag is resolved to a digest when the job runs. Newer deliveries carry
// push_data.media_type (a manifest or index type for images; for other artifacts such as Helm
// charts, a non-image type): only image types, or none at all, are scanned.
const IMAGE_CONFIGS = new Set<string>([MT.ociConfig, MT.dockerConfig]);

export const parseDockerHub: WebhookParser = (body) => {
  const push = obj(body, 'push_data');
  const repo = obj(body, 'repository');
  const name = str(repo, 'repo_name') ?? (str(repo, 'namespace') && str(repo, 'name') ? `${str(repo, 'namespace')}/${str(repo, 'name')}` : undefined);
  if (!push || !name) throw bad('expected a Docker Hub webhook (push_data + repository.repo_name)');
  const base = { registry: 'docker.io', repository: name.includes('/') ? name : `library/${name}`, tag: str(push, 'tag') ?? 'latest' };
  const mediaType = str(push, 'media_type');
  if (mediaType === undefined || IMAGE_CONFIGS.has(mediaType)) return [pushEvent(base)];
  if (isImageManifestType(mediaType)) return [pushEvent({ ...base, mediaType })];
  return [ignoredEvent(base, `not a container image (media_type ${mediaType.slice(0, 80)})`)];
};
