// Which policy governs an image: every policy whose scope matches the registry and repository,
// the most specific one winning. Specificity is counted on the matching globs, so `prod/api/**`
// beats `prod/**` beats `**`; two policies equally specific for one image is a conflict, refused
// when a policy is applied rather than decided by accident at scan time.
import picomatch from 'picomatch';
import type { Policy } from './schema.ts';

export interface ScopedPolicy {
  policy: Policy;
  version: number;
}

const matchers = new Map<string, (s: string) => boolean>();
function matcher(glob: string): (s: string) => boolean {
  let m = matchers.get(glob);
  if (!m) {
    m = picomatch(glob, { dot: true, nocase: false });
    if (matchers.size > 10_000) matchers.clear();
    matchers.set(glob, m);
  }
  return m;
}

/** Literal characters count 2, `*`/`?` 1, `**` 0: more literal text means more specific. */
export function globSpecificity(glob: string): number {
  let score = 0;
  for (let i = 0; i < glob.length; i++) {
    if (glob[i] === '*' && glob[i + 1] === '*') { i++; continue; }
    score += glob[i] === '*' || glob[i] === '?' ? 1 : 2;
  }
  return score;
}

/** The specificity of the best-matching glob, or -1 when none matches. */
function bestMatch(globs: string[], value: string): number {
  let best = -1;
  for (const g of globs) if (matcher(g)(value)) best = Math.max(best, globSpecificity(g));
  return best;
}

/** [registry specificity, repository specificity], or undefined when the policy does not apply. */
export function scopeScore(policy: Policy, registry: string, repository: string): [number, number] | undefined {
  const r = bestMatch(policy.spec.scope.registries, registry);
  if (r < 0) return undefined;
  const p = bestMatch(policy.spec.scope.repositories, repository);
  if (p < 0) return undefined;
  return [r, p];
}

/** The governing policy for an image: repository specificity first, then registry. */
export function selectPolicy<T extends ScopedPolicy>(policies: readonly T[], registry: string, repository: string): T | undefined {
  let best: { p: T; s: [number, number] } | undefined;
  for (const p of policies) {
    const s = scopeScore(p.policy, registry, repository);
    if (!s) continue;
    if (!best || s[1] > best.s[1] || (s[1] === best.s[1] && s[0] > best.s[0])) best = { p, s };
  }
  return best?.p;
}

/**
 * Policies that would tie with `candidate` on some image: same specificity on both axes and a
 * name both glob sets match. Whether two globs can match a common name is probed with sample
 * names built from the globs themselves (each one's literal text, and each substituted into the
 * other's wildcard), which catches the real-world cases: the same scope written twice, `prod/**`
 * next to `prod/**`, or `team-*` next to `*-prod` (both match `team-x-prod`).
 */
export function conflictingPolicies(candidate: Policy, others: readonly Policy[]): Policy[] {
  return others.filter((o) => o.metadata.name !== candidate.metadata.name
    && overlapsEqually(candidate.spec.scope.registries, o.spec.scope.registries)
    && overlapsEqually(candidate.spec.scope.repositories, o.spec.scope.repositories));
}

function overlapsEqually(a: string[], b: string[]): boolean {
  for (const x of a) for (const y of b) {
    if (globSpecificity(x) !== globSpecificity(y)) continue;
    if (x === y) return true;
    const samples = [literal(x), literal(y), substitute(x, literal(y)), substitute(y, literal(x))];
    if (samples.some((s) => matcher(x)(s) && matcher(y)(s))) return true;
  }
  return false;
}

/** a sample name a glob matches: wildcards replaced by a letter */
function literal(glob: string): string {
  return glob.replace(/\*\*/g, 'x').replace(/[*?]/g, 'x');
}

/** the glob's first wildcard run replaced by `text`, the rest by letters */
function substitute(glob: string, text: string): string {
  return literal(glob.replace(/\*+|\?/, () => text.replace(/\*/g, 'x')));
}

/** true when `repository` matches the glob (exceptions scoped to repositories use it) */
export function globMatches(glob: string, value: string): boolean {
  return matcher(glob)(value);
}
