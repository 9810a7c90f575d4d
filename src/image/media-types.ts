export const MT = {
  dockerManifest: 'application/vnd.docker.distribution.manifest.v2+json',
  dockerManifestList: 'application/vnd.docker.distribution.manifest.list.v2+json',
  ociManifest: 'application/vnd.oci.image.manifest.v1+json',
  ociIndex: 'application/vnd.oci.image.index.v1+json',
  dockerConfig: 'application/vnd.docker.container.image.v1+json',
  ociConfig: 'application/vnd.oci.image.config.v1+json',
  ociEmpty: 'application/vnd.oci.empty.v1+json',
  dockerSchema1: 'application/vnd.docker.distribution.manifest.v1+json',
  dockerSchema1Signed: 'application/vnd.docker.distribution.manifest.v1+prettyjws',
} as const;

/** Accept header for manifest GETs: every type Customs understands. */
export const MANIFEST_ACCEPT = [MT.ociIndex, MT.dockerManifestList, MT.ociManifest, MT.dockerManifest].join(', ');

export const INDEX_TYPES = new Set<string>([MT.ociIndex, MT.dockerManifestList]);
export const MANIFEST_TYPES = new Set<string>([MT.ociManifest, MT.dockerManifest]);

export type LayerCompression = 'gzip' | 'zstd' | 'none';

/** Layer media types Customs can read, and how they are compressed. Anything else is 'unsupported'. */
export function layerCompression(mediaType: string): LayerCompression | undefined {
  switch (mediaType) {
    case 'application/vnd.oci.image.layer.v1.tar':
    case 'application/vnd.oci.image.layer.nondistributable.v1.tar':
    case 'application/vnd.docker.image.rootfs.foreign.diff.tar':
      return 'none';
    case 'application/vnd.oci.image.layer.v1.tar+gzip':
    case 'application/vnd.oci.image.layer.nondistributable.v1.tar+gzip':
    case 'application/vnd.docker.image.rootfs.diff.tar.gzip':
    case 'application/vnd.docker.image.rootfs.foreign.diff.tar.gzip':
      return 'gzip';
    case 'application/vnd.oci.image.layer.v1.tar+zstd':
    case 'application/vnd.oci.image.layer.nondistributable.v1.tar+zstd':
      return 'zstd';
    default:
      return undefined;
  }
}

/**
 * Whether Customs may try a layer whose media type it does not know: yes for one that only says it
 * is a tar (or says nothing) — the magic bytes tell gzip/zstd apart —, no for anything else and for
 * a tar compressed with something else (`tar+bzip2`, `tar.xz`): those are 'unsupported', not corrupt.
 */
export function mayBeTarLayer(mediaType: string): boolean {
  if (mediaType === '') return true;
  const m = /\btar((?:[+.][a-z0-9-]+)*)/i.exec(mediaType);
  return !!m && /^(|[+.](gzip|gz|zstd|zst))$/i.test(m[1]!); // "+gzip+encrypted" (ocicrypt) is not readable either
}
