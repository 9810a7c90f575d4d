// What Customs does to an image in its registry when a verdict calls for it, and how it is undone:
//   move   copy to a quarantine repository (cross-repo blob mounts), then delete from the source;
//          release copies it back under exactly the tags it had
//   untag  remove the pushed tag where the registry can (ECR BatchDeleteImage); release re-tags
//   tag    add a status tag, e.g. 1.2 → 1.2-verified on pass
//   notify POST a Slack-compatible JSON message
// Every action reports what it did; a failing action never stops the others.
import type { TrustMaterial } from '@sigstore/verify';
import { request } from 'undici';
import { MT } from '../image/media-types.ts';
import { log } from '../log.ts';
import type { PolicyAction } from '../policy/schema.ts';
import type { RegistryClient } from '../registry/client.ts';
import { parseEcrHost } from '../registry/ecr.ts';
import { parseUntrustedJson } from '../util/json.ts';

const MAX_MANIFEST = 4 * 1024 * 1024;
const MAX_COPY_BLOB = 512 * 1024 * 1024;
const MAX_TAGS_CHECKED = 500;
const NOTIFY_TIMEOUT_MS = 5_000;

export interface ImageTarget {
  registry: string;
  repository: string;
  digest: string;
  /** the tag the push announced, when known */
  tag?: string;
}

export interface ActionRecord {
  type: PolicyAction['type'];
  ok: boolean;
  detail: string;
  /** what undoing needs: the repository moved to and the tags removed */
  undo?: { repository?: string; tags?: string[] };
}

export interface ActionContext {
  client: RegistryClient;
  /** ECR API endpoint override (tests, VPC endpoints) */
  ecrEndpoint?: string;
  /** record what would be done, change nothing in the registry (configuration policy.actions: false) */
  dryRun?: boolean;
  /** trusted root for keyless signatures (signing.trustedRoot), used by the policy's signature rule */
  trust?: TrustMaterial;
}

export async function runActions(ctx: ActionContext, actions: readonly PolicyAction[], image: ImageTarget, message: { verdict: string; summary: string; policy: string }): Promise<ActionRecord[]> {
  const out: ActionRecord[] = [];
  for (const a of actions) {
    try {
      if (ctx.dryRun && a.type !== 'gate') out.push({ type: a.type, ok: false, detail: `not run (policy.actions is false): would ${a.type}` });
      else out.push(await runOne(ctx, a, image, message));
    } catch (e) {
      out.push({ type: a.type, ok: false, detail: (e as Error)?.message ?? String(e) });
    }
    const r = out[out.length - 1]!;
    log[r.ok ? 'info' : 'warn']({ action: r.type, image: `${image.registry}/${image.repository}@${image.digest}`, ok: r.ok, detail: r.detail }, 'quarantine action');
  }
  return out;
}

async function runOne(ctx: ActionContext, a: PolicyAction, image: ImageTarget, message: { verdict: string; summary: string; policy: string }): Promise<ActionRecord> {
  switch (a.type) {
    case 'gate':
      return { type: 'gate', ok: true, detail: 'pulls through the gate are refused' };
    case 'move': {
      if (a.repository === image.repository) return { type: 'move', ok: false, detail: 'the quarantine repository is the image repository' };
      const tags = await tagsPointingAt(ctx.client, image);
      await copyImage(ctx.client, image.registry, image.repository, a.repository, image.digest, tags);
      await ctx.client.deleteManifest(image.registry, image.repository, image.digest);
      return { type: 'move', ok: true, detail: `moved to ${a.repository}${tags.length ? ` (tags ${tags.join(', ')})` : ''}`, undo: { repository: a.repository, tags } };
    }
    case 'untag': {
      if (!image.tag) return { type: 'untag', ok: false, detail: 'no tag known for this push' };
      if (!parseEcrHost(image.registry)) return { type: 'untag', ok: false, detail: `${image.registry} cannot remove a single tag (only Amazon ECR can); use move or gate` };
      await ecrDeleteTag(ctx, image.registry, image.repository, image.tag);
      return { type: 'untag', ok: true, detail: `tag ${image.tag} removed`, undo: { tags: [image.tag] } };
    }
    case 'tag': {
      if (!image.tag) return { type: 'tag', ok: false, detail: 'no tag known for this push' };
      const target = `${image.tag}-${a.suffix}`.slice(0, 128);
      const m = await fetchManifest(ctx.client, image.registry, image.repository, image.digest);
      await ctx.client.putManifest(image.registry, image.repository, target, m.bytes, m.mediaType);
      return { type: 'tag', ok: true, detail: `tagged ${target}`, undo: { tags: [target] } };
    }
    case 'notify': {
      const text = `Customs: ${image.registry}/${image.repository}${image.tag ? `:${image.tag}` : ''}@${image.digest.slice(0, 19)} is ${message.verdict} under policy ${message.policy}: ${message.summary}`;
      const res = await request(a.url, {
        method: 'POST', headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ text, verdict: message.verdict, policy: message.policy, image: { ...image } }),
        headersTimeout: NOTIFY_TIMEOUT_MS, bodyTimeout: NOTIFY_TIMEOUT_MS,
      });
      await res.body.dump();
      const where = new URL(a.url).host;
      return res.statusCode < 300 ? { type: 'notify', ok: true, detail: `notified ${where}` } : { type: 'notify', ok: false, detail: `${where} answered ${res.statusCode}` };
    }
  }
}

