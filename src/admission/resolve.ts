// From container image strings to the digests their verdicts are kept under. By digest: used as it
// is (the digest is what the kubelet pulls, whatever tag is written beside it). By tag: the tag as
// Customs last saw it pushed (one database query for all of a pod's tags), else a manifest HEAD to
// the registry bounded by admission.resolveTimeoutMs — a tag the registry moved since Customs saw it
// is judged as stored, which is what the webhooks told Customs. Never throws: an unresolvable image
// is an answer too.
import type { Database } from '../db/client.ts';
import { parseReference } from '../image/reference.ts';
import { log } from '../log.ts';
import type { RegistryClient } from '../registry/client.ts';
import { ImageStore } from '../scan/image-store.ts';

export type Resolved =
  | { ok: true; registry: string; repository: string; digest: string; tag?: string; via: 'digest' | 'stored-tag' | 'registry' }
  | { ok: false; registry?: string; repository?: string; tag?: string; reason: string };

export interface ResolveDeps {
  database: Database;
  /** the service's shared registry client (absent: stored tags only) */
  registry?: Pick<RegistryClient, 'headManifest'>;
  timeoutMs: number;
  /** which registries may be asked (admission.registries): the image string comes from whoever creates the pod */
  mayAsk: (registry: string) => boolean;
  /** where stored tags are read (default: the database; the webhook's in-memory index, ./verdict-index.ts) */
  tags?: Pick<ImageStore, 'liveTagDigests'>;
}

export async function resolveImages(images: readonly string[], deps: ResolveDeps): Promise<Resolved[]> {
  const out: Resolved[] = [];
  const byTag: { i: number; registry: string; repository: string; tag: string }[] = [];
  images.forEach((image, i) => {
    let ref;
    try { ref = parseReference(image); } catch (e) { out[i] = { ok: false, reason: (e as Error).message }; return; }
    if (ref.kind !== 'registry') { out[i] = { ok: false, reason: `"${image.slice(0, 200)}" is not a registry image reference` }; return; }
    const { registry, repository } = ref;
    if (ref.digest) out[i] = { ok: true, registry, repository, digest: ref.digest, ...(ref.tag ? { tag: ref.tag } : {}), via: 'digest' };
    else byTag.push({ i, registry, repository, tag: ref.tag! });
  });
  const stored = byTag.length ? await (deps.tags ?? new ImageStore(deps.database)).liveTagDigests(byTag) : [];
  await Promise.all(byTag.map(async (t, k) => {
    const { i, registry, repository, tag } = t;
    const digest = stored[k];
    out[i] = digest ? { ok: true, registry, repository, tag, digest, via: 'stored-tag' } : await askRegistry(registry, repository, tag, deps);
  }));
  return out;
}

async function askRegistry(registry: string, repository: string, tag: string, deps: ResolveDeps): Promise<Resolved> {
  if (!deps.registry || deps.timeoutMs <= 0 || !deps.mayAsk(registry)) return { ok: false, registry, repository, tag, reason: `tag ${tag} of ${registry}/${repository} was never seen pushed` };
  let timer: NodeJS.Timeout | undefined;
  try {
    // the shared client keeps its own (long) deadlines; the answer is not waited for past ours
    const digest = await Promise.race([
      deps.registry.headManifest(registry, repository, tag),
      new Promise<never>((_, reject) => { timer = setTimeout(() => reject(new Error(`no answer within ${deps.timeoutMs} ms (admission.resolveTimeoutMs)`)), deps.timeoutMs); }),
    ]);
    return { ok: true, registry, repository, tag, digest, via: 'registry' };
  } catch (e) {
    log.debug({ registry, repository, tag, err: (e as Error).message }, 'admission could not resolve a tag');
    return { ok: false, registry, repository, tag, reason: `cannot resolve ${registry}/${repository}:${tag} to a digest: ${(e as Error).message.slice(0, 200)}` };
  } finally {
    clearTimeout(timer);
  }
}
