import { CustomsError } from '../errors.ts';
import type { ImageRef } from '../types.ts';
import { isDigest } from '../util/digest.ts';

// Image references as docker and skopeo write them.
//   Remote (docker/distribution grammar):  [registry/]repo[:tag][@digest]
//     "alpine" → docker.io/library/alpine:latest; the first path component is a registry when it
//     contains '.' or ':', is "localhost", or has upper-case letters (as docker decides).
//   Local (skopeo transport names):  oci:DIR[:REF]  oci-archive:FILE[:REF]  docker-archive:FILE
//     Like containers/image on non-Windows, the path ends at the FIRST ':' — paths containing ':'
//     cannot be written this way there either.

const PATH_COMPONENT = '[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*';
const REPO_RE = new RegExp(`^${PATH_COMPONENT}(?:/${PATH_COMPONENT})*$`);
const TAG_RE = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;
const DOMAIN_COMPONENT = '(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])';
const DOMAIN_RE = new RegExp(`^(?:${DOMAIN_COMPONENT}(?:\\.${DOMAIN_COMPONENT})*|\\[[0-9a-fA-F:.]+\\])(?::[0-9]{1,5})?$`);
/** OCI layout ref names (org.opencontainers.image.ref.name grammar). */
const OCI_REF_COMPONENT = '[A-Za-z0-9]+(?:(?:[-._:@+]|--)[A-Za-z0-9]+)*';
const OCI_REF_RE = new RegExp(`^${OCI_REF_COMPONENT}(?:/${OCI_REF_COMPONENT})*$`);
const MAX_NAME = 255;

export const DOCKER_HUB = 'docker.io';

export function isValidRepository(repo: string): boolean {
  return repo.length > 0 && repo.length <= MAX_NAME && REPO_RE.test(repo);
}

export function isValidTag(tag: string): boolean { return TAG_RE.test(tag); }

function usage(s: string, why: string): CustomsError {
  return new CustomsError('usage', `invalid image reference "${s.slice(0, 300)}": ${why}`);
}

export function parseReference(s: string): ImageRef {
  if (typeof s !== 'string' || s.length === 0) throw usage(String(s), 'empty');
  if (s.length > 4096) throw usage(s, 'too long');
  if (/\s/.test(s)) throw usage(s, 'contains whitespace');
  const local = parseLocal(s);
  if (local) return local;
  return parseRemote(s);
}

function parseLocal(s: string): ImageRef | undefined {
  // whole-rest transports: a directory, an SBOM file, a Docker Engine image name (which has its own ':')
  const whole = /^(rootfs|fs|sbom|docker-daemon):(.*)$/.exec(s);
  if (whole) {
    const kind = whole[1] as 'rootfs' | 'fs' | 'sbom' | 'docker-daemon';
    const rest = whole[2]!;
    if (!rest) throw usage(s, kind === 'docker-daemon' ? 'docker-daemon: needs an image, e.g. docker-daemon:alpine:3.20' : `${kind}: needs a path, e.g. ${kind}:${kind === 'sbom' ? 'bom.json' : '/mnt/rootfs'}`);
    if (kind !== 'docker-daemon') return { kind, path: rest, original: s };
    // what the Engine accepts: a docker reference (name[:tag][@digest]) or an image id (sha256:<hex> or a short hex id)
    if (!/^(?:sha256:)?[a-f0-9]{12,64}$/.test(rest)) parseRemote(rest);
    return { kind, name: rest, original: s };
  }
  const m = /^(oci|oci-archive|docker-archive):(.*)$/.exec(s);
  if (!m) return undefined;
  const kind = m[1] as 'oci' | 'oci-archive' | 'docker-archive';
  const rest = m[2]!;
  const i = rest.indexOf(':');
  const path = i < 0 ? rest : rest.slice(0, i);
  const ref = i < 0 ? undefined : rest.slice(i + 1);
  if (!path) throw usage(s, `${kind}: needs a path, e.g. ${kind}:/tmp/image${kind === 'oci' ? '' : '.tar'}`);
  if (kind === 'docker-archive') {
    if (ref !== undefined) throw usage(s, 'docker-archive: selecting an image inside the archive (":REF" / ":@N") is not supported; paths cannot contain ":"');
    return { kind, path, original: s };
  }
  if (ref === undefined || ref === '') return { kind, path, original: s };
  if (!OCI_REF_RE.test(ref)) throw usage(s, `"${ref.slice(0, 200)}" is not a valid OCI image ref name`);
  return { kind, path, tag: ref, original: s };
}

function parseRemote(s: string): ImageRef {
  let rest = s;
  let digest: string | undefined;
  const at = rest.indexOf('@');
  if (at >= 0) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
    if (!isDigest(digest)) throw usage(s, `"${digest.slice(0, 150)}" is not a sha256:<64 hex> or sha512:<128 hex> digest`);
  }
  // A tag is after the last ':' that comes after the last '/' (a ':' before it is a registry port).
  let tag: string | undefined;
  const colon = rest.lastIndexOf(':');
  if (colon > rest.lastIndexOf('/')) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
    if (!isValidTag(tag)) throw usage(s, `"${tag.slice(0, 150)}" is not a valid tag (letters, digits, '_', '.', '-'; at most 128; not starting with '.' or '-')`);
  }
  if (!rest) throw usage(s, 'no repository name');

  let registry = DOCKER_HUB;
  let repository = rest;
  const slash = rest.indexOf('/');
  if (slash >= 0) {
    const first = rest.slice(0, slash);
    if (first.includes('.') || first.includes(':') || first === 'localhost' || first !== first.toLowerCase()) {
      registry = first;
      repository = rest.slice(slash + 1);
      if (!DOMAIN_RE.test(registry)) throw usage(s, `"${registry.slice(0, 150)}" is not a valid registry host[:port]`);
    }
  }
  if (registry === 'index.docker.io') registry = DOCKER_HUB;
  if (registry === DOCKER_HUB && !repository.includes('/')) repository = `library/${repository}`;
  if (!isValidRepository(repository)) {
    throw usage(s, `"${repository.slice(0, 150)}" is not a valid repository name (lowercase letters, digits and separators '.', '_', '__', '-', components joined by '/')`);
  }
  if (registry.length + 1 + repository.length > MAX_NAME) throw usage(s, `name longer than ${MAX_NAME} characters`);
  if (!tag && !digest) tag = 'latest';
  return { kind: 'registry', registry, repository, ...(tag ? { tag } : {}), ...(digest ? { digest } : {}), original: s };
}

/** Canonical text of a reference: "docker.io/library/alpine:latest", "oci:/dir:tag". */
export function formatReference(ref: ImageRef): string {
  switch (ref.kind) {
    case 'registry':
      return `${ref.registry}/${ref.repository}${ref.tag ? `:${ref.tag}` : ''}${ref.digest ? `@${ref.digest}` : ''}`;
    case 'oci':
    case 'oci-archive':
      return `${ref.kind}:${ref.path}${ref.tag ? `:${ref.tag}` : ''}`;
    case 'docker-archive':
    case 'rootfs':
    case 'fs':
    case 'sbom':
      return `${ref.kind}:${ref.path}`;
    case 'docker-daemon':
      return `docker-daemon:${ref.name}`;
  }
}
