// docker-archive:FILE — the `docker save` format (also what `skopeo copy ... docker-archive:` writes):
// manifest.json [{Config, RepoTags, Layers}], config and layers as members (layers usually
// uncompressed tars; skopeo names them <sha256>.tar, old docker <id>/layer.tar, docker 25+
// blobs/sha256/<hex>). An OCI manifest is synthesised; layer digests are the sha256 of the members.
import type { Readable } from 'node:stream';
import { createHash } from 'node:crypto';
import { CustomsError } from '../errors.ts';
import type { Limits } from '../config/schema.ts';
import type { Descriptor, ImageSource, Platform, ResolvedImage } from '../types.ts';
import { digestOf, isDigest, verifyBuffer } from '../util/digest.ts';
import { parseUntrustedJson } from '../util/json.ts';
import { sniffCompression } from './decompress.ts';
import { MT } from './media-types.ts';
import { verifiedStream } from './oci-layout.ts';
import { resolveImages, type ManifestStore } from './resolve.ts';
import { TarFileIndex, type TarMember } from './tar-index.ts';

const LAYER_MT = {
  none: 'application/vnd.oci.image.layer.v1.tar',
  gzip: 'application/vnd.oci.image.layer.v1.tar+gzip',
  zstd: 'application/vnd.oci.image.layer.v1.tar+zstd',
} as const;

interface Loaded {
  tar: TarFileIndex;
  manifest: Buffer;
  manifestDigest: string;
  blobs: Map<string, TarMember>;
  repoTags: string[];
}

async function hashMember(tar: TarFileIndex, m: TarMember): Promise<string> {
  const h = createHash('sha256');
  for await (const chunk of tar.open(m)) h.update(chunk as Buffer);
  return `sha256:${h.digest('hex')}`;
}

export class DockerArchiveSource implements ImageSource, ManifestStore {
  readonly name: string;
  readonly path: string;
  private readonly limits: Limits;
  private loaded: Promise<Loaded> | undefined;

  constructor(path: string, limits: Limits) {
    this.path = path; this.limits = limits; this.name = `docker-archive:${path}`;
  }

  private load(): Promise<Loaded> {
    this.loaded ??= this.doLoad();
    return this.loaded;
  }

  private async doLoad(): Promise<Loaded> {
    const tar = await TarFileIndex.open(this.path);
    const mm = tar.get('manifest.json');
    if (!mm) throw new CustomsError('corrupt', `${this.name}: no manifest.json (not a docker save archive)`);
    const doc = parseUntrustedJson<any>(await tar.read(mm, this.limits.maxManifestBytes, `${this.name}: manifest.json`), `${this.name}: manifest.json`, this.limits.maxJsonDepth);
    if (!Array.isArray(doc) || doc.length === 0) throw new CustomsError('corrupt', `${this.name}: manifest.json is not a non-empty array`);
    if (doc.length > 1) {
      const tags = doc.flatMap((e: any) => (Array.isArray(e?.RepoTags) ? e.RepoTags : [])).slice(0, 20).join(', ');
      throw new CustomsError('usage', `${this.name}: the archive holds ${doc.length} images (${tags}); save one image per archive`);
    }
    const entry = doc[0];
    if (!entry || typeof entry.Config !== 'string' || !Array.isArray(entry.Layers) || !entry.Layers.every((l: unknown) => typeof l === 'string')) {
      throw new CustomsError('corrupt', `${this.name}: manifest.json entry lacks Config or Layers`);
    }
    const blobs = new Map<string, TarMember>();
    const member = (rel: string, what: string): TarMember => {
      const m = tar.get(rel);
      if (!m) throw new CustomsError('corrupt', `${this.name}: ${what} ${JSON.stringify(rel.slice(0, 200))} missing from the archive`);
      return m;
    };
    // a member named blobs/sha256/<hex> is content-addressed already (verified when read);
    // anything else is hashed once here
    const digestFor = async (rel: string, m: TarMember): Promise<string> => {
      const named = /^(?:\.\/)?blobs\/(sha256|sha512)\/([a-f0-9]+)$/.exec(rel);
      if (named && isDigest(`${named[1]}:${named[2]}`)) return `${named[1]}:${named[2]}`;
      return hashMember(tar, m);
    };

    const cfgMember = member(entry.Config, 'config');
    const cfgBytes = await tar.read(cfgMember, this.limits.maxConfigBytes, `${this.name}: config`);
    const cfgDigest = digestOf(cfgBytes);
    blobs.set(cfgDigest, cfgMember);
    const layers: Descriptor[] = [];
    for (const rel of entry.Layers as string[]) {
      const m = member(rel, 'layer');
      const digest = await digestFor(rel, m);
      const kind = sniffCompression(await tar.head(m, 4)) ?? 'none';
      blobs.set(digest, m);
      layers.push({ mediaType: LAYER_MT[kind], digest, size: m.size });
    }
    const manifest = Buffer.from(JSON.stringify({
      schemaVersion: 2,
      mediaType: MT.ociManifest,
      config: { mediaType: MT.ociConfig, digest: cfgDigest, size: cfgBytes.length },
      layers,
    }));
    const repoTags = Array.isArray(entry.RepoTags) ? entry.RepoTags.filter((t: unknown) => typeof t === 'string') : [];
    return { tar, manifest, manifestDigest: digestOf(manifest), blobs, repoTags };
  }

  /** RepoTags recorded in the archive (for messages) */
  async repoTags(): Promise<string[]> { return (await this.load()).repoTags; }

  async fetchManifest(ref: string, maxBytes: number): Promise<{ bytes: Buffer; contentType?: string; digest: string }> {
    const l = await this.load();
    if (ref !== l.manifestDigest) throw new CustomsError('not-found', `${this.name}: no manifest ${ref.slice(0, 100)}`);
    if (l.manifest.length > maxBytes) throw new CustomsError('limit', `${this.name}: manifest above ${maxBytes} bytes`);
    return { bytes: l.manifest, contentType: MT.ociManifest, digest: l.manifestDigest };
  }

  async fetchSmallBlob(desc: Descriptor, maxBytes: number): Promise<Buffer> {
    const l = await this.load();
    const what = `${this.name}: blob ${desc.digest}`;
    const m = l.blobs.get(desc.digest);
    if (!m) throw new CustomsError('not-found', `${what} not in the archive`);
    const bytes = await l.tar.read(m, maxBytes, what);
    verifyBuffer(bytes, desc.digest, what);
    return bytes;
  }

  async openBlob(desc: Descriptor): Promise<Readable> {
    const l = await this.load();
    const what = `${this.name}: blob ${desc.digest}`;
    const m = l.blobs.get(desc.digest);
    if (!m) throw new CustomsError('not-found', `${what} not in the archive`);
    return verifiedStream(l.tar.open(m), desc, what);
  }

  async resolve(opts?: { platform?: Platform }): Promise<ResolvedImage[]> {
    const l = await this.load();
    return resolveImages(this, l.manifestDigest, this.limits, opts?.platform);
  }
}
