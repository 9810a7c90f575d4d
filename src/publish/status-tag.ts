import { MT } from '../image/media-types.ts';
import type { RegistryClient } from '../registry/client.ts';
import type { ScanRecord } from '../jobs/job-store.ts';

// The scan status written back next to an image as the tag `sha256-<hex>.scan`: a small OCI artifact
// (empty config, one JSON layer with the summary, `subject` = the image) so tools that only read tags
// see the verdict, and the tag keeps it reachable for the registry's garbage collector. Its own
// push notification is recognised by the tag (and the empty config) and never starts a scan.

export const STATUS_ARTIFACT_TYPE = 'application/vnd.customs.scan.v1+json';
export const STATUS_SUMMARY_TYPE = 'application/vnd.customs.scan.summary.v1+json';

export function statusTag(digest: string): string {
  return `${digest.replace(':', '-')}.scan`;
}

export async function writeStatusTag(client: RegistryClient, registry: string, repository: string, scanId: string, scan: ScanRecord, maxManifestBytes: number): Promise<string> {
  const subject = await client.getManifest(registry, repository, scan.digest, maxManifestBytes);
  const summary = Buffer.from(JSON.stringify({
    scanId, digest: scan.digest, finishedAt: new Date(scan.finishedAt).toISOString(), dbVersion: scan.dbVersion,
    platforms: scan.platforms, packages: scan.packages, findings: scan.findings,
    critical: scan.critical, high: scan.high, medium: scan.medium, low: scan.low,
  }));
  const empty = Buffer.from('{}');
  const cfg = await client.pushBlob(registry, repository, empty);
  const layer = await client.pushBlob(registry, repository, summary);
  const manifest = Buffer.from(JSON.stringify({
    schemaVersion: 2, mediaType: MT.ociManifest, artifactType: STATUS_ARTIFACT_TYPE,
    config: { mediaType: MT.ociEmpty, digest: cfg.digest, size: cfg.size },
    layers: [{ mediaType: STATUS_SUMMARY_TYPE, digest: layer.digest, size: layer.size }],
    subject: { mediaType: subject.contentType ?? MT.ociManifest, digest: scan.digest, size: subject.bytes.length },
    annotations: {
      'org.opencontainers.image.created': new Date(scan.finishedAt).toISOString(),
      'dev.customs.scan.id': scanId,
      'dev.customs.scan.findings': String(scan.findings),
      'dev.customs.scan.critical': String(scan.critical),
      'dev.customs.scan.high': String(scan.high),
    },
  }));
  return client.putManifest(registry, repository, statusTag(scan.digest), manifest, MT.ociManifest);
}
