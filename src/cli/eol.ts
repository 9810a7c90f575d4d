import { join } from 'node:path';
import type { Config } from '../config/schema.ts';
import { CustomsError } from '../errors.ts';
import { updateEolData } from '../eol/update.ts';

/** `customs eol update`: refresh end-of-life data into eol.file or <dataDir>/eol.json. */
export async function eolCommand(args: string[], cfg: Config): Promise<number> {
  if (args[0] !== 'update' || args.length !== 1) throw new CustomsError('usage', 'usage: customs eol update');
  const file = cfg.eol.file ?? join(cfg.dataDir, 'eol.json');
  const r = await updateEolData(cfg.eol.url, file, { timeoutMs: cfg.http.timeoutMs });
  process.stdout.write(`${file}: ${r.updated.length} updated, ${r.unchanged.length} unchanged, ${r.failed.length} failed\n`);
  for (const f of r.failed) process.stdout.write(`  ${f.product}: ${f.error}\n`);
  return r.failed.length ? 1 : 0;
}
