// A scan request id says which image it is about (registry, repository, digest), so a report can be
// found after a restart without storing anything: the jobs and scans tables already hold the state.
import { isValidRepository } from '../image/reference.ts';
import { isDigest } from '../util/digest.ts';
import type { ImageKey } from './pull-credentials.ts';

export function encodeRequestId(i: ImageKey): string {
  return Buffer.from(JSON.stringify([i.registry, i.repository, i.digest])).toString('base64url');
}

export function decodeRequestId(id: string): ImageKey | undefined {
  if (id.length > 1024 || !/^[A-Za-z0-9_-]+$/.test(id)) return undefined;
  try {
    const v = JSON.parse(Buffer.from(id, 'base64url').toString('utf8'));
    if (!Array.isArray(v) || v.length !== 3 || !v.every((x) => typeof x === 'string')) return undefined;
    const [registry, repository, digest] = v as [string, string, string];
    if (!registry || registry.length > 255 || !isValidRepository(repository) || !isDigest(digest)) return undefined;
    return { registry, repository, digest };
  } catch {
    return undefined;
  }
}
