import type { Readable } from 'node:stream';
import type { Limits } from '../config/schema.ts';
import { CustomsError } from '../errors.ts';
import { log } from '../log.ts';
import type { RegistryClient } from './client.ts';
import type { Descriptor, ImageRef, ImageSource, Platform, ResolvedImage } from '../types.ts';
import { formatReference } from '../image/reference.ts';
import { resolveImages, type ManifestStore } from '../image/resolve.ts';

type RegistryRef = Extract<ImageRef, { kind: 'registry' }>;

/**
 * An image in a registry. Resolution goes through resolveImages (shared with local layouts); this
 * class only fetches. When a reference has both a tag and a digest the digest wins (the tag is
 * informational, as in docker).
 *
 * Foreign / non-distributable layers (descriptors with `urls`): the registry is asked for the blob
 * like any other; Customs never fetches from the descriptor's urls (arbitrary hosts chosen by the
 * image author). If the registry does not have it, openBlob throws 'unsupported' so the caller can
 * skip the layer with a warning.
 */
export class RemoteSource implements ImageSource, ManifestStore {
  readonly name: string;
  private readonly client: RegistryClient;
  private readonly ref: RegistryRef;
  private readonly limits: Limits;

  constructor(client: RegistryClient, ref: RegistryRef, limits: Limits) {
    this.client = client;
    this.ref = ref;
    this.limits = limits;
    this.name = formatReference(ref);
  }

  fetchManifest(ref: string, maxBytes: number): Promise<{ bytes: Buffer; contentType?: string; digest: string }> {
    // RegistryClient.getManifest verifies the bytes when `ref` is a digest.
    return this.client.getManifest(this.ref.registry, this.ref.repository, ref, maxBytes);
  }

  fetchSmallBlob(desc: Descriptor, maxBytes: number): Promise<Buffer> {
    return this.client.fetchBlob(this.ref.registry, this.ref.repository, desc, maxBytes);
  }

  resolve(opts: { platform?: Platform } = {}): Promise<ResolvedImage[]> {
    const start = this.ref.digest ?? this.ref.tag ?? 'latest';
    return resolveImages(this, start, this.limits, opts.platform);
  }

  async openBlob(desc: Descriptor): Promise<Readable> {
    try {
      return await this.client.openBlob(this.ref.registry, this.ref.repository, desc);
    } catch (e) {
      if (desc.urls?.length && e instanceof CustomsError && e.kind === 'not-found') {
        log.warn({ image: this.name, layer: desc.digest }, 'foreign layer not in the registry; not fetching it from its external URLs');
        throw new CustomsError('unsupported', `${this.name}: foreign layer ${desc.digest} is only available from external URLs, which Customs does not fetch`, { cause: e });
      }
      throw e;
    }
  }
}
