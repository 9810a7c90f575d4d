export interface TableFit {
  /** the line width to fit (the terminal's columns); unlimited when absent */
  maxWidth?: number;
  /** columns that give up width first, in order: cut to `min` characters, keeping the end of a path ('start') or the beginning of a text ('end') */
  shrink?: { column: number; min: number; cut: 'start' | 'end' }[];
}

/** A plain-text table: columns padded to the widest cell, no colours (pipes and logs stay readable). */
export function renderTable(headers: string[], rows: string[][], fit: TableFit = {}): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  if (fit.maxWidth) narrowColumns(widths, fit.maxWidth, fit.shrink ?? []);
  const cut = new Map((fit.shrink ?? []).map((s) => [s.column, s.cut]));
  const cell = (c: string, i: number) => c.length <= widths[i]! ? c : cut.get(i) === 'start' ? `…${c.slice(c.length - widths[i]! + 1)}` : `${c.slice(0, widths[i]! - 1)}…`;
  const line = (cells: string[]) => cells.map((c, i) => (i === cells.length - 1 ? cell(c, i) : cell(c, i).padEnd(widths[i]!))).join('  ').trimEnd();
  return [line(headers), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n') + '\n';
}

/** Take width from the shrinkable columns, in order, until the line fits (or they are at their minimum). */
function narrowColumns(widths: number[], maxWidth: number, shrink: NonNullable<TableFit['shrink']>): void {
  let excess = widths.reduce((a, w) => a + w, 0) + 2 * (widths.length - 1) - maxWidth;
  for (const s of shrink) {
    if (excess <= 0) return;
    const w = widths[s.column];
    if (w === undefined) continue;
    const give = Math.min(excess, Math.max(0, w - s.min));
    widths[s.column] = w - give;
    excess -= give;
  }
}
