// oci:DIR[:TAG] — an OCI image layout on disk. The same layout logic serves oci-archive: through a
// different file backend (members of a tar). Every blob is verified against its digest.
import { createReadStream, promises as fsp } from 'node:fs';
import * as nodePath from 'node:path';
import type { Readable } from 'node:stream';
import { CustomsError, isCustomsError } from '../errors.ts';
import type { Limits } from '../config/schema.ts';
import type { Descriptor, ImageSource, Platform, ResolvedImage } from '../types.ts';
import { DigestVerifier, digestOf, isDigest, verifyBuffer } from '../util/digest.ts';
import { parseUntrustedJson } from '../util/json.ts';
import { resolveImages, type ManifestStore } from './resolve.ts';

export const REF_NAME = 'org.opencontainers.image.ref.name';
const CONTAINERD_NAME = 'io.containerd.image.name';
/** pseudo reference for "the layout's index.json itself, as an image index" */
const INDEX_JSON_REF = 'index.json';

/** Files of a layout, relative to its root ("index.json", "blobs/sha256/<hex>"). */
export interface LayoutFiles {
  /** make sure the container of the files exists (an archive: 'not-found' "archive not found: PATH") */
  open?(): Promise<void>;
  /** read a whole file; missing → 'not-found'; larger than maxBytes → 'limit' */
  readFile(rel: string, maxBytes: number, what: string): Promise<Buffer>;
  /** open a file as a stream; missing → 'not-found' (thrown, not emitted) */
  openFile(rel: string, what: string): Promise<Readable>;
}

/** Pipe `src` through a DigestVerifier; errors of `src` surface on the returned stream. */
export function verifiedStream(src: Readable, desc: Descriptor, what: string): DigestVerifier {
  const v = new DigestVerifier(desc.digest, desc.size, what);
  src.on('error', (e: any) => {
    v.destroy(isCustomsError(e) ? e : new CustomsError('corrupt', `${what}: read failed: ${e?.message ?? e}`, { cause: e }));
  });
  v.on('close', () => { if (!src.destroyed) src.destroy(); });
  src.pipe(v);
  return v;
}

export function blobPath(digest: string): string {
  if (!isDigest(digest)) throw new CustomsError('corrupt', `invalid digest ${JSON.stringify(digest.slice(0, 100))}`);
  const [alg, hex] = digest.split(':') as [string, string];
  return `blobs/${alg}/${hex}`;
}

/** Files in a directory; a relative path can never leave it. */
export class DirFiles implements LayoutFiles {
  readonly dir: string;
  constructor(dir: string) { this.dir = nodePath.resolve(dir); }
  async open(): Promise<void> {
    let st;
    try { st = await fsp.stat(this.dir); } catch (e: any) { throw notFound(e, `OCI layout not found: ${this.dir}`); }
    if (!st.isDirectory()) throw new CustomsError('usage', `oci:${this.dir} is not a directory (for a tar of a layout use oci-archive:)`);
  }
  private abs(rel: string): string {
    const p = nodePath.resolve(this.dir, rel);
    if (p !== this.dir && !p.startsWith(this.dir + nodePath.sep)) throw new CustomsError('corrupt', `path ${JSON.stringify(rel.slice(0, 200))} escapes ${this.dir}`);
    return p;
  }
  async readFile(rel: string, maxBytes: number, what: string): Promise<Buffer> {
    const p = this.abs(rel);
    let fh: fsp.FileHandle;
    try { fh = await fsp.open(p, 'r'); } catch (e: any) { throw notFound(e, `${what}: ${rel} not found in ${this.dir}`); }
    try {
      const st = await fh.stat();
      if (!st.isFile()) throw new CustomsError('corrupt', `${what}: ${rel} is not a regular file`);
      if (st.size > maxBytes) throw new CustomsError('limit', `${what}: ${rel} is ${st.size} bytes, above the ${maxBytes}-byte cap`);
      const buf = Buffer.alloc(st.size);
      const { bytesRead } = await fh.read(buf, 0, st.size, 0);
      return bytesRead === st.size ? buf : buf.subarray(0, bytesRead);
    } finally {
      await fh.close();
    }
  }
  async openFile(rel: string, what: string): Promise<Readable> {
    const p = this.abs(rel);
    try {
      const st = await fsp.stat(p);
      if (!st.isFile()) throw new CustomsError('corrupt', `${what}: ${rel} is not a regular file`);
    } catch (e: any) {
      throw isCustomsError(e) ? e : notFound(e, `${what}: ${rel} not found in ${this.dir}`);
    }
    return createReadStream(p, { highWaterMark: 64 * 1024 });
  }
}

function notFound(e: any, msg: string): CustomsError {
  if (e?.code === 'ENOENT' || e?.code === 'ENOTDIR') return new CustomsError('not-found', msg);
  return new CustomsError('usage', `${msg} (${e?.message ?? e})`, { cause: e });
}

interface IndexJson { manifests: Descriptor[] }

/**
 * An OCI layout as an ImageSource and ManifestStore. `tag` selects the index.json entry whose
 * org.opencontainers.image.ref.name annotation equals it; without a tag, a layout with exactly one
 * entry means that entry, and a layout whose entries carry no names is read as one multi-platform index.
 */
