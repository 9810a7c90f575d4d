import { bad, obj, pushEvent, str } from './classify.ts';
import type { WebhookParser } from './types.ts';

// Docker Hub: {"push_data": {tag, pusher, pushed_at}, "repository": {repo_name, namespace, name}}.
// No digest, media type or signature: the tag is resolved to a digest when the job runs.
export const parseDockerHub: WebhookParser = (body) => {
  const push = obj(body, 'push_data');
  const repo = obj(body, 'repository');
  const name = str(repo, 'repo_name') ?? (str(repo, 'namespace') && str(repo, 'name') ? `${str(repo, 'namespace')}/${str(repo, 'name')}` : undefined);
  if (!push || !name) throw bad('expected a Docker Hub webhook (push_data + repository.repo_name)');
  const tag = str(push, 'tag') ?? 'latest';
  return [pushEvent({ registry: 'docker.io', repository: name.includes('/') ? name : `library/${name}`, tag })];
};
