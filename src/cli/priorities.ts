// `customs priorities [--format table|json]`: what to fix first across the fleet, from the database the
// service writes (workloads imported, scans stored): the ordered upgrades, each with its findings'
// priorities factor by factor (JSON) or the strongest factors (table).
import type { Config } from '../config/schema.ts';
import { openDatabase } from '../db/client.ts';
import { CustomsError } from '../errors.ts';
import { fleetPriorities } from '../priorities/fleet.ts';
import { renderTable } from '../util/table.ts';

export async function prioritiesCommand(args: string[], cfg: Config, flags: { format?: string }, out: (s: string) => void = (s) => process.stdout.write(s)): Promise<number> {
  if (args.length) throw new CustomsError('usage', 'customs priorities takes no arguments (--format table|json)');
  const format = flags.format ?? 'table';
  if (format !== 'table' && format !== 'json') throw new CustomsError('usage', `customs priorities --format table|json, not "${format}"`);
  const database = await openDatabase(cfg);
  try {
    const r = await fleetPriorities(database, { criticalityLabel: cfg.priorities.criticalityLabel });
    if (format === 'json') {
      out(JSON.stringify({ total: r.total, items: r.fixes, unscanned: r.unscanned, criticalityLabel: cfg.priorities.criticalityLabel, weights: r.weights }, null, 2) + '\n');
      return 0;
    }
    if (!r.fixes.length) out('nothing to fix: no finding in a scanned image that runs in an imported workload\n');
    else {
      out(renderTable(['#', 'PRIORITY', 'FIX', 'TOP FINDING', 'WHY'], r.fixes.map((f) => {
        const top = f.findings[0]!;
        const why = top.factors.filter((x) => x.points > 0).sort((a, b) => b.points - a.points).map((x) => `${x.factor} +${x.points}`).join(', ');
        return [String(f.rank), String(f.priority), f.action, `${top.id} (${top.score})`, why];
      })));
      out(`weights: ${r.weights}\n`);
    }
    if (r.unscanned.length) out(`${r.unscanned.length} running image${r.unscanned.length === 1 ? ' has' : 's have'} no stored scan: ${r.unscanned.slice(0, 5).join(', ')}${r.unscanned.length > 5 ? ', …' : ''}\n`);
    return 0;
  } finally {
    database.close();
  }
}
