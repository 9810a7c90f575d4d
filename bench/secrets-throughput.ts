// Secret-scan throughput on the lab image's own text files, as ratios against a baseline measured
// in the same run: the baseline reads the same bytes as the scanner sees them (latin1 decode plus
// one pass over the text), "narrow" runs only the 20 rules Customs had before issue 21 (same
// engine, same keyword pass), "full" runs every rule. The ratios say what rule breadth costs,
// whatever the machine.
import { createReadStream, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Analyzer, FileSink } from '../src/analyzers/analyzer.ts';
import { makeSecretsAnalyzer } from '../src/analyzers/secrets.ts';
import { loadConfig } from '../src/config/load.ts';
import { analyzeLayer } from '../src/image/layer-walker.ts';
import { getDefaultScanner, scanText, type SecretScanner } from '../src/secrets/scan.ts';
import type { Descriptor } from '../src/types.ts';

/** The rule ids of Customs' secret rules before issue 21. */
const BEFORE_BREADTH = new Set(['aws-access-key-id', 'aws-secret-access-key', 'gcp-service-account', 'gcp-api-key', 'azure-storage-key',
  'azure-sas-connection', 'github-token', 'github-fine-grained-pat', 'gitlab-pat', 'npm-token', 'pypi-token', 'dockerhub-pat', 'slack-token',
  'slack-webhook', 'stripe-key', 'twilio-api-key', 'sendgrid-api-key', 'private-key', 'jwt', 'database-url-password', 'generic-password']);

/** The texts the secrets analyzer would scan in an OCI layout's image: its own sink decides (size cap, skip list, NUL probe). */
export async function textsOf(layout: string, tag: string): Promise<{ path: string; text: Buffer }[]> {
  const blob = (digest: string) => join(layout, 'blobs', digest.replace(':', '/'));
  const index = JSON.parse(readFileSync(join(layout, 'index.json'), 'utf8')) as { manifests: (Descriptor & { annotations?: Record<string, string> })[] };
  const m = index.manifests.find((d) => d.annotations?.['org.opencontainers.image.ref.name'] === tag) ?? index.manifests[0]!;
  const manifest = JSON.parse(readFileSync(blob(m.digest), 'utf8')) as { layers: Descriptor[] };
  const secrets = makeSecretsAnalyzer();
  const out: { path: string; text: Buffer }[] = [];
  const collector: Analyzer = {
    name: 'bench-texts', version: 1, wants: () => false, analyze: () => null,
    openSink(entry): FileSink | null {
      const real = secrets.openSink!(entry);
      if (!real) return null;
      const chunks: Buffer[] = [];
      let kept = true;
      return {
        write(chunk) { if (real.write(chunk) === false) { kept = false; return false; } chunks.push(chunk); return true; },
        end() { if (kept) out.push({ path: entry.path, text: Buffer.concat(chunks) }); return null; },
      };
    },
  };
  const limits = loadConfig({ env: {} }).limits;
  for (const l of manifest.layers) await analyzeLayer(createReadStream(blob(l.digest)), l, [collector], limits);
  return out;
}

function best(runs: number, f: () => void): number {
  let min = Infinity;
  for (let i = 0; i < runs; i++) { const t = performance.now(); f(); min = Math.min(min, performance.now() - t); }
  return min;
}

export async function benchSecretThroughput(layout: string, tag = 'app', runs = 3) {
  const texts = await textsOf(layout, tag);
  const bytes = texts.reduce((a, t) => a + t.text.length, 0);
  const full = getDefaultScanner();
  const narrow: SecretScanner = { ...full, rules: full.rules.filter((r) => BEFORE_BREADTH.has(r.rule.id)) };
  const found = { narrow: 0, full: 0, read: 0 };
  const scan = (s: SecretScanner, k: 'narrow' | 'full') => () => { found[k] = 0; for (const t of texts) found[k] += scanText(s, t.text.toString('latin1'), { path: t.path }).length; };
  // interleaved, best of `runs`: machine load and JIT warm-up favour none of the three
  let baselineMs = Infinity, narrowMs = Infinity, fullMs = Infinity;
  for (let i = 0; i < runs; i++) {
    baselineMs = Math.min(baselineMs, best(1, () => { for (const t of texts) found.read += t.text.toString('latin1').indexOf('\u0000'); }));
    narrowMs = Math.min(narrowMs, best(1, scan(narrow, 'narrow')));
    fullMs = Math.min(fullMs, best(1, scan(full, 'full')));
  }
  const mbps = (ms: number) => +(bytes / 1048576 / (ms / 1000)).toFixed(1);
  return {
    files: texts.length, mb: +(bytes / 1048576).toFixed(1), rules: { narrow: narrow.rules.length, full: full.rules.length },
    readMbPerSecond: mbps(baselineMs), narrowMbPerSecond: mbps(narrowMs), fullMbPerSecond: mbps(fullMs),
    narrowOverRead: +(narrowMs / baselineMs).toFixed(1), fullOverRead: +(fullMs / baselineMs).toFixed(1),
    fullOverNarrow: +(fullMs / narrowMs).toFixed(2), target: 'full ≥ 60 MB/s', findings: { narrow: found.narrow, full: found.full },
  };
}
