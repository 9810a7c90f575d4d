// `customs families [--format table|json]`: images that share a base, from the database the service
// writes — the base's findings, the derived images and where they run, and the rebuild that fixes them.
import type { Config } from '../config/schema.ts';
import { openDatabase } from '../db/client.ts';
import { CustomsError } from '../errors.ts';
import { fleetFamilies } from '../priorities/lineage-load.ts';
import { renderTable } from '../util/table.ts';

export async function familiesCommand(args: string[], cfg: Config, flags: { format?: string }, out: (s: string) => void = (s) => process.stdout.write(s)): Promise<number> {
  if (args.length) throw new CustomsError('usage', 'customs families takes no arguments (--format table|json)');
  const format = flags.format ?? 'table';
  if (format !== 'table' && format !== 'json') throw new CustomsError('usage', `customs families --format table|json, not "${format}"`);
  const database = await openDatabase(cfg);
  try {
    const all = await fleetFamilies(database);
    if (format === 'json') { out(JSON.stringify({ total: all.length, items: all }, null, 2) + '\n'); return 0; }
    if (!all.length) { out('no families: no scanned image is built on another scanned image\n'); return 0; }
    out(renderTable(['BASE', 'FINDINGS', 'DERIVED', 'RUNNING', 'REBUILD'], all.map((f) => [
      `${f.base.registry}/${f.base.repository}${f.base.tags.length ? `:${f.base.tags[0]}` : `@${f.base.digest.slice(0, 19)}`}`,
      String(f.base.findings),
      f.derived.map((d) => `${d.repository}${d.tags.length ? `:${d.tags[0]}` : ''}`).join(', '),
      `${f.running.workloads} workloads, ${f.running.internetFacing} internet-facing`,
      f.rebuild?.action ?? '',
    ])));
    return 0;
  } finally {
    database.close();
  }
}
