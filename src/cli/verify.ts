// `customs verify <image> --key customs.pub [--max-age 24h] [--require pass|warn]`: the deploy-time
// check. Exit 0 only when a verdict attestation signed by the key, about this very digest, recent
// enough and good enough was found; exit 1 otherwise, saying why.
import { readFileSync } from 'node:fs';
import type { Config } from '../config/schema.ts';
import { CustomsError } from '../errors.ts';
import { parseReference } from '../image/reference.ts';
import { readVerdictAttestations, type VerifiedVerdict } from '../signing/read-verdict.ts';
import { RegistryClient } from '../registry/client.ts';
import { trustedKey, type TrustedKey } from '../signing/verify-bundle.ts';
import { parseDuration } from '../util/deadline.ts';

export interface VerifyFlags { key?: string; maxAge?: string; require?: string; format?: string }

export async function verifyCommand(args: string[], cfg: Config, flags: VerifyFlags, out: (s: string) => void = (s) => process.stdout.write(s)): Promise<number> {
  if (args.length !== 1) throw new CustomsError('usage', 'customs verify takes one image reference (registry/repo:tag or @sha256:…)');
  if (!flags.key) throw new CustomsError('usage', 'customs verify needs --key FILE (the public key Customs signs with: customs key show)');
  const require = flags.require ?? 'pass';
  if (require !== 'pass' && require !== 'warn') throw new CustomsError('usage', `--require must be pass or warn, not "${require}"`);
  const maxAgeMs = flags.maxAge ? parseDuration(flags.maxAge, '--max-age') : undefined;
  let keys: TrustedKey[];
  try {
    keys = [trustedKey(readFileSync(flags.key), flags.key)];
  } catch (e: any) {
    throw new CustomsError('usage', `cannot use --key ${flags.key}: ${e.code ?? e.message}`);
  }
  const ref = parseReference(args[0]!);
  if (ref.kind !== 'registry') throw new CustomsError('usage', 'customs verify reads attestations from a registry: give registry/repo:tag or registry/repo@sha256:…');
  const client = new RegistryClient(cfg);
  try {
    const digest = ref.digest ?? await client.headManifest(ref.registry, ref.repository, ref.tag ?? 'latest');
    const image = { registry: ref.registry, repository: ref.repository, digest };
    const { verified, rejected } = await readVerdictAttestations(client, image, keys, cfg.limits.maxManifestBytes);
    const newest = verified.sort((a, b) => Date.parse(b.predicate.evaluatedAt) - Date.parse(a.predicate.evaluatedAt))[0];
    const problem = judge(newest, require, maxAgeMs);
    if (flags.format === 'json') {
      out(JSON.stringify({ image: `${image.registry}/${image.repository}@${digest}`, acceptable: !problem, problem: problem ?? null, verdict: newest?.predicate ?? null, source: newest?.source ?? null, rejected }, null, 2) + '\n');
    } else {
      out(`${image.registry}/${image.repository}@${digest}\n`);
      if (newest) {
        const p = newest.predicate;
        out(`  verdict ${p.verdict} under policy ${p.policy.name}@${p.policy.version} (${p.policy.mode}), database ${p.dbVersion ?? 'none'}, evaluated ${p.evaluatedAt}, signed by ${newest.key} (${newest.source})\n`);
        if (p.quarantine?.state === 'released') out(`  released from quarantine${p.quarantine.releasedAt ? ` at ${p.quarantine.releasedAt}` : ''} by an operator\n`);
        for (const pl of p.platforms) for (const r of pl.reasons) out(`  ${pl.platform}: ${r.outcome}: ${r.message}\n`);
      }
      for (const r of rejected) out(`  rejected ${r.source}: ${r.reason}\n`);
      out(problem ? `NOT ACCEPTED: ${problem}\n` : 'accepted\n');
    }
    return problem ? 1 : 0;
  } finally {
    await client.close();
  }
}

function judge(v: VerifiedVerdict | undefined, require: 'pass' | 'warn', maxAgeMs: number | undefined): string | undefined {
  if (!v) return 'no verdict attestation signed by this key is about this image';
  const age = Date.now() - Date.parse(v.predicate.evaluatedAt);
  if (maxAgeMs !== undefined && age > maxAgeMs) return `the verdict is ${Math.round(age / 60_000)} minutes old, more than --max-age allows`;
  // a released image keeps its fail verdict; the pull gate lets it through, and so does verify
  if (v.predicate.verdict === 'fail' && v.predicate.quarantine?.state !== 'released') return 'the verdict is fail';
  if (v.predicate.verdict === 'warn' && require === 'pass') return 'the verdict is warn and --require is pass';
  return undefined;
}
