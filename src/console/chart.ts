// Server-rendered SVG: findings (bars) and quarantines (dots) per day. No script, readable as a
// table by screen readers (the figure carries a text summary and a data table follows it).
import { html } from 'hono/html';
import type { Html } from './layout.ts';

export function dailyChart(series: { day: number; findings: number; quarantines: number; scans: number }[]): Html {
  const W = 720, H = 180, pad = 28;
  const max = Math.max(1, ...series.map((s) => s.findings));
  const qmax = Math.max(1, ...series.map((s) => s.quarantines));
  const bw = (W - pad * 2) / series.length;
  const label = (day: number) => new Date(day * 86_400_000).toISOString().slice(5, 10);
  const total = series.reduce((a, s) => a + s.findings, 0);
  const totalQ = series.reduce((a, s) => a + s.quarantines, 0);
  return html`<figure class="chart"><svg viewBox="0 0 ${W} ${H}" role="img" aria-labelledby="chart-title"><title id="chart-title">Findings in new scans and quarantines per day, last ${series.length} days: ${total} findings, ${totalQ} quarantines</title>
<line x1="${pad}" y1="${H - pad}" x2="${W - pad}" y2="${H - pad}" class="axis"/>
${series.map((s, i) => {
    const h = ((H - pad * 2) * s.findings) / max;
    const x = pad + i * bw;
    const qy = H - pad - ((H - pad * 2) * s.quarantines) / qmax;
    return html`<rect x="${x.toFixed(1)}" y="${(H - pad - h).toFixed(1)}" width="${Math.max(1, bw - 2).toFixed(1)}" height="${h.toFixed(1)}" class="bar"><title>${label(s.day)}: ${s.findings} findings in ${s.scans} scans</title></rect>${s.quarantines ? html`<circle cx="${(x + bw / 2).toFixed(1)}" cy="${qy.toFixed(1)}" r="4" class="dot"><title>${label(s.day)}: ${s.quarantines} quarantined</title></circle>` : ''}`;
  })}
<text x="${pad}" y="${H - 8}" class="tick">${label(series[0]!.day)}</text><text x="${W - pad}" y="${H - 8}" class="tick end">${label(series[series.length - 1]!.day)}</text>
<text x="${pad}" y="16" class="tick">max ${max} findings/day</text></svg>
<figcaption>Bars: findings in the scans finished that day. Dots: images quarantined that day.</figcaption></figure>`;
}