/** Undo the registry side of a quarantine (on release). */
export async function undoActions(ctx: ActionContext, records: readonly ActionRecord[], image: ImageTarget): Promise<ActionRecord[]> {
  const out: ActionRecord[] = [];
  for (const r of records) {
    if (!r.ok || !r.undo) continue;
    try {
      if (r.type === 'move' && r.undo.repository) {
        const tags = r.undo.tags ?? [];
        await copyImage(ctx.client, image.registry, r.undo.repository, image.repository, image.digest, tags);
        await ctx.client.deleteManifest(image.registry, r.undo.repository, image.digest);
        out.push({ type: 'move', ok: true, detail: `moved back to ${image.repository}${tags.length ? ` with tags ${tags.join(', ')}` : ''}` });
      } else if (r.type === 'untag' && r.undo.tags?.length) {
        const m = await fetchManifest(ctx.client, image.registry, image.repository, image.digest);
        for (const t of r.undo.tags) await ctx.client.putManifest(image.registry, image.repository, t, m.bytes, m.mediaType);
        out.push({ type: 'untag', ok: true, detail: `tag ${r.undo.tags.join(', ')} restored` });
      }
    } catch (e) {
      out.push({ type: r.type, ok: false, detail: `undo failed: ${(e as Error)?.message ?? e}` });
    }
  }
  return out;
}

/** Tags of the repository that point at the digest (bounded: big repositories are sampled). */
async function tagsPointingAt(client: RegistryClient, image: ImageTarget): Promise<string[]> {
  const all = await client.listTags(image.registry, image.repository);
  const candidates = image.tag ? [image.tag, ...all.filter((t) => t !== image.tag)] : all;
  const out: string[] = [];
  for (const t of candidates.slice(0, MAX_TAGS_CHECKED)) {
    try {
      if (await client.headManifest(image.registry, image.repository, t) === image.digest) out.push(t);
    } catch { /* a tag deleted meanwhile */ }
  }
  return out;
}

/**
 * Copy a manifest (and, for an index, its child manifests) with all blobs from one repository to
 * another of the same registry: blobs by cross-repository mount, uploaded when the registry
 * declines to mount. The manifest is put by digest and under each tag.
 */
async function copyImage(client: RegistryClient, registry: string, from: string, to: string, digest: string, tags: string[], depth = 0): Promise<void> {
  if (depth > 2) throw new Error('index nesting too deep to copy');
  const m = await fetchManifest(client, registry, from, digest);
  const doc = m.doc;
  const isIndex = m.mediaType === MT.ociIndex || m.mediaType === MT.dockerManifestList || Array.isArray(doc?.manifests);
  if (isIndex) {
    for (const child of (doc.manifests ?? []) as { digest: string }[]) await copyImage(client, registry, from, to, child.digest, [], depth + 1);
  } else {
    const blobs = [doc?.config, ...(Array.isArray(doc?.layers) ? doc.layers : [])].filter((d) => d && typeof d.digest === 'string') as { digest: string; size: number; mediaType: string }[];
    for (const b of blobs) {
      if (await client.blobExists(registry, to, b.digest)) continue;
      if (await client.mountBlob(registry, to, b.digest, from)) continue;
      if (b.size > MAX_COPY_BLOB) throw new Error(`blob ${b.digest} (${b.size} bytes) could not be mounted and is too large to copy`);
      const data = await client.fetchBlob(registry, from, { mediaType: b.mediaType, digest: b.digest, size: b.size }, MAX_COPY_BLOB);
      await client.pushBlob(registry, to, data, b.digest);
    }
  }
  await client.putManifest(registry, to, digest, m.bytes, m.mediaType);
  for (const t of tags) await client.putManifest(registry, to, t, m.bytes, m.mediaType);
}

/** A manifest with its media type (from the document, else the Content-Type the registry sent). */
async function fetchManifest(client: RegistryClient, registry: string, repo: string, digest: string): Promise<{ bytes: Buffer; mediaType: string; doc: any }> {
  const m = await client.getManifest(registry, repo, digest, MAX_MANIFEST);
  const doc = parseUntrustedJson<any>(m.bytes, `manifest ${digest}`, 32);
  const mediaType = typeof doc?.mediaType === 'string' ? doc.mediaType : m.contentType?.split(';')[0]?.trim() || MT.ociManifest;
  return { bytes: m.bytes, mediaType, doc };
}

async function ecrDeleteTag(ctx: ActionContext, host: string, repository: string, tag: string): Promise<void> {
  const parsed = parseEcrHost(host)!;
  const { ECRClient, BatchDeleteImageCommand } = await import('@aws-sdk/client-ecr');
  const endpoint = ctx.ecrEndpoint ?? process.env.AWS_ENDPOINT_URL_ECR ?? process.env.AWS_ENDPOINT_URL;
  const client = new ECRClient({ region: parsed.region, ...(endpoint ? { endpoint } : {}), maxAttempts: 3 });
  try {
    const out = await client.send(new BatchDeleteImageCommand({ registryId: parsed.accountId, repositoryName: repository, imageIds: [{ imageTag: tag }] }));
    const failure = out.failures?.[0];
    if (failure) throw new Error(`ECR refused to delete tag ${tag}: ${failure.failureCode ?? ''} ${failure.failureReason ?? ''}`.trim());
  } finally {
    client.destroy();
  }
}
