import type { Progress } from '../scan/inventory.ts';
import { progressEnabled } from './terminal.ts';

/** A one-line download progress display on stderr, only when stderr is a terminal (and not --quiet / --no-progress). */
export function createProgress(label: string): Progress | undefined {
  if (!progressEnabled()) return undefined;
  let total = 0;
  let got = 0;
  let last = 0;
  const draw = (force = false) => {
    const now = Date.now();
    if (!force && now - last < 100) return;
    last = now;
    const pct = total ? Math.min(100, Math.floor((got / total) * 100)) : 100;
    process.stderr.write(`\r${label}: ${mb(got)} / ${mb(total)} MB (${pct}%)   `);
  };
  return {
    onPlan: (p) => {
      total = p.bytesToFetch;
      process.stderr.write(`${label}: ${p.layers} layers, ${p.cachedLayers} cached, ${mb(total)} MB to fetch\n`);
    },
    onBytes: (n) => { got += n; draw(); },
    done: () => { if (total) { draw(true); process.stderr.write('\n'); } },
  };
}

function mb(n: number): string { return (n / 1048576).toFixed(1); }
