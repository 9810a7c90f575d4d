// The stored-verdict lookup shared by the pull gate and the admission webhook: which policy governs
// an image, its verdict in that repository, and — verdicts being per repository while a digest is
// the same bytes everywhere — a quarantine of the same digest in another repository of the registry.
// Reads only the database (and a short-lived policy cache): safe on a request's hot path.
import type { Database } from '../db/client.ts';
import type { Policy } from '../policy/schema.ts';
import type { ScopedPolicy } from '../policy/scope.ts';
import { PolicyStore, governingPolicy } from '../policy/store.ts';
import { verdictFor, verdictsForMany, verdictsOf, type StoredVerdict } from '../quarantine/verdict-store.ts';

const POLICY_CACHE_MS = 5_000;

export interface VerdictLookupResult {
  policy: Policy;
  /** the verdict of this digest in this repository (root or platform manifest) */
  verdict?: StoredVerdict;
  /** no verdict here, but the same digest is gated (quarantined with the gate action) elsewhere in the registry */
  gatedElsewhere?: StoredVerdict;
}

export class VerdictLookup {
  private readonly database: Database;
  private readonly policies: PolicyStore;
  private cached: { at: number; list: ScopedPolicy[] } | undefined;
  constructor(database: Database) { this.database = database; this.policies = new PolicyStore(database); }

  /** current policies, re-read at most every 5 s (a policy change reaches the gate within that) */
  async currentPolicies(): Promise<ScopedPolicy[]> {
    if (!this.cached || Date.now() - this.cached.at > POLICY_CACHE_MS) this.cached = { at: Date.now(), list: await this.policies.current() };
    return this.cached.list;
  }

  async governing(registry: string, repository: string): Promise<Policy> {
    return governingPolicy(await this.currentPolicies(), registry, repository).policy;
  }

  async lookup(registry: string, repository: string, digest: string): Promise<VerdictLookupResult> {
    const policy = await this.governing(registry, repository);
    const verdict = await verdictFor(this.database, registry, repository, digest);
    if (verdict) return { policy, verdict };
    const elsewhere = (await verdictsOf(this.database, digest)).find((r) => r.registry === registry && r.gated);
    return { policy, ...(elsewhere ? { gatedElsewhere: elsewhere } : {}) };
  }

  /** lookup() for several images in one verdict query (the admission webhook: every container of a pod) */
  async lookupMany(keys: readonly { registry: string; repository: string; digest: string }[]): Promise<VerdictLookupResult[]> {
    const verdicts = await verdictsForMany(this.database, keys);
    return Promise.all(keys.map(async (k, i) => {
      const policy = await this.governing(k.registry, k.repository);
      const verdict = verdicts[i];
      if (verdict) return { policy, verdict };
      // unscanned here: the rarer path, one more query for the same digest gated elsewhere
      const elsewhere = (await verdictsOf(this.database, k.digest)).find((r) => r.registry === k.registry && r.gated);
      return { policy, ...(elsewhere ? { gatedElsewhere: elsewhere } : {}) };
    }));
  }

  /** the verdict alone, for polling while a scan runs */
  verdict(registry: string, repository: string, digest: string): Promise<StoredVerdict | undefined> {
    return verdictFor(this.database, registry, repository, digest);
  }
}

/** The gate's message for a digest quarantined in another repository. */
export function elsewhereMessage(v: StoredVerdict): string {
  return `quarantined in ${v.repository} (the same digest) by policy ${v.policyName}: ${v.summary}`;
}
