import { MT } from '../image/media-types.ts';
import type { RegistryClient } from '../registry/client.ts';
import { digestOf } from '../util/digest.ts';
import { KeyedLock } from '../util/keyed-lock.ts';
import { CUSTOMS_MARK, descriptorsOf, digestTag, getOptionalManifest, keepOthers, type ArtifactDescriptor } from './oci-artifacts.ts';
import type { ImageSubject } from './statements.ts';

// cosign 3 / sigstore layout: one OCI manifest per attestation, `subject` = the image, one layer
// holding a sigstore bundle v0.3. Registries with the referrers API index it themselves (they answer
// the push with OCI-Subject); for the others the OCI 1.1 tag-schema fallback applies: an index
// under tag `sha256-<hex>` listing the referrers, which also keeps them reachable for GC.

export const BUNDLE_MEDIA_TYPE = 'application/vnd.dev.sigstore.bundle.v0.3+json';
export const BUNDLE_PREDICATE_ANNOTATION = 'dev.sigstore.bundle.predicateType';

export interface BundleAttestation {
  predicateType: string;
  /** the bundle JSON */
  bundle: Buffer;
}

export interface ReferrersResult {
  /** referrer manifest digests, in the order given */
  manifests: string[];
  /** digest of the fallback index when the registry has no referrers API */
  fallbackIndex?: string;
}

const lock = new KeyedLock();

/** The image manifest a referrer points at (`subject`): its media type and size. */
export interface SubjectDescriptor { mediaType: string; size: number }

export async function publishReferrers(client: RegistryClient, image: ImageSubject, atts: BundleAttestation[], created: string, maxManifestBytes: number, known?: SubjectDescriptor): Promise<ReferrersResult> {
  const subject = known ?? await subjectOf(client, image, maxManifestBytes);
  const empty = await client.pushBlob(image.registry, image.repository, Buffer.from('{}'));
  const pushed = await Promise.all(atts.map(async (a) => {
    const layer = await client.pushBlob(image.registry, image.repository, a.bundle, undefined, { probe: false }); // fresh signature: not there yet
    const annotations = {
      'dev.sigstore.bundle.content': 'dsse-envelope', [BUNDLE_PREDICATE_ANNOTATION]: a.predicateType,
      'org.opencontainers.image.created': created, [CUSTOMS_MARK]: 'true',
    };
    const bytes = Buffer.from(JSON.stringify({
      schemaVersion: 2, mediaType: MT.ociManifest, artifactType: BUNDLE_MEDIA_TYPE,
      config: { mediaType: MT.ociEmpty, ...empty },
      layers: [{ mediaType: BUNDLE_MEDIA_TYPE, ...layer }],
      subject: { mediaType: subject.mediaType, digest: image.digest, size: subject.size },
      annotations,
    }));
    const put = await client.putManifestDetailed(image.registry, image.repository, digestOf(bytes), bytes, MT.ociManifest);
    const descriptor: ArtifactDescriptor = { mediaType: MT.ociManifest, digest: put.digest, size: bytes.length, artifactType: BUNDLE_MEDIA_TYPE, annotations };
    return { descriptor, indexed: put.subject === image.digest };
  }));
  const descriptors = pushed.map((p) => p.descriptor);
  // a registry with the referrers API answers every push with OCI-Subject
  const referrersApi = pushed.every((p) => p.indexed);
  const manifests = descriptors.map((d) => d.digest);
  if (referrersApi) return { manifests };
  return { manifests, fallbackIndex: await updateFallbackIndex(client, image, descriptors, maxManifestBytes) };
}

/** Fetch the image manifest to describe it as a referrer's subject (throws not-found when it is gone). */
export async function subjectOf(client: RegistryClient, image: ImageSubject, maxManifestBytes: number): Promise<SubjectDescriptor> {
  const m = await client.getManifest(image.registry, image.repository, image.digest, maxManifestBytes);
  return { mediaType: m.contentType ?? MT.ociManifest, size: m.bytes.length };
}

/** Read, de-duplicate, append, push back (serialised per image): the referrers tag schema. */
function updateFallbackIndex(client: RegistryClient, image: ImageSubject, added: ArtifactDescriptor[], maxManifestBytes: number): Promise<string> {
  const tag = digestTag(image.digest);
  return lock.run(`${image.registry}/${image.repository}:${tag}`, async () => {
    const current = await getOptionalManifest(client, image.registry, image.repository, tag, maxManifestBytes);
    const previous = current ? descriptorsOf(current.bytes, 'manifests', `${image.registry}/${image.repository}:${tag}`) : [];
    const replaced = new Set(added.map((d) => d.annotations?.[BUNDLE_PREDICATE_ANNOTATION] ?? ''));
    const manifests = [...keepOthers(previous, (d) => d.annotations?.[BUNDLE_PREDICATE_ANNOTATION], replaced, new Set(added.map((d) => d.digest))), ...added];
    const bytes = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: MT.ociIndex, manifests }));
    return client.putManifest(image.registry, image.repository, tag, bytes, MT.ociIndex);
  });
}
