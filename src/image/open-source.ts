import { CustomsError } from '../errors.ts';
import type { Limits } from '../config/schema.ts';
import type { ImageRef, ImageSource } from '../types.ts';
import { DockerArchiveSource } from './docker-archive.ts';
import { openOciArchive } from './oci-archive.ts';
import { openOciLayout } from './oci-layout.ts';
import { DirectorySource } from './directory-source.ts';
import { DockerDaemonSource } from './docker-daemon.ts';

/** Open a local image source: oci:DIR[:TAG], oci-archive:FILE[:TAG], docker-archive:FILE, rootfs:DIR, fs:DIR, docker-daemon:IMAGE. */
export function openLocalSource(ref: ImageRef, limits: Limits, opts: { signal?: AbortSignal } = {}): ImageSource {
  switch (ref.kind) {
    case 'oci': return openOciLayout(ref.path, ref.tag, limits);
    case 'oci-archive': return openOciArchive(ref.path, ref.tag, limits);
    case 'docker-archive': return new DockerArchiveSource(ref.path, limits);
    case 'rootfs': case 'fs': return new DirectorySource(ref.kind, ref.path, limits);
    case 'docker-daemon': return new DockerDaemonSource(ref.name, limits, opts);
    default: throw new CustomsError('internal', `openLocalSource: ${ref.original} is not a local reference`);
  }
}
