import { bad, hostOf, pushEvent, str } from './classify.ts';
import { eachEvent } from './each-event.ts';
import { MAX_EVENTS_PER_DELIVERY, type WebhookParser } from './types.ts';

// Quay repo_push: {repository: "ns/repo", docker_url: "quay.io/ns/repo", updated_tags: [...]}:
// one push per updated tag, resolved to a digest when the job runs. Older Quay (docs.quay.io)
// sent updated_tags as a map of tag → image id; its keys are the tags.
export const parseQuay: WebhookParser = (body) => {
  const repository = str(body, 'repository');
  const registry = hostOf(str(body, 'docker_url'));
  const raw = (body as { updated_tags?: unknown } | null)?.updated_tags;
  const tags: unknown[] | undefined = Array.isArray(raw) ? raw : raw && typeof raw === 'object' ? Object.keys(raw) : undefined;
  if (!repository || !registry || !tags) throw bad('expected a Quay repo_push notification (repository, docker_url, updated_tags)');
  if (tags.length > MAX_EVENTS_PER_DELIVERY) throw bad('too many updated_tags');
  return eachEvent(tags, (tag) => {
    if (typeof tag !== 'string') throw bad(`updated_tags holds a ${tag === null ? 'null' : typeof tag}, not a tag name`);
    return pushEvent({ registry, repository, tag });
  });
};
