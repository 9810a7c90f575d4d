import type { Config } from '../config/schema.ts';
import type { RegistryClient } from '../registry/client.ts';
import type { ImageRef, ImageSource } from '../types.ts';
import { openLocalSource } from '../image/open-source.ts';
import { RemoteSource } from '../registry/remote-source.ts';

/** One place that turns a parsed reference into an image source, remote or local. */
export function openImageSource(ref: ImageRef, cfg: Config, client: RegistryClient, opts: { signal?: AbortSignal } = {}): ImageSource {
  if (ref.kind === 'registry') return new RemoteSource(client, ref, cfg.limits);
  return openLocalSource(ref, cfg.limits, opts);
}
