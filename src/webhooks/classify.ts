import { CustomsError } from '../errors.ts';
import { INDEX_TYPES, MANIFEST_TYPES, MT } from '../image/media-types.ts';
import { isValidRepository, isValidTag } from '../image/reference.ts';
import { isDigest } from '../util/digest.ts';
import type { RegistryEvent } from './event.ts';

// Shared rules every parser applies: what counts as an image push, what is one of Customs' own
// write-backs, and validation of the names a payload carries (they end up in registry URLs).

/** Tags Customs (and cosign) write back next to an image: never scanned. */
const WRITE_BACK_TAG = /^sha256-[0-9a-f]{64}(\.(sig|att|sbom|scan|[a-z]+))?$/;

export function isWriteBackTag(tag: string | undefined): boolean {
  return !!tag && WRITE_BACK_TAG.test(tag);
}

/**
 * The image a pushed signature is about: a cosign `sha256-<hex>.sig` tag, or a referrers fallback
 * index `sha256-<hex>` (cosign 3 and Notation update it on registries without the referrers API).
 */
export function signatureSubject(e: RegistryEvent): string | undefined {
  if (e.action !== 'ignored' || e.reason !== 'write-back tag' || !e.tag) return undefined;
  const m = /^sha256-([0-9a-f]{64})(\.sig)?$/.exec(e.tag);
  return m ? `sha256:${m[1]}` : undefined;
}

export function isImageManifestType(mediaType: string | undefined): boolean {
  return !!mediaType && (MANIFEST_TYPES.has(mediaType) || INDEX_TYPES.has(mediaType)
    || mediaType === MT.dockerSchema1 || mediaType === MT.dockerSchema1Signed);
}

/**
 * A push event, or an ignored one with the reason: `mediaType` undefined means the source does not
 * say (then it is treated as an image; the worker finds out). `configMediaType` (when known) shows
 * artifacts: an empty or non-image config is not a container image.
 */
export function pushEvent(base: Omit<RegistryEvent, 'action'>, configMediaType?: string): RegistryEvent {
  // A blob is never acted on, so its names are not judged (distribution's own docs show a blob
  // event with a 65-digit digest; it must not count as a malformed event).
  if (base.mediaType !== undefined && !isImageManifestType(base.mediaType)) return { ...base, action: 'ignored', reason: 'not a manifest (layer or artifact blob)' };
  const e = validated(base);
  if (isWriteBackTag(e.tag)) return { ...e, action: 'ignored', reason: 'write-back tag' };
  if (configMediaType !== undefined && configMediaType !== MT.ociConfig && configMediaType !== MT.dockerConfig) {
    return { ...e, action: 'ignored', reason: 'artifact (not an image config)' };
  }
  if (!e.digest && !e.tag) return { ...e, action: 'ignored', reason: 'neither digest nor tag' };
  return { ...e, action: 'push' };
}

export function deleteEvent(base: Omit<RegistryEvent, 'action'>): RegistryEvent {
  return { ...validated(base), action: 'delete' };
}

export function ignoredEvent(base: Omit<RegistryEvent, 'action'>, reason: string): RegistryEvent {
  return { ...base, action: 'ignored', reason };
}

export function invalidEvent(reason: string): RegistryEvent {
  return { action: 'invalid', registry: '', repository: '', reason };
}

function validated<T extends Omit<RegistryEvent, 'action'>>(raw: T): T {
  const e = digestInTag(raw);
  if (!e.registry || !/^[A-Za-z0-9.-]+(:[0-9]{1,5})?$/.test(e.registry)) throw bad(`registry host ${JSON.stringify(String(e.registry).slice(0, 100))} is not valid`);
  if (!isValidRepository(e.repository)) throw bad(`repository ${JSON.stringify(String(e.repository).slice(0, 200))} is not valid`);
  if (e.digest !== undefined && !isDigest(e.digest)) throw bad(`digest ${JSON.stringify(String(e.digest).slice(0, 100))} is not valid`);
  if (e.tag !== undefined && !isValidTag(e.tag)) throw bad(`tag ${JSON.stringify(String(e.tag).slice(0, 200))} is not valid`);
  return e;
}

/**
 * Harbor names an artifact pushed without a tag by its digest, in the `tag` field (its webhook
 * handler uses the digest as the reference; its docs show it). Such a "tag" is the digest: no tag.
 */
function digestInTag<T extends Omit<RegistryEvent, 'action'>>(e: T): T {
  if (e.tag === undefined || !isDigest(e.tag)) return e;
  if (e.digest !== undefined && e.digest !== e.tag) throw bad(`tag ${e.tag} and digest ${e.digest} name different images`);
  const { tag, ...rest } = e;
  return { ...rest, digest: tag } as T;
}

export function bad(message: string): CustomsError {
  return new CustomsError('usage', message);
}

/** A string field of an untrusted object, or undefined (never a non-string). */
export function str(o: unknown, key: string): string | undefined {
  if (!o || typeof o !== 'object') return undefined;
  const v = (o as Record<string, unknown>)[key];
  return typeof v === 'string' && v !== '' ? v : undefined;
}

export function obj(o: unknown, key: string): Record<string, unknown> | undefined {
  if (!o || typeof o !== 'object') return undefined;
  const v = (o as Record<string, unknown>)[key];
  return v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
}

/** Host of an http(s) URL or a bare host[:port]; undefined when it is neither. */
export function hostOf(s: string | undefined): string | undefined {
  if (!s) return undefined;
  try { return new URL(s.includes('://') ? s : `https://${s}`).host || undefined; } catch { return undefined; }
}

/** Harbor before 2.8 wrote an untagged artifact's resource_url as host/repo:sha256:<hex>. */
const COLON_DIGEST = /^(.+):((?:sha256|sha512):[0-9a-f]+)$/;

/** Split "host/repo/path:tag" or "host/repo@sha256:…" (Harbor resource_url, GAR references). */
export function splitImageUrl(s: string): { registry: string; repository: string; tag?: string; digest?: string } | undefined {
  const at = s.indexOf('@');
  const legacy = at < 0 ? COLON_DIGEST.exec(s) : null;
  const digest = at >= 0 ? s.slice(at + 1) : legacy?.[2];
  let rest = at >= 0 ? s.slice(0, at) : legacy ? legacy[1]! : s;
  let tag: string | undefined;
  const colon = rest.lastIndexOf(':');
  if (colon > rest.lastIndexOf('/')) { tag = rest.slice(colon + 1); rest = rest.slice(0, colon); }
  const slash = rest.indexOf('/');
  if (slash <= 0) return undefined;
  return { registry: rest.slice(0, slash), repository: rest.slice(slash + 1), ...(tag ? { tag } : {}), ...(digest ? { digest } : {}) };
}
