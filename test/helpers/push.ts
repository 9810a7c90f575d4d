// Push test images to a registry with Customs' own RegistryClient.
//
//   const img = await pushImage(client, reg.host, 'lab/app', 'v1', {
//     layers: [{ data: gzippedTar }],                       // mediaType defaults to tar+gzip
//     config: { architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [...] } },
//   });
//   await pushIndex(client, reg.host, 'lab/app', 'multi', [img.descriptor(platform), ...]);
import type { RegistryClient } from '../../src/registry/client.ts';
import { MT } from '../../src/image/media-types.ts';
import type { Descriptor, Platform } from '../../src/types.ts';
import { digestOf } from '../../src/util/digest.ts';
import { gzip, makeTar, type TarEntry } from './tar.ts';

export interface PushImageInput {
  layers: { data: Buffer; mediaType?: string }[];
  config: object;
  /** 'oci' (default) or 'docker' media types */
  format?: 'oci' | 'docker';
  annotations?: Record<string, string>;
}

export interface PushedImage {
  manifestDigest: string;
  manifestSize: number;
  manifestMediaType: string;
  manifestBytes: Buffer;
  config: Descriptor;
  layers: Descriptor[];
  /** a descriptor of the manifest for an index entry */
  descriptor(platform?: Platform): Descriptor;
}

export interface PushedIndex { digest: string; size: number; mediaType: string; bytes: Buffer }

/** Push blobs, config and manifest; tag may be undefined to push by digest only. */
export async function pushImage(client: RegistryClient, host: string, repo: string, tag: string | undefined, img: PushImageInput): Promise<PushedImage> {
  const docker = img.format === 'docker';
  const layers: Descriptor[] = [];
  for (const l of img.layers) {
    const { digest, size } = await client.pushBlob(host, repo, l.data);
    layers.push({ mediaType: l.mediaType ?? (docker ? 'application/vnd.docker.image.rootfs.diff.tar.gzip' : 'application/vnd.oci.image.layer.v1.tar+gzip'), digest, size });
  }
  const cfgBytes = Buffer.from(JSON.stringify(img.config));
  const cfg = await client.pushBlob(host, repo, cfgBytes);
  const config: Descriptor = { mediaType: docker ? MT.dockerConfig : MT.ociConfig, digest: cfg.digest, size: cfg.size };
  const mediaType = docker ? MT.dockerManifest : MT.ociManifest;
  const manifestBytes = Buffer.from(JSON.stringify({
    schemaVersion: 2, mediaType, config, layers, ...(img.annotations ? { annotations: img.annotations } : {}),
  }));
  const manifestDigest = digestOf(manifestBytes);
  await client.putManifest(host, repo, tag ?? manifestDigest, manifestBytes, mediaType);
  return {
    manifestDigest, manifestSize: manifestBytes.length, manifestMediaType: mediaType, manifestBytes, config, layers,
    descriptor: (platform) => ({ mediaType, digest: manifestDigest, size: manifestBytes.length, ...(platform ? { platform } : {}) }),
  };
}

/** Push an index / manifest list of manifests already in the repository. */
export async function pushIndex(
  client: RegistryClient, host: string, repo: string, tag: string | undefined,
  manifests: { digest: string; size: number; mediaType: string; platform?: Platform; annotations?: Record<string, string> }[],
  opts: { format?: 'oci' | 'docker' } = {},
): Promise<PushedIndex> {
  const mediaType = opts.format === 'docker' ? MT.dockerManifestList : MT.ociIndex;
  const bytes = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType, manifests }));
  const digest = digestOf(bytes);
  await client.putManifest(host, repo, tag ?? digest, bytes, mediaType);
  return { digest, size: bytes.length, mediaType, bytes };
}

/** dpkg status text listing installed packages (name, version) */
export function dpkgStatus(pkgs: [string, string][]): string {
  return pkgs.map(([n, v]) => `Package: ${n}\nStatus: install ok installed\nArchitecture: amd64\nVersion: ${v}\n`).join('\n');
}

/**
 * A one-layer Debian 12 image: os-release and a dpkg status with `pkgs`, plus `extra` entries; it runs
 * as `user` ("app" by default; "" for no User, i.e. root). `format: 'docker'` pushes a Docker v2
 * schema 2 image with the diff_ids and history a registry needs to convert it to schema 1.
 */
export async function pushDebianImage(client: RegistryClient, host: string, repo: string, tag: string, pkgs: [string, string][], opts: { user?: string; extra?: TarEntry[]; format?: 'oci' | 'docker'; architecture?: string } = {}): Promise<PushedImage> {
  const user = opts.user ?? 'app';
  const tarBytes = await makeTar([
    { path: 'etc/os-release', content: 'PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\nID=debian\nVERSION_ID="12"\n' },
    { path: 'var/lib/dpkg/status', content: dpkgStatus(pkgs) },
    ...(opts.extra ?? []),
  ]);
  const docker = opts.format === 'docker';
  const config = {
    architecture: opts.architecture ?? 'amd64', os: 'linux', config: user ? { User: user } : {},
    rootfs: { type: 'layers', diff_ids: docker ? [digestOf(tarBytes)] : [] },
    ...(docker ? { created: '2024-01-01T00:00:00Z', history: [{ created: '2024-01-01T00:00:00Z', created_by: 'customs test' }] } : {}),
  };
  return pushImage(client, host, repo, tag, { layers: [{ data: gzip(tarBytes) }], config, ...(docker ? { format: 'docker' as const } : {}) });
}
