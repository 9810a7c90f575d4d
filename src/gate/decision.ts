// The gate's decisions: classify what is pulled (a manifest by digest, or a blob that may be a
// manifest) and turn its stored verdict and governing policy into allow or deny (decide.ts holds the
// rule). An unseen digest may queue a scan and, when configured, wait a while for its verdict. The
// verdicts and the policy cache are the shared VerdictLookup's (lookup.ts).
import type { GateConfig } from '../config/gate-schema.ts';
import { log } from '../log.ts';
import { decide, type GateDecision } from './decide.ts';
import { VerdictLookup, elsewhereMessage } from './lookup.ts';

const WAIT_STEP_MS = 250;

/** What the gate asks of the service: a scan of a digest pulled where Customs has no verdict for it. */
export interface GateHooks { scanUnseen?: (image: { registry: string; repository: string; digest: string }) => Promise<void> }

export class PullDecisions {
  private readonly cfg: GateConfig;
  private readonly verdicts: VerdictLookup;
  private readonly hooks: GateHooks;
  private readonly registry: string;
  constructor(cfg: GateConfig, verdicts: VerdictLookup, hooks: GateHooks, registry: string) {
    this.cfg = cfg; this.verdicts = verdicts; this.hooks = hooks; this.registry = registry;
  }

  /** the verdict decision on a manifest, waiting for a scan when the policy refuses unscanned images and a wait is configured */
  async manifest(repository: string, digest: string): Promise<GateDecision> {
    const { cfg, hooks, registry } = this;
    const found = await this.verdicts.lookup(registry, repository, digest);
    const governing = { policy: found.policy };
    let v = found.verdict;
    if (!v) {
      // verdicts are per repository, but a digest is the same bytes wherever it is pulled from: one
      // quarantined anywhere in this registry is refused here too (until released there)
      if (found.gatedElsewhere) return { allow: false as const, message: elsewhereMessage(found.gatedElsewhere) };
      if (cfg.scanOnPull && hooks.scanUnseen) {
        await hooks.scanUnseen({ registry, repository, digest }).catch((e) => log.warn({ repository, digest, err: (e as Error).message }, 'gate could not queue a scan of an unseen digest'));
      }
    }
    if (!v && (governing.policy.spec.missingScan === 'fail' || (cfg.scanOnPull && hooks.scanUnseen)) && cfg.waitForScanMs > 0) {
      const deadline = Date.now() + cfg.waitForScanMs;
      while (!v && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, Math.min(WAIT_STEP_MS, Math.max(1, deadline - Date.now()))));
        v = await this.verdicts.verdict(registry, repository, digest);
      }
    }
    return decide(v, governing.policy);
  }

  /** a blob pulled by digest: a quarantined manifest fetched as a blob (registries that keep manifests
   *  in the blob store serve it so) is refused like the manifest; plain layers have no verdict (undefined) */
  async blob(repository: string, digest: string): Promise<GateDecision | undefined> {
    const v = await this.verdicts.verdict(this.registry, repository, digest);
    return v && decide(v, await this.verdicts.governing(this.registry, repository));
  }
}
