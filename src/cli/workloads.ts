// `customs workloads import FILE --cluster NAME`: what runs in a cluster Customs cannot reach, from
// `kubectl get pods,services,ingresses,httproutes -A -o json` saved to FILE (- for standard input),
// written to the database the service reads — like `customs priorities` and `customs quarantine`, the
// command works on the database directly, through the same code as POST /api/v1/workloads
// (src/workloads/ingest.ts). `customs workloads list [--cluster NAME] [--format table|json]` shows it.
import { readFileSync, statSync } from 'node:fs';
import type { Config } from '../config/schema.ts';
import { CLUSTER_NAME } from '../config/workloads-schema.ts';
import { openDatabase } from '../db/client.ts';
import { CustomsError } from '../errors.ts';
import { log } from '../log.ts';
import { renderTable } from '../util/table.ts';
import { ingestInventory } from '../workloads/ingest.ts';
import { InventoryError } from '../workloads/inventory.ts';
import { listWorkloads } from '../workloads/store.ts';

/** the API's cap on an import body (src/workloads/routes.ts) */
const MAX_IMPORT_BYTES = 256 * 1024 * 1024;
const USAGE = 'customs workloads import FILE --cluster NAME (FILE: kubectl get pods,services,ingresses,httproutes -A -o json; - for standard input) | list [--cluster NAME] [--format table|json]';

export async function workloadsCommand(args: string[], cfg: Config, flags: { cluster?: string; format?: string }, out: (s: string) => void = (s) => process.stdout.write(s)): Promise<number> {
  const [sub, ...rest] = args;
  if (sub === 'import') return importCommand(rest, cfg, flags, out);
  if (sub === 'list') return listCommand(rest, cfg, flags, out);
  throw new CustomsError('usage', sub ? `unknown workloads subcommand "${sub}": ${USAGE}` : `customs workloads needs a subcommand: ${USAGE}`);
}

async function importCommand(rest: string[], cfg: Config, flags: { cluster?: string; format?: string }, out: (s: string) => void): Promise<number> {
  if (rest.length !== 1) throw new CustomsError('usage', `customs workloads import takes one file: ${USAGE}`);
  const file = rest[0]!;
  if (!flags.cluster) throw new CustomsError('usage', 'customs workloads import needs --cluster NAME (the cluster the kubectl output comes from)');
  if (!CLUSTER_NAME.test(flags.cluster)) throw new CustomsError('usage', `--cluster "${flags.cluster}": lower-case letters, digits, ".", "_", "-", at most 63`);
  if (flags.format && flags.format !== 'json' && flags.format !== 'table') throw new CustomsError('usage', `--format table|json, not "${flags.format}"`);
  let text: string;
  try {
    if (file !== '-' && statSync(file).size > MAX_IMPORT_BYTES) throw new CustomsError('limit', `${file} is larger than ${MAX_IMPORT_BYTES} bytes`);
    text = readFileSync(file === '-' ? 0 : file, 'utf8');
  } catch (e: any) {
    if (e instanceof CustomsError) throw e;
    throw new CustomsError('usage', `cannot read ${file}: ${e.code ?? e.message}`);
  }
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    throw new CustomsError('usage', `${file === '-' ? 'standard input' : file} is not JSON (${(e as Error).message}): give kubectl get pods,services,ingresses,httproutes -A -o json`);
  }
  const database = await openDatabase(cfg);
  try {
    const summary = await ingestInventory(database, flags.cluster, doc, { criticalityKey: cfg.priorities.criticalityLabel });
    log.info({ ...summary, via: 'cli', file }, 'workload inventory imported');
    if (flags.format === 'json') out(JSON.stringify(summary, null, 2) + '\n');
    else out(`cluster ${summary.cluster}: ${summary.pods} pods, ${summary.workloads} workloads, ${summary.containers} containers (${summary.internetFacing} internet-facing workloads, ${summary.withoutDigest} containers without a running digest)\n`);
    return 0;
  } catch (e) {
    if (e instanceof InventoryError) throw new CustomsError('usage', `${file === '-' ? 'standard input' : file}: ${e.message}`);
    throw e;
  } finally {
    database.close();
  }
}

async function listCommand(rest: string[], cfg: Config, flags: { cluster?: string; format?: string }, out: (s: string) => void): Promise<number> {
  if (rest.length) throw new CustomsError('usage', `customs workloads list takes no arguments: ${USAGE}`);
  const format = flags.format ?? 'table';
  if (format !== 'json' && format !== 'table') throw new CustomsError('usage', `--format table|json, not "${format}"`);
  const database = await openDatabase(cfg);
  try {
    const items = await listWorkloads(database, flags.cluster ? { cluster: flags.cluster } : {});
    if (format === 'json') { out(JSON.stringify({ items }, null, 2) + '\n'); return 0; }
    if (!items.length) { out(`no workloads${flags.cluster ? ` in cluster ${flags.cluster}` : ''}\n`); return 0; }
    out(renderTable(['CLUSTER', 'WORKLOAD', 'CONTAINER', 'REPLICAS', 'EXPOSURE', 'CRITICALITY', 'DIGEST'], items.map((w) => [
      w.cluster, `${w.namespace}/${w.kind}/${w.name}`, w.container, String(w.replicas),
      w.exposure === 'internet' ? `internet (${w.exposedBy.join(', ')})` : 'internal', w.criticality ?? '', w.digest ? w.digest.slice(0, 19) : '(not pulled)',
    ])));
    return 0;
  } finally {
    database.close();
  }
}
