// The layers of src/, bottom first, and the check that keeps imports pointing down (test/boundaries.test.ts,
// part of `npm test`). A folder (or a file at the top of src/) may import its own layer and the layers below;
// the folders of one layer must not import each other in a loop; no files import each other in a loop.
// Imports are read as text: static `import`/`export … from`, side-effect `import '…'` and `import('…')`.
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

export const LAYERS: { name: string; parts: string[] }[] = [
  { name: 'foundation', parts: ['types.ts', 'errors.ts', 'version.ts', 'log.ts', 'metrics.ts', 'util', 'boot'] },
  { name: 'rules and vocabularies', parts: ['versions', 'secrets', 'eol', 'hygiene'] },
  { name: 'settings and stores', parts: ['config', 'db'] },
  { name: 'pull and analyze', parts: ['registry', 'image', 'analyzers', 'cache', 'licenses'] },
  { name: 'ecosystems', parts: ['ecosystems'] },
  { name: 'vulnerability data', parts: ['vulndb'] },
  { name: 'inventory and intake', parts: ['pipeline.ts', 'sbom', 'webhooks'] },
  { name: 'scan, policy, reports', parts: ['scan', 'policy', 'report'] },
  { name: 'verdicts', parts: ['jobs', 'judge', 'quarantine', 'signing', 'attest', 'publish'] },
  { name: 'HTTP answers and API auth', parts: ['http'] },
  { name: 'service', parts: ['server', 'gate', 'harbor', 'console', 'admission', 'workloads', 'priorities', 'notify'] },
  { name: 'command line', parts: ['cli'] },
  { name: 'entry points', parts: ['main.ts', 'index.ts'] },
];

/**
 * Imports that break the rules today, each named whole (file -> file) so that no new one hides behind it.
 * They are debts of issue 20: the list only shrinks (an entry that no longer matches an import fails too).
 */
export const KNOWN_DEBTS: Record<string, string> = {
};

export type Edge = readonly [from: string, to: string];

const IMPORT = /(?:^|[\n;])\s*(?:import|export)\s(?:[^;'"`]*?\sfrom\s*)?["']([^"']+)["']|\bimport\(\s*["']([^"']+)["']\s*\)/g;

/** Every import between two files of src/ (paths from the repository root). */
export function sourceImports(root: string): Edge[] {
  const files: string[] = [];
  const walk = (dir: string) => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const p = join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.name.endsWith('.ts')) files.push(p);
    }
  };
  walk(join(root, 'src'));
  const edges: Edge[] = [];
  for (const f of files) {
    for (const m of readFileSync(f, 'utf8').matchAll(IMPORT)) {
      const spec = m[1] ?? m[2]!;
      if (!spec.startsWith('.')) continue;
      edges.push([relative(root, f), relative(root, resolve(dirname(f), spec))]);
    }
  }
  return edges;
}

/** The part of src/ a file belongs to: its top folder, or the file itself at the top. */
export function partOf(file: string): string {
  return file.split('/')[1]!;
}

function layerOf(part: string): number {
  return LAYERS.findIndex((l) => l.parts.includes(part));
}

/** Cycles (strongly connected components of more than one node) of a directed graph. */
export function cycles(edges: Iterable<Edge>): string[][] {
  const next = new Map<string, string[]>();
  for (const [a, b] of edges) {
    if (a === b) continue;
    next.set(a, [...(next.get(a) ?? []), b]);
    if (!next.has(b)) next.set(b, []);
  }
  const index = new Map<string, number>(), low = new Map<string, number>(), stack: string[] = [], on = new Set<string>(), out: string[][] = [];
  let i = 0;
  const visit = (v: string) => {
    index.set(v, i); low.set(v, i); i++; stack.push(v); on.add(v);
    for (const w of next.get(v)!) {
      if (!index.has(w)) { visit(w); low.set(v, Math.min(low.get(v)!, low.get(w)!)); }
      else if (on.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) === index.get(v)) {
      const c: string[] = [];
      let w: string;
      do { w = stack.pop()!; on.delete(w); c.push(w); } while (w !== v);
      if (c.length > 1) out.push(c.sort());
    }
  };
  for (const v of next.keys()) if (!index.has(v)) visit(v);
  return out;
}

/** What breaks the rules, one line each; empty when the imports point down. */
export function boundaryViolations(edges: Edge[], debts: Record<string, string> = KNOWN_DEBTS): string[] {
  const out: string[] = [];
  const parts = new Set(edges.flatMap(([a, b]) => [partOf(a), partOf(b)]));
  for (const p of [...parts].sort()) if (layerOf(p) < 0) out.push(`src/${p} is on no layer: add it to LAYERS in test/helpers/boundaries.ts`);
  const seen = new Set<string>();
  const partEdges: Edge[] = [];
  for (const [a, b] of edges) {
    const key = `${a} -> ${b}`;
    if (key in debts) { seen.add(key); continue; }
    const pa = partOf(a), pb = partOf(b);
    if (pa === pb) continue;
    partEdges.push([pa, pb]);
    const la = layerOf(pa), lb = layerOf(pb);
    if (la >= 0 && lb > la) out.push(`upward import: ${key} (layer "${LAYERS[la]!.name}" imports layer "${LAYERS[lb]!.name}")`);
  }
  for (const c of cycles(partEdges)) out.push(`folders import each other in a loop: ${c.join(', ')}`);
  for (const c of cycles(edges)) out.push(`files import each other in a loop: ${c.join(', ')}`);
  for (const key of Object.keys(debts)) if (!seen.has(key)) out.push(`known debt no longer in the code (take it off KNOWN_DEBTS): ${key}`);
  return out;
}
