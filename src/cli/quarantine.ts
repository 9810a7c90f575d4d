// `customs quarantine list|release`: see and release quarantined images (the operator's decision,
// with a reason, recorded in the audit log; `move` is undone in the registry).
import type { Config } from '../config/schema.ts';
import { openDatabase } from '../db/client.ts';
import { CustomsError } from '../errors.ts';
import { judgeContext, release } from '../judge/judge.ts';
import { quarantinedRoots } from '../quarantine/verdict-store.ts';
import { keylessTrust } from '../signing/verify-keyless.ts';
import { RegistryClient } from '../registry/client.ts';
import { isDigest } from '../util/digest.ts';
import { cliActor } from './actor.ts';
import { renderTable } from '../util/table.ts';

export interface QuarantineFlags { reason?: string; repository?: string; format?: string }

export async function quarantineCommand(args: string[], cfg: Config, flags: QuarantineFlags, out: (s: string) => void = (s) => process.stdout.write(s)): Promise<number> {
  const [sub, ...rest] = args;
  if (sub !== 'list' && sub !== 'release') throw new CustomsError('usage', 'customs quarantine needs a subcommand: list | release DIGEST --reason TEXT [--repository REPO]');
  const database = await openDatabase(cfg);
  try {
    if (sub === 'list') {
      if (rest.length) throw new CustomsError('usage', 'customs quarantine list takes no arguments');
      const rows = await quarantinedRoots(database);
      if (flags.format === 'json') { out(JSON.stringify(rows.map((r) => ({ registry: r.registry, repository: r.repository, digest: r.digest, policy: `${r.policyName}@${r.policyVersion}`, gated: r.gated, since: r.evaluatedAt, reason: r.summary })), null, 2) + '\n'); return 0; }
      out(rows.length ? renderTable(['IMAGE', 'POLICY', 'GATED', 'SINCE', 'REASON'], rows.map((r) => [`${r.registry}/${r.repository}@${r.digest}`, `${r.policyName}@${r.policyVersion}`, r.gated ? 'yes' : 'no', r.evaluatedAt, r.summary.slice(0, 120)])) : 'no image is quarantined\n');
      return 0;
    }
    if (rest.length !== 1 || !isDigest(rest[0]!)) throw new CustomsError('usage', 'customs quarantine release takes one image digest (sha256:<64 hex>)');
    if (!flags.reason?.trim()) throw new CustomsError('usage', 'a release needs a reason: --reason "why this image may run"');
    const client = new RegistryClient(cfg);
    try {
      // the verdict attestation now saying "released" is queued here and published by `customs serve`
      const r = await release(judgeContext(cfg, database, client, { trust: keylessTrust(cfg) }), rest[0]!, { actor: cliActor(), reason: flags.reason, ...(flags.repository ? { repository: flags.repository } : {}) });
      const repos = [...new Set(r.released.map((x) => `${x.registry}/${x.repository}`))];
      out(`released ${rest[0]} in ${repos.join(', ')}\n`);
      for (const u of r.undone) out(`  ${u.type}: ${u.ok ? '' : 'FAILED: '}${u.detail}\n`);
      return r.undone.some((u) => !u.ok) ? 11 : 0;
    } finally {
      await client.close();
    }
  } finally {
    database.close();
  }
}

