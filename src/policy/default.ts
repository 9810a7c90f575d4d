// The policy that governs every image when none was applied: strict on what is known to hurt
// (critical with a fix, known exploited, leaked secrets), a warning for the rest, actions limited to
// the pull gate so that nothing in a registry is changed until a team writes its own policy.
import { parsePolicy } from './parse.ts';
import type { Policy } from './schema.ts';

export const DEFAULT_POLICY_YAML = `apiVersion: customs.dev/v1
kind: Policy
metadata:
  name: default
  description: Built-in policy, used until a policy is applied.
spec:
  mode: enforce
  scope: { registries: ["**"], repositories: ["**"] }
  missingScan: warn
  incompleteInventory: fail
  rules:
    - { type: vulnerabilities, maxSeverity: high, onlyFixed: true, outcome: fail }
    - { type: kev, outcome: fail }
    - { type: secrets, minSeverity: high, outcome: fail }
    - { type: vulnerabilities, maxSeverity: medium, outcome: warn }
    - { type: secrets, minSeverity: low, outcome: warn }
    - { type: root-user, outcome: warn }
    - { type: eol-os, outcome: warn }
    - { type: advisory-coverage, require: os, outcome: warn }
  actions:
    fail: [{ type: gate }]
`;

/** version 0: the built-in policy is not stored; stored policies start at 1 */
export const DEFAULT_POLICY: Policy = parsePolicy(DEFAULT_POLICY_YAML, 'built-in default policy');
