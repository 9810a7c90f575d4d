import { CustomsError } from '../errors.ts';
import type { Descriptor, ImageConfigSummary, Platform } from '../types.ts';
import { isDigest } from '../util/digest.ts';
import { parseUntrustedJson } from '../util/json.ts';
import { INDEX_TYPES, MANIFEST_TYPES, MT } from './media-types.ts';

export type ManifestDoc =
  | { kind: 'index'; mediaType: string; manifests: Descriptor[] }
  | { kind: 'manifest'; mediaType: string; config: Descriptor; layers: Descriptor[] };

/**
 * Parse a manifest or index. `contentType` is what the registry said (trusted first, as the spec
 * says); the document's own mediaType field is the fallback (OCI layouts have no content type).
 */
export function parseManifest(bytes: Buffer, contentType: string | undefined, what: string, maxDepth = 64): ManifestDoc {
  const doc = parseUntrustedJson<any>(bytes, what, maxDepth);
  if (!doc || typeof doc !== 'object' || Array.isArray(doc)) throw new CustomsError('corrupt', `${what}: manifest is not a JSON object`);
  const ct = (contentType ?? '').split(';')[0]!.trim();
  let mediaType = ct && ct !== 'application/json' && ct !== 'application/octet-stream' ? ct : (typeof doc.mediaType === 'string' ? doc.mediaType : '');
  if (!mediaType) {
    // OCI allows mediaType to be omitted; infer from shape.
    if (Array.isArray(doc.manifests)) mediaType = MT.ociIndex;
    else if (doc.config && Array.isArray(doc.layers)) mediaType = MT.ociManifest;
  }
  if (mediaType === MT.dockerSchema1 || mediaType === MT.dockerSchema1Signed || doc.schemaVersion === 1) {
    throw new CustomsError('unsupported', `${what}: Docker schema 1 manifests are not supported (deprecated since 2017; re-push the image)`);
  }
  if (INDEX_TYPES.has(mediaType)) {
    if (!Array.isArray(doc.manifests)) throw new CustomsError('corrupt', `${what}: index has no "manifests" array`);
    return { kind: 'index', mediaType, manifests: doc.manifests.map((d: unknown, i: number) => descriptor(d, `${what}: manifests[${i}]`)) };
  }
  if (MANIFEST_TYPES.has(mediaType)) {
    if (!doc.config || !Array.isArray(doc.layers)) throw new CustomsError('corrupt', `${what}: manifest lacks "config" or "layers"`);
    return {
      kind: 'manifest', mediaType,
      config: descriptor(doc.config, `${what}: config`),
      layers: doc.layers.map((d: unknown, i: number) => descriptor(d, `${what}: layers[${i}]`)),
    };
  }
  throw new CustomsError('unsupported', `${what}: unsupported manifest media type "${mediaType.slice(0, 200) || '(none)'}"`);
}

function descriptor(d: any, what: string): Descriptor {
  if (!d || typeof d !== 'object') throw new CustomsError('corrupt', `${what}: not a descriptor object`);
  if (typeof d.digest !== 'string' || !isDigest(d.digest)) throw new CustomsError('corrupt', `${what}: invalid digest ${JSON.stringify(String(d.digest)).slice(0, 100)}`);
  if (typeof d.size !== 'number' || !Number.isSafeInteger(d.size) || d.size < 0) throw new CustomsError('corrupt', `${what}: invalid size`);
  const out: Descriptor = { mediaType: typeof d.mediaType === 'string' ? d.mediaType : '', digest: d.digest, size: d.size };
  if (Array.isArray(d.urls)) out.urls = d.urls.filter((u: unknown) => typeof u === 'string');
  if (d.annotations && typeof d.annotations === 'object') out.annotations = d.annotations;
  if (typeof d.artifactType === 'string') out.artifactType = d.artifactType;
  if (d.platform && typeof d.platform === 'object' && typeof d.platform.os === 'string' && typeof d.platform.architecture === 'string') {
    out.platform = { os: d.platform.os, architecture: d.platform.architecture, ...(typeof d.platform.variant === 'string' ? { variant: d.platform.variant } : {}) };
  }
  return out;
}

/** "linux/arm64/v8" → Platform. */
export function parsePlatform(s: string): Platform {
  const parts = s.split('/');
  if (parts.length < 2 || parts.length > 3 || parts.some((p) => !/^[a-z0-9._-]+$/i.test(p))) {
    throw new CustomsError('usage', `invalid platform "${s}": expected os/arch[/variant], e.g. linux/amd64 or linux/arm64/v8`);
  }
  return { os: parts[0]!, architecture: parts[1]!, ...(parts[2] ? { variant: parts[2] } : {}) };
}

export function formatPlatform(p: Platform): string {
  return `${p.os}/${p.architecture}${p.variant ? `/${p.variant}` : ''}`;
}

/** Attestation / signature children of an index (buildkit's unknown/unknown entries) are not images. */
export function isAttestationChild(d: Descriptor): boolean {
  return (d.platform?.os === 'unknown' && d.platform?.architecture === 'unknown')
    || d.annotations?.['vnd.docker.reference.type'] === 'attestation-manifest';
}

const DEFAULT_VARIANT: Record<string, string> = { arm64: 'v8' };

export function platformMatches(want: Platform, have: Platform | undefined): boolean {
  if (!have) return false;
  if (want.os !== have.os || want.architecture !== have.architecture) return false;
  if (!want.variant) return true;
  return (have.variant ?? DEFAULT_VARIANT[have.architecture]) === want.variant;
}

/** Parse an image config blob into the summary Customs keeps. */
export function parseImageConfig(bytes: Buffer, what: string, maxDepth = 64): ImageConfigSummary {
  const c = parseUntrustedJson<any>(bytes, what, maxDepth);
  if (!c || typeof c !== 'object' || Array.isArray(c)) throw new CustomsError('corrupt', `${what}: image config is not a JSON object`);
  const cc = (c.config && typeof c.config === 'object') ? c.config : {};
  const strs = (v: unknown) => (Array.isArray(v) ? v.filter((x) => typeof x === 'string') : undefined);
  const str = (v: unknown) => (typeof v === 'string' ? v : undefined);
  const out: ImageConfigSummary = {
    os: str(c.os), architecture: str(c.architecture), variant: str(c.variant), created: str(c.created),
    user: str(cc.User), env: strs(cc.Env), entrypoint: strs(cc.Entrypoint), cmd: strs(cc.Cmd), workingDir: str(cc.WorkingDir),
    labels: cc.Labels && typeof cc.Labels === 'object' ? Object.fromEntries(Object.entries(cc.Labels).filter(([, v]) => typeof v === 'string')) as Record<string, string> : undefined,
    diffIds: strs(c.rootfs?.diff_ids),
    history: Array.isArray(c.history) ? c.history.filter((h: any) => h && typeof h === 'object').map((h: any) => ({
      created: str(h.created), createdBy: str(h.created_by), ...(h.empty_layer === true ? { emptyLayer: true } : {}),
    })) : undefined,
    healthcheck: cc.Healthcheck && typeof cc.Healthcheck === 'object' ? strs(cc.Healthcheck.Test) : undefined,
    exposedPorts: cc.ExposedPorts && typeof cc.ExposedPorts === 'object' && !Array.isArray(cc.ExposedPorts) ? Object.keys(cc.ExposedPorts).slice(0, 1000) : undefined,
  };
  for (const k of Object.keys(out) as (keyof ImageConfigSummary)[]) if (out[k] === undefined) delete out[k];
  return out;
}