export class OciLayoutSource implements ImageSource, ManifestStore {
  readonly name: string;
  private readonly files: LayoutFiles;
  private readonly tag: string | undefined;
  private readonly limits: Limits;
  private indexBytes: Buffer | undefined;

  constructor(name: string, files: LayoutFiles, tag: string | undefined, limits: Limits) {
    this.name = name; this.files = files; this.tag = tag; this.limits = limits;
  }

  private async readIndex(): Promise<{ bytes: Buffer; doc: IndexJson }> {
    if (!this.indexBytes) {
      await this.files.open?.();
      try {
        this.indexBytes = await this.files.readFile('index.json', this.limits.maxManifestBytes, this.name);
      } catch (e) {
        if (isCustomsError(e) && e.kind === 'not-found') throw new CustomsError('not-found', `${this.name}: not an OCI layout (index.json missing)`);
        throw e;
      }
    }
    const doc = parseUntrustedJson<any>(this.indexBytes, `${this.name}: index.json`, this.limits.maxJsonDepth);
    if (!doc || typeof doc !== 'object' || !Array.isArray(doc.manifests)) throw new CustomsError('corrupt', `${this.name}: index.json has no "manifests" array`);
    const manifests = (doc.manifests as any[]).filter((d) => d && typeof d === 'object' && typeof d.digest === 'string' && isDigest(d.digest) && typeof d.size === 'number');
    return { bytes: this.indexBytes, doc: { manifests } };
  }

  /** The reference handed to resolveImages: a digest from index.json, or the index.json itself. */
  private async rootRef(): Promise<string> {
    const { doc } = await this.readIndex();
    const ms = doc.manifests;
    if (this.tag !== undefined) {
      const exact = ms.filter((d) => d.annotations?.[REF_NAME] === this.tag);
      const loose = exact.length ? exact : ms.filter((d) => {
        const n = d.annotations?.[REF_NAME] ?? d.annotations?.[CONTAINERD_NAME];
        return typeof n === 'string' && n.endsWith(`:${this.tag}`) && !n.slice(0, -this.tag!.length - 1).includes('@');
      });
      if (loose.length === 0) {
        throw new CustomsError('not-found', `${this.name}: no image tagged "${this.tag}" (tags: ${tagsOf(ms) || 'none'})`);
      }
      const digests = new Set(loose.map((d) => d.digest));
      if (digests.size > 1) throw new CustomsError('usage', `${this.name}: tag "${this.tag}" names ${digests.size} different manifests`);
      return loose[0]!.digest;
    }
    if (ms.length === 0) throw new CustomsError('not-found', `${this.name}: the layout holds no images`);
    if (ms.length === 1) return ms[0]!.digest;
    if (ms.some((d) => d.annotations?.[REF_NAME])) {
      throw new CustomsError('usage', `${this.name}: the layout holds ${ms.length} images; name one with :TAG (tags: ${tagsOf(ms)})`);
    }
    return INDEX_JSON_REF;
  }

  async fetchManifest(ref: string, maxBytes: number): Promise<{ bytes: Buffer; contentType?: string; digest: string }> {
    if (ref === INDEX_JSON_REF) {
      const { bytes } = await this.readIndex();
      return { bytes, digest: digestOf(bytes) };
    }
    if (!isDigest(ref)) throw new CustomsError('usage', `${this.name}: manifest reference "${ref.slice(0, 100)}" is not a digest`);
    const what = `${this.name}: manifest ${ref}`;
    const bytes = await this.files.readFile(blobPath(ref), maxBytes, what);
    verifyBuffer(bytes, ref, what);
    const desc = this.indexBytes ? (await this.readIndex()).doc.manifests.find((d) => d.digest === ref) : undefined;
    return { bytes, digest: ref, ...(desc?.mediaType ? { contentType: desc.mediaType } : {}) };
  }

  async fetchSmallBlob(desc: Descriptor, maxBytes: number): Promise<Buffer> {
    const what = `${this.name}: blob ${desc.digest}`;
    if (desc.size > maxBytes) throw new CustomsError('limit', `${what}: ${desc.size} bytes, above the ${maxBytes}-byte cap`);
    const bytes = await this.files.readFile(blobPath(desc.digest), maxBytes, what);
    if (bytes.length !== desc.size) throw new CustomsError('digest-mismatch', `${what}: ${bytes.length} bytes, descriptor says ${desc.size}`);
    verifyBuffer(bytes, desc.digest, what);
    return bytes;
  }

  async openBlob(desc: Descriptor): Promise<Readable> {
    const what = `${this.name}: blob ${desc.digest}`;
    const src = await this.files.openFile(blobPath(desc.digest), what);
    return verifiedStream(src, desc, what);
  }

  async resolve(opts?: { platform?: Platform }): Promise<ResolvedImage[]> {
    return resolveImages(this, await this.rootRef(), this.limits, opts?.platform);
  }
}

function tagsOf(ms: Descriptor[]): string {
  return [...new Set(ms.map((d) => d.annotations?.[REF_NAME]).filter((x): x is string => !!x))].slice(0, 20).join(', ');
}

/** oci:DIR[:TAG] */
export function openOciLayout(dir: string, tag: string | undefined, limits: Limits): OciLayoutSource {
  return new OciLayoutSource(`oci:${dir}${tag ? `:${tag}` : ''}`, new DirFiles(dir), tag, limits);
}
