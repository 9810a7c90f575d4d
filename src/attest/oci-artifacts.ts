import { CustomsError } from '../errors.ts';
import type { ManifestResult, RegistryClient } from '../registry/client.ts';
import { isDigest } from '../util/digest.ts';
import { parseUntrustedJson } from '../util/json.ts';

// Reading back the manifests and indexes Customs rewrites (`.att`, the referrers fallback index):
// they may have been written by anyone, so only well-formed descriptors are carried over.

export interface ArtifactDescriptor {
  mediaType: string;
  digest: string;
  size: number;
  artifactType?: string;
  annotations?: Record<string, string>;
}

/** Layer annotation marking what Customs wrote (it replaces only its own entries). */
export const CUSTOMS_MARK = 'dev.customs.attestation';

/** `sha256:<hex>` → `sha256-<hex>`, the tag-schema name cosign and the OCI referrers fallback use. */
export function digestTag(digest: string, suffix = ''): string {
  return `${digest.replace(':', '-')}${suffix}`;
}

/** The manifest under a tag, or undefined when the tag does not exist. */
export async function getOptionalManifest(client: RegistryClient, registry: string, repo: string, tag: string, maxBytes: number): Promise<ManifestResult | undefined> {
  try {
    return await client.getManifest(registry, repo, tag, maxBytes);
  } catch (e) {
    if (e instanceof CustomsError && e.kind === 'not-found') return undefined;
    throw e;
  }
}

/** The well-formed descriptors of `doc[field]` (layers of a manifest, manifests of an index). */
export function descriptorsOf(bytes: Buffer, field: 'layers' | 'manifests', what: string): ArtifactDescriptor[] {
  const doc = parseUntrustedJson<any>(bytes, what, 16);
  const list: unknown = doc?.[field];
  if (!Array.isArray(list)) throw new CustomsError('unsupported', `${what}: no ${field} array`);
  const out: ArtifactDescriptor[] = [];
  for (const d of list as any[]) {
    if (typeof d?.mediaType !== 'string' || typeof d?.digest !== 'string' || !isDigest(d.digest) || !Number.isSafeInteger(d?.size) || d.size < 0) continue;
    const annotations = d.annotations && typeof d.annotations === 'object' && !Array.isArray(d.annotations)
      ? Object.fromEntries(Object.entries(d.annotations).filter((e): e is [string, string] => typeof e[1] === 'string'))
      : undefined;
    out.push({
      mediaType: d.mediaType, digest: d.digest, size: d.size,
      ...(typeof d.artifactType === 'string' ? { artifactType: d.artifactType } : {}),
      ...(annotations ? { annotations } : {}),
    });
  }
  return out;
}

/** Entries to keep when Customs writes new ones for `replaced` predicate types: everyone else's, and its own of other types. */
export function keepOthers(list: ArtifactDescriptor[], predicateOf: (d: ArtifactDescriptor) => string | undefined, replaced: Set<string>, adding: Set<string>): ArtifactDescriptor[] {
  return list.filter((d) => !adding.has(d.digest) && !(d.annotations?.[CUSTOMS_MARK] === 'true' && replaced.has(predicateOf(d) ?? '')));
}
