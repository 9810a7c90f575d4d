import type { RegistryClient } from '../registry/client.ts';
import { descriptorsOf, digestTag, getOptionalManifest, type ArtifactDescriptor } from '../attest/oci-artifacts.ts';
import { BUNDLE_MEDIA_TYPE } from '../attest/publish-referrers.ts';
import type { ImageSubject } from '../attest/statements.ts';
import { parseUntrustedJson } from '../util/json.ts';

// Where an image's signatures are: cosign's legacy `sha256-<hex>.sig` tag, and referrers (the
// OCI referrers API, else the `sha256-<hex>` tag index): sigstore bundles and Notation signatures.

export const SIMPLE_SIGNING_TYPE = 'application/vnd.dev.cosign.simplesigning.v1+json';
export const NOTATION_TYPE = 'application/vnd.cncf.notary.signature';
const MAX_SIGNATURE_BLOB = 1024 * 1024;
/** signatures looked at per image (a registry may hold any number) */
const MAX_SIGNATURES = 64;

export interface LegacySignature {
  payload: Buffer;
  /** base64 signature annotation */
  signature: string;
  certificate?: string;
  /** cosign's `dev.sigstore.cosign/bundle` annotation: the Rekor entry with its signed timestamp */
  rekorBundle?: string;
  /** the layer digest, for reports */
  digest: string;
}
export interface FoundSignatures {
  legacy: LegacySignature[];
  bundles: { digest: string; bundle: unknown; created?: string }[];
  notation: ArtifactDescriptor[];
}

export async function discoverSignatures(client: RegistryClient, image: ImageSubject, maxManifestBytes: number): Promise<FoundSignatures> {
  const { registry, repository } = image;
  const found: FoundSignatures = { legacy: [], bundles: [], notation: [] };
  const sig = await getOptionalManifest(client, registry, repository, digestTag(image.digest, '.sig'), maxManifestBytes);
  if (sig) {
    for (const l of descriptorsOf(sig.bytes, 'layers', `${registry}/${repository} .sig`).slice(0, MAX_SIGNATURES)) {
      if (l.mediaType !== SIMPLE_SIGNING_TYPE || l.size > MAX_SIGNATURE_BLOB) continue;
      const signature = l.annotations?.['dev.cosignproject.cosign/signature'];
      if (!signature) continue;
      const cert = l.annotations?.['dev.sigstore.cosign/certificate'];
      const rekor = l.annotations?.['dev.sigstore.cosign/bundle'];
      found.legacy.push({ payload: await client.fetchBlob(registry, repository, l, MAX_SIGNATURE_BLOB), signature, digest: l.digest, ...(cert ? { certificate: cert } : {}), ...(rekor ? { rekorBundle: rekor } : {}) });
    }
  }
  const api = await client.referrers(registry, repository, image.digest, maxManifestBytes);
  const index = api ?? (await getOptionalManifest(client, registry, repository, digestTag(image.digest), maxManifestBytes))?.bytes;
  const referrers = index ? descriptorsOf(index, 'manifests', `${registry}/${repository}@${image.digest} referrers`) : [];
  for (const d of referrers.slice(0, MAX_SIGNATURES)) {
    if (d.artifactType === NOTATION_TYPE) { found.notation.push(d); continue; }
    if (d.artifactType !== BUNDLE_MEDIA_TYPE) continue;
    const m = await client.getManifest(registry, repository, d.digest, maxManifestBytes);
    const doc = parseUntrustedJson<any>(m.bytes, `referrer ${d.digest}`, 16);
    // the referrer must point at this image: an index entry alone proves nothing
    if (doc?.subject?.digest !== image.digest) continue;
    const layer = descriptorsOf(m.bytes, 'layers', `referrer ${d.digest}`).find((l) => l.mediaType === BUNDLE_MEDIA_TYPE && l.size <= MAX_SIGNATURE_BLOB);
    if (!layer) continue;
    const bundle = parseUntrustedJson(await client.fetchBlob(registry, repository, layer, MAX_SIGNATURE_BLOB), `bundle ${layer.digest}`, 32);
    const created = typeof doc?.annotations?.['org.opencontainers.image.created'] === 'string' ? doc.annotations['org.opencontainers.image.created'] : undefined;
    found.bundles.push({ digest: d.digest, bundle, ...(created ? { created } : {}) });
  }
  return found;
}
