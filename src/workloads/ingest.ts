// The one way an inventory reaches the store: kubectl output posted to the API, the same file given to
// `customs workloads import`, and the List the Kubernetes API sync assembles (./sync.ts) all go
// through ingestInventory — parsed by ./inventory.ts, written by ./store.ts.
import type { Database } from '../db/client.ts';
import { parseInventory, type InventoryOptions } from './inventory.ts';
import { importWorkloads } from './store.ts';

export interface IngestSummary {
  cluster: string; pods: number; workloads: number; containers: number; internetFacing: number; withoutDigest: number;
}

/** Parse (InventoryError when it is not kubectl output) and replace what `cluster` runs. */
export async function ingestInventory(database: Database, cluster: string, doc: unknown, opts: InventoryOptions = {}): Promise<IngestSummary> {
  const parsed = parseInventory(doc, opts);
  await importWorkloads(database, cluster, parsed.containers);
  const id = (w: { namespace: string; kind: string; name: string }) => `${w.namespace}/${w.kind}/${w.name}`;
  return {
    cluster, pods: parsed.pods, workloads: new Set(parsed.containers.map(id)).size, containers: parsed.containers.length,
    internetFacing: new Set(parsed.containers.filter((w) => w.exposure === 'internet').map(id)).size,
    withoutDigest: parsed.containers.filter((w) => !w.digest).length,
  };
}
