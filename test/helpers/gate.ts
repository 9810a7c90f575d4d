// What the pull gate tests share: a real registry, a database with one policy applied, a real scan
// whose verdict is recorded as the service records it, and skopeo as the registry client.
import { execFile } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { Config } from '../../src/config/schema.ts';
import { openDatabase, type Database } from '../../src/db/client.ts';
import { parsePolicy } from '../../src/policy/parse.ts';
import { PolicyStore } from '../../src/policy/store.ts';
import { evaluateReport } from '../../src/policy/verdicts.ts';
import { recordVerdict } from '../../src/quarantine/verdict-store.ts';
import { RegistryClient } from '../../src/registry/client.ts';
import { scanImage } from '../../src/scan/scan-image.ts';
import { startRegistry, testConfig, type TestRegistry } from './registry.ts';

const run = promisify(execFile);

export interface GateWorld { reg: TestRegistry; cfg: Config; database: Database; client: RegistryClient; stop(): Promise<void> }

export async function gateWorld(policyYaml: string): Promise<GateWorld> {
  const reg = await startRegistry();
  const dataDir = mkdtempSync(join(tmpdir(), 'customs-gate-'));
  const cfg = testConfig({ dataDir, database: { url: `file:${join(dataDir, 'customs.db')}` } });
  const database = await openDatabase(cfg);
  const client = new RegistryClient(cfg);
  await new PolicyStore(database).apply(parsePolicy(policyYaml), { actor: 'test' });
  return { reg, cfg, database, client, stop: async () => { await client.close(); database.close(); await reg.stop(); } };
}

/** scan `ref` for real, evaluate it under the governing policy and store the verdict (what the service does after a scan) */
export async function scanAndDecide(w: GateWorld, ref: string, repository: string) {
  const report = await scanImage(ref, { cfg: w.cfg, database: w.database });
  const image = { registry: w.reg.host, repository, digest: report.rootDigest };
  const governing = await new PolicyStore(w.database).governing(w.reg.host, repository);
  const v = evaluateReport(report, image, governing);
  return { v, change: await recordVerdict(w.database, image, v, governing.policy, null) };
}

export async function skopeo(args: string[]): Promise<{ ok: boolean; out: string }> {
  try {
    const r = await run('skopeo', ['--insecure-policy', ...args], { timeout: 60_000 });
    return { ok: true, out: r.stdout };
  } catch (e: any) {
    return { ok: false, out: `${e.stdout ?? ''}${e.stderr ?? ''}` };
  }
}
