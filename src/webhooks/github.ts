import { bad, obj, pushEvent, splitImageUrl, str } from './classify.ts';
import type { WebhookParser } from './types.ts';

// GitHub Packages: X-GitHub-Event registry_package | package, action published | updated. The
// digest is in package_version.container_metadata.manifest.digest (or package_version.name), the tag
// in container_metadata.tag.name; the image in package_version.package_url ("ghcr.io/org/app:tag").
// The X-Hub-Signature-256 HMAC is checked by the route before this parser runs.
export const parseGithub: WebhookParser = (body, ctx) => {
  const event = ctx.header('x-github-event');
  const delivery = ctx.header('x-github-delivery');
  const pkg = obj(body, 'registry_package') ?? obj(body, 'package');
  if (event === 'ping') return [];
  if (!pkg) throw bad('expected a registry_package or package event');
  const action = str(body, 'action');
  const version = obj(pkg, 'package_version');
  const meta = obj(version, 'container_metadata');
  const type = (str(pkg, 'package_type') ?? str(pkg, 'ecosystem') ?? '').toLowerCase();
  const fromUrl = str(version, 'package_url') ? splitImageUrl(str(version, 'package_url')!) : undefined;
  const owner = str(obj(pkg, 'owner'), 'login') ?? str(pkg, 'namespace');
  const repository = (fromUrl?.repository ?? (owner && str(pkg, 'name') ? `${owner}/${str(pkg, 'name')}` : undefined))?.toLowerCase();
  if (!repository) throw bad('package event without package_url or owner/name');
  const digest = str(obj(meta, 'manifest'), 'digest') ?? str(obj(meta, 'tag'), 'digest')
    ?? (str(version, 'name')?.startsWith('sha256:') ? str(version, 'name') : undefined);
  const tag = str(obj(meta, 'tag'), 'name') ?? fromUrl?.tag;
  const base = {
    registry: fromUrl?.registry ?? 'ghcr.io', repository,
    ...(digest ? { digest } : {}), ...(tag ? { tag } : {}),
    ...(str(obj(meta, 'manifest'), 'media_type') ? { mediaType: str(obj(meta, 'manifest'), 'media_type')! } : {}),
    ...(delivery ? { deliveryId: delivery } : {}),
  };
  if (type && type !== 'container' && type !== 'docker') return [{ ...base, action: 'ignored', reason: `package type ${type.slice(0, 20)}` }];
  if (action !== 'published' && action !== 'updated') return [{ ...base, action: 'ignored', reason: `action ${String(action).slice(0, 20)}` }];
  return [pushEvent(base)];
};
