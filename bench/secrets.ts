// Secret scanning overhead: the lab image's inventory (in-process, no layer cache) with secret
// scanning on vs off, alternated so page cache and JIT warm-up favour neither; plus the scanner's
// own throughput over the text it read.
import { join } from 'node:path';
import { secretScanStats } from '../src/analyzers/secrets.ts';
import { takeInventory } from '../src/scan/inventory.ts';
import { loadConfig } from '../src/config/load.ts';

export async function benchSecrets(ref: string, work: string, runs = 2) {
  const base = loadConfig({ env: { CUSTOMS_DATA: join(work, 'secrets-bench') } });
  const off = { ...base, secrets: { ...base.secrets, enabled: false } };
  const time = async (cfg: typeof base) => {
    const t = process.hrtime.bigint();
    const run = await takeInventory(ref, cfg, { cache: false });
    return { s: Number(process.hrtime.bigint() - t) / 1e9, secrets: run.inventories.reduce((a, i) => a + (i.secrets?.length ?? 0), 0) };
  };
  await time(off); // warm-up: registry page cache, module compilation
  const offS: number[] = [], onS: number[] = [];
  let found = 0;
  const before = { ...secretScanStats };
  for (let i = 0; i < runs; i++) {
    offS.push((await time(off)).s);
    const on = await time(base);
    onS.push(on.s);
    found = on.secrets;
  }
  const mb = (secretScanStats.bytes - before.bytes) / runs / 1048576;
  const scanMs = (secretScanStats.ms - before.ms) / runs;
  const min = (a: number[]) => Math.min(...a);
  return {
    ref, runs, inventoryWithoutSecretsS: +min(offS).toFixed(3), inventoryWithSecretsS: +min(onS).toFixed(3),
    secretsOverInventory: +(min(onS) / min(offS)).toFixed(3), target: '≤ 1.25',
    textFilesScanned: Math.round((secretScanStats.files - before.files) / runs), textMbScanned: +mb.toFixed(1),
    scannerMbPerSecond: +(mb / (scanMs / 1000)).toFixed(1), secretsFound: found,
  };
}
