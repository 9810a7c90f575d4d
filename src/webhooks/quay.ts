import { bad, hostOf, pushEvent, str } from './classify.ts';
import { MAX_EVENTS_PER_DELIVERY, type WebhookParser } from './types.ts';

// Quay repo_push: {repository: "ns/repo", docker_url: "quay.io/ns/repo", updated_tags: [...]}:
// one push per updated tag, resolved to a digest when the job runs.
export const parseQuay: WebhookParser = (body) => {
  const repository = str(body, 'repository');
  const registry = hostOf(str(body, 'docker_url'));
  const tags = (body as { updated_tags?: unknown } | null)?.updated_tags;
  if (!repository || !registry || !Array.isArray(tags)) throw bad('expected a Quay repo_push notification (repository, docker_url, updated_tags)');
  if (tags.length > MAX_EVENTS_PER_DELIVERY) throw bad('too many updated_tags');
  return tags.filter((t): t is string => typeof t === 'string').map((tag) => pushEvent({ registry, repository, tag }));
};
