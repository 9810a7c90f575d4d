import type { ImageInventory, ImageRef } from '../types.ts';

/** What an SBOM describes: the reference as given, and the repository URL (remote images only). */
export interface SbomSubject {
  ref: ImageRef;
  toolVersion: string;
  /** time of the scan (RFC 3339) */
  timestamp: string;
  inventories: ImageInventory[];
}

export function repositoryUrl(ref: ImageRef): string | undefined {
  return ref.kind === 'registry' ? `${ref.registry}/${ref.repository}` : undefined;
}

export function subjectName(ref: ImageRef): string {
  return ref.kind === 'registry' ? `${ref.registry}/${ref.repository}` : ref.original;
}
