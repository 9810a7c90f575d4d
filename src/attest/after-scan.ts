import type { Config } from '../config/schema.ts';
import type { Database } from '../db/client.ts';
import { log } from '../log.ts';
import type { ImageVerdict } from '../policy/verdicts.ts';
import type { RegistryClient } from '../registry/client.ts';
import type { ScanReport } from '../scan/types.ts';
import { loadSigner } from '../signing/key.ts';
import { publishAttestations, type PublishResult } from './publish.ts';
import type { ImageSubject } from './statements.ts';

/**
 * The service's write-back after a verdict (when `attestations.enabled`): a failure is logged and
 * never fails the scan, whose result is already stored. The pushes this makes are write-back tags
 * (`.att`, `sha256-<hex>`) and referrer manifests with an empty config, which intake ignores.
 */
export async function attestAfterScan(cfg: Config, client: RegistryClient, image: ImageSubject, report: ScanReport, verdict: ImageVerdict, database?: Database): Promise<PublishResult | undefined> {
  if (!cfg.attestations.enabled) return undefined;
  const started = performance.now();
  try {
    const res = await publishAttestations({ client, signer: loadSigner(cfg), cfg, ...(database ? { database } : {}) }, image, report, verdict);
    log.info({ image: `${image.registry}/${image.repository}@${image.digest}`, legacy: res.legacy, referrers: res.referrers?.manifests.length, fallbackIndex: res.referrers?.fallbackIndex, ms: Math.round(performance.now() - started) }, 'attestations written');
    return res;
  } catch (e) {
    log.warn({ image: `${image.registry}/${image.repository}@${image.digest}`, err: (e as Error).message }, 'attestations not written');
    return undefined;
  }
}
