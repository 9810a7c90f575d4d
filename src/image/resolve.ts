import { CustomsError } from '../errors.ts';
import type { Limits } from '../config/schema.ts';
import type { Descriptor, Platform, ResolvedImage } from '../types.ts';
import { formatPlatform, isAttestationChild, parseImageConfig, parseManifest, platformMatches } from './manifest.ts';

/** What a store of manifests and blobs must offer for resolution (registry, OCI layout, archive). */
export interface ManifestStore {
  readonly name: string;
  /** fetch a manifest by tag or digest; bytes verified against the digest when one is known */
  fetchManifest(ref: string, maxBytes: number): Promise<{ bytes: Buffer; contentType?: string; digest: string }>;
  /** fetch a small blob (image config) fully, verified against its digest */
  fetchSmallBlob(desc: Descriptor, maxBytes: number): Promise<Buffer>;
}

/**
 * Resolve a tag or digest to one image per platform. Indexes are followed (nested ones too, up to a
 * small depth); attestation children are skipped; an index that points back at itself or is too
 * deep is refused.
 */
export async function resolveImages(store: ManifestStore, ref: string, limits: Limits, platform?: Platform): Promise<ResolvedImage[]> {
  const out: ResolvedImage[] = [];
  const done = new Set<string>();
  let fetched = 0;

  /** `ancestors`: the indexes on the way here (a child among them is a cycle; one listed twice is not) */
  async function visit(refOrDigest: string, rootDigest: string | undefined, depth: number, ancestors: ReadonlySet<string>, declared?: Platform): Promise<void> {
    if (depth > 4) throw new CustomsError('limit', `${store.name}: index nesting deeper than 4 levels`);
    if (++fetched > limits.maxManifestsPerImage) throw new CustomsError('limit', `${store.name}: more than ${limits.maxManifestsPerImage} manifests (limits.maxManifestsPerImage)`);
    const m = await store.fetchManifest(refOrDigest, limits.maxManifestBytes);
    if (ancestors.has(m.digest)) throw new CustomsError('corrupt', `${store.name}: index refers back to ${m.digest} (a cycle)`);
    const root = rootDigest ?? m.digest;
    const doc = parseManifest(m.bytes, m.contentType, `${store.name}@${m.digest}`, limits.maxJsonDepth);
    if (doc.kind === 'index') {
      const children = doc.manifests.filter((d) => !isAttestationChild(d));
      const chosen = platform ? children.filter((d) => !d.platform || platformMatches(platform, d.platform)) : children;
      // every listed entry counts, repeats too: an index listing one manifest 10,000 times is over the cap
      if (fetched + chosen.length > limits.maxManifestsPerImage) {
        throw new CustomsError('limit', `${store.name}@${m.digest}: index lists ${chosen.length} manifests, more than limits.maxManifestsPerImage (${limits.maxManifestsPerImage})`);
      }
      const path = new Set(ancestors).add(m.digest);
      for (const child of chosen) {
        if (path.has(child.digest)) throw new CustomsError('corrupt', `${store.name}: index refers back to ${child.digest} (a cycle)`);
        // the same manifest for the same platform listed again is the same image
        const key = `${child.digest} ${child.platform ? formatPlatform(child.platform) : ''}`;
        if (done.has(key)) continue;
        done.add(key);
        await visit(child.digest, root, depth + 1, path, child.platform);
      }
      return;
    }
    const cfgBytes = await store.fetchSmallBlob(doc.config, limits.maxConfigBytes);
    const config = parseImageConfig(cfgBytes, `${store.name}: config ${doc.config.digest}`, limits.maxJsonDepth);
    const plat: Platform = declared ?? {
      os: config.os ?? 'unknown', architecture: config.architecture ?? 'unknown',
      ...(config.variant ? { variant: config.variant } : {}),
    };
    if (platform && !platformMatches(platform, plat)) return;
    // A manifest whose config is not an image config (an artifact: signature, SBOM, ...) is not an image.
    if (doc.config.mediaType && !/container\.image\.v1\+json|image\.config\.v1\+json/.test(doc.config.mediaType)) return;
    out.push({
      rootDigest: root, manifestDigest: m.digest, manifestMediaType: doc.mediaType, platform: plat,
      config, configDigest: doc.config.digest, layers: doc.layers,
    });
  }

  await visit(ref, undefined, 0, new Set());
  if (out.length === 0) {
    throw new CustomsError('not-found', platform
      ? `${store.name}: no image for platform ${formatPlatform(platform)}`
      : `${store.name}: no runnable image found (only attestations or artifacts)`);
  }
  return out;
}
