import { MT } from '../image/media-types.ts';
import type { RegistryClient } from '../registry/client.ts';
import { KeyedLock } from '../util/keyed-lock.ts';
import { CUSTOMS_MARK, descriptorsOf, digestTag, getOptionalManifest, keepOthers, type ArtifactDescriptor } from './oci-artifacts.ts';
import type { ImageSubject } from './statements.ts';

// cosign's legacy attestation layout: tag `sha256-<hex>.att`, an OCI manifest whose layers are DSSE
// envelopes (sigstore/cosign specs/ATTESTATION_SPEC.md). Adding one is a read-modify-write of that
// manifest, serialised per image so concurrent scans never drop each other's layers.

export const DSSE_LAYER_TYPE = 'application/vnd.dsse.envelope.v1+json';
export const COSIGN_SIGNATURE_ANNOTATION = 'dev.cosignproject.cosign/signature';

export interface SignedAttestation {
  predicateType: string;
  /** the DSSE envelope JSON */
  envelope: Buffer;
}

const lock = new KeyedLock();

/** Write the envelopes into the image's `.att` manifest; returns that manifest's digest. */
export function publishLegacy(client: RegistryClient, image: ImageSubject, atts: SignedAttestation[], maxManifestBytes: number): Promise<string> {
  const tag = digestTag(image.digest, '.att');
  return lock.run(`${image.registry}/${image.repository}:${tag}`, async () => {
    const current = await getOptionalManifest(client, image.registry, image.repository, tag, maxManifestBytes);
    const previous = current ? descriptorsOf(current.bytes, 'layers', `${image.registry}/${image.repository}:${tag}`) : [];
    const added: ArtifactDescriptor[] = await Promise.all(atts.map(async (a) => ({
      // a freshly signed envelope is never in the registry yet: no existence probe
      mediaType: DSSE_LAYER_TYPE, ...(await client.pushBlob(image.registry, image.repository, a.envelope, undefined, { probe: false })),
      annotations: { predicateType: a.predicateType, [COSIGN_SIGNATURE_ANNOTATION]: '', [CUSTOMS_MARK]: 'true' },
    })));
    const layers = [
      ...keepOthers(previous, (d) => d.annotations?.predicateType, new Set(atts.map((a) => a.predicateType)), new Set(added.map((d) => d.digest))),
      ...added,
    ];
    // the config cosign writes: an image config whose rootfs lists the layers
    const config = Buffer.from(JSON.stringify({ architecture: '', os: '', config: {}, rootfs: { type: 'layers', diff_ids: layers.map((l) => l.digest) } }));
    const cfg = await client.pushBlob(image.registry, image.repository, config, undefined, { probe: false });
    const manifest = Buffer.from(JSON.stringify({
      schemaVersion: 2, mediaType: MT.ociManifest,
      config: { mediaType: MT.ociConfig, ...cfg },
      layers,
    }));
    return client.putManifest(image.registry, image.repository, tag, manifest, MT.ociManifest);
  });
}
