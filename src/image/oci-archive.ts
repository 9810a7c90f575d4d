// oci-archive:FILE[:TAG] — a tar of an OCI layout. The tar is indexed once (headers only) and blobs
// are served as byte ranges of the file: nothing is extracted.
import type { Readable } from 'node:stream';
import { CustomsError } from '../errors.ts';
import type { Limits } from '../config/schema.ts';
import { OciLayoutSource, type LayoutFiles } from './oci-layout.ts';
import { TarFileIndex } from './tar-index.ts';

/** Layout files served from members of an uncompressed tar. The index is built on first use. */
export class TarLayoutFiles implements LayoutFiles {
  readonly archive: string;
  private index: Promise<TarFileIndex> | undefined;
  constructor(archive: string) { this.archive = archive; }
  async open(): Promise<void> { await this.tar(); }
  tar(): Promise<TarFileIndex> {
    this.index ??= TarFileIndex.open(this.archive);
    return this.index;
  }
  async readFile(rel: string, maxBytes: number, what: string): Promise<Buffer> {
    const t = await this.tar();
    const m = t.get(rel);
    if (!m) throw new CustomsError('not-found', `${what}: ${rel} not found in archive ${this.archive}`);
    return t.read(m, maxBytes, what);
  }
  async openFile(rel: string, what: string): Promise<Readable> {
    const t = await this.tar();
    const m = t.get(rel);
    if (!m) throw new CustomsError('not-found', `${what}: ${rel} not found in archive ${this.archive}`);
    return t.open(m);
  }
}

/** oci-archive:FILE[:TAG] */
export function openOciArchive(file: string, tag: string | undefined, limits: Limits): OciLayoutSource {
  return new OciLayoutSource(`oci-archive:${file}${tag ? `:${tag}` : ''}`, new TarLayoutFiles(file), tag, limits);
}
