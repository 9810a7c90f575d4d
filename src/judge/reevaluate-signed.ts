import { ScanStore } from '../scan/scan-store.ts';
import { log } from '../log.ts';
import { judge, type JudgeContext } from './judge.ts';
import type { ScanReport } from '../scan/types.ts';
import type { ImageSubject } from '../attest/statements.ts';

// Images are usually signed after they are pushed (and scanned): a signature push event judges
// the image again from its stored scan, so a signature rule can turn a fail into a pass without a
// new scan. Bursts (cosign pushes several manifests) are coalesced per image.

const COALESCE_MS = 250;

export function signatureReevaluator(deps: JudgeContext): { onSignature: (image: ImageSubject) => void; stop: () => void } {
  const pending = new Map<string, NodeJS.Timeout>();
  const stop = () => { for (const t of pending.values()) clearTimeout(t); pending.clear(); };
  const onSignature = (image: ImageSubject) => {
    const key = `${image.registry}/${image.repository}@${image.digest}`;
    if (pending.has(key)) return;
    pending.set(key, setTimeout(() => {
      pending.delete(key);
      reevaluateImage(deps, image).catch((e) => log.warn({ image: key, err: (e as Error).message }, 're-evaluation after a signature push failed'));
    }, COALESCE_MS).unref());
  };
  return { onSignature, stop };
}

/** Judge one stored image again (no-op when it was never scanned or is deleted). */
export async function reevaluateImage(deps: JudgeContext, image: ImageSubject): Promise<boolean> {
  const row = await new ScanStore(deps.database).latestOfLiveImage(image);
  if (!row) return false;
  await judge(deps, image, JSON.parse(row.report) as ScanReport, row.scanId, { findingsChanged: false });
  return true;
}
