import { isDigest } from '../util/digest.ts';
import { bad, obj, pushEvent, splitImageUrl, str } from './classify.ts';
import type { RegistryEvent } from './event.ts';
import type { WebhookParser } from './types.ts';

// GitHub Packages: X-GitHub-Event `package` (repository/organization webhooks) or `registry_package`
// (GitHub Apps), each with action `published` or `updated` — the only two GitHub documents. The
// digest is in package_version.container_metadata.manifest.digest (or tag.digest, or the version's
// name: GHCR names container versions by digest), the tag in container_metadata.tag.name, the image
// in package_version.package_url ("ghcr.io/org/app:tag"). GitHub sends one event per manifest of a
// multi-platform push. The X-Hub-Signature-256 HMAC is checked by the route before this parser runs.

const PACKAGE_EVENTS = new Set(['package', 'registry_package']);
const ACTIONS = new Set(['published', 'updated']);

export const parseGithub: WebhookParser = (body, ctx) => {
  const event = ctx.header('x-github-event');
  if (event === 'ping') return [];
  // A webhook subscribed to more than packages (a `create` of a branch or tag, a `push`...) is
  // misconfigured: say so, rather than acknowledging events that can never start a scan.
  if (event !== undefined && !PACKAGE_EVENTS.has(event)) throw bad(`X-GitHub-Event ${event.slice(0, 40)} is not a package event: subscribe this webhook to "Packages" only`);
  const pkg = obj(body, 'registry_package') ?? obj(body, 'package');
  if (!pkg) throw bad('expected a registry_package or package event');
  const action = str(body, 'action');
  if (!action || !ACTIONS.has(action)) throw bad(`package action ${JSON.stringify(String(action ?? '').slice(0, 40))} is not one GitHub sends (published, updated)`);
  const version = obj(pkg, 'package_version');
  const meta = obj(version, 'container_metadata');
  const manifest = obj(meta, 'manifest');
  const fromUrl = str(version, 'package_url') ? splitImageUrl(str(version, 'package_url')!) : undefined;
  const owner = str(obj(pkg, 'owner'), 'login') ?? str(pkg, 'namespace');
  const repository = (fromUrl?.repository ?? (owner && str(pkg, 'name') ? `${owner}/${str(pkg, 'name')}` : undefined))?.toLowerCase();
  if (!repository) throw bad('package event without package_url or owner/name');
  const tag = str(obj(meta, 'tag'), 'name') ?? fromUrl?.tag;
  const delivery = ctx.header('x-github-delivery');
  const base = {
    registry: fromUrl?.registry ?? 'ghcr.io', repository,
    ...(digestOf(version, meta) ? { digest: digestOf(version, meta)! } : {}), ...(tag ? { tag } : {}),
    ...(str(manifest, 'media_type') ? { mediaType: str(manifest, 'media_type')! } : {}),
    ...(delivery ? { deliveryId: delivery } : {}),
  };
  if (!isContainer(pkg, manifest)) return [{ ...base, action: 'ignored', reason: `package type ${(str(pkg, 'package_type') ?? str(pkg, 'ecosystem') ?? '?').slice(0, 20)}` } satisfies RegistryEvent];
  return [pushEvent(base)];
};

/** The first well-formed digest GitHub gives (its own docs example carries a truncated manifest digest). */
function digestOf(version: Record<string, unknown> | undefined, meta: Record<string, unknown> | undefined): string | undefined {
  const candidates = [str(obj(meta, 'manifest'), 'digest'), str(obj(meta, 'tag'), 'digest'), str(version, 'name'), str(version, 'version')];
  return candidates.find((d) => d !== undefined && isDigest(d)) ?? candidates.find((d) => d?.startsWith('sha256:'));
}

/** CONTAINER (ghcr.io) or docker (docker.pkg.github.com) packages, or any version with a manifest. */
function isContainer(pkg: Record<string, unknown>, manifest: Record<string, unknown> | undefined): boolean {
  const types = [str(pkg, 'package_type'), str(pkg, 'ecosystem')].map((t) => t?.toLowerCase());
  return types.some((t) => t === 'container' || t === 'docker') || manifest !== undefined || types.every((t) => t === undefined);
}
