// Scores secret findings against a labelled corpus (test/helpers/secret-corpus.ts): recall per
// family on the true samples, false-alarm rate on the look-alikes. Kept apart from how the
// findings were obtained (through a registry and the layer walker in the tests, in process for a
// quick comparison with an older scanner) so every caller counts the same way.
import { fingerprintSecret } from '../../src/secrets/scan.ts';
import type { Sample } from './secret-corpus.ts';

/** What the scanner reported for one sample's file. */
export interface SampleHits { rule: string; fingerprint: string }

export interface FamilyScore { family: string; positives: number; found: number; recall: number; negatives: number; falseAlarms: number; falseAlarmRate: number }

export interface CorpusScore {
  families: FamilyScore[];
  overall: FamilyScore;
  /** positives reported under another rule than the expected one (still found) */
  otherRule: string[];
  /** ids of missed positives and of flagged negatives, with their kind (for failure messages) */
  missed: string[];
  falseAlarms: string[];
}

const ratio = (a: number, b: number) => (b === 0 ? 1 : +(a / b).toFixed(4));

/**
 * A positive is found when a hit in its file has the fingerprint of its value (or, for samples
 * that carry no single value, when its file has any hit); a negative is a false alarm when its
 * file has any hit at all.
 */
export function scoreCorpus(samples: Sample[], hitsOf: (s: Sample) => SampleHits[]): CorpusScore {
  const by = new Map<string, { positives: number; found: number; negatives: number; falseAlarms: number }>();
  const missed: string[] = [], falseAlarms: string[] = [], otherRule: string[] = [];
  for (const s of samples) {
    const f = by.get(s.family) ?? { positives: 0, found: 0, negatives: 0, falseAlarms: 0 };
    by.set(s.family, f);
    const hits = hitsOf(s);
    if (s.positive) {
      f.positives++;
      // a URL's secret part is fingerprinted without its scheme (webhook rules report host and path)
      const want = s.value === undefined ? undefined : [fingerprintSecret(s.value), fingerprintSecret(s.value.replace(/^https?:\/\//, ''))];
      const hit = hits.find((h) => want === undefined || want.includes(h.fingerprint));
      if (hit) {
        f.found++;
        if (s.rule && hit.rule !== s.rule) otherRule.push(`${s.id} ${s.kind}: ${hit.rule} (expected ${s.rule})`);
      } else missed.push(`${s.id} ${s.kind} ${s.path}${hits.length ? ` (other hits: ${hits.map((h) => h.rule).join(',')})` : ''}`);
    } else {
      f.negatives++;
      if (hits.length) { f.falseAlarms++; falseAlarms.push(`${s.id} ${s.kind} ${s.path}: ${hits.map((h) => h.rule).join(',')}`); }
    }
  }
  const score = (family: string, f: { positives: number; found: number; negatives: number; falseAlarms: number }): FamilyScore =>
    ({ family, ...f, recall: ratio(f.found, f.positives), falseAlarmRate: f.negatives ? +(f.falseAlarms / f.negatives).toFixed(4) : 0 });
  const families = [...by.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([k, f]) => score(k, f));
  const total = families.reduce((a, f) => ({ positives: a.positives + f.positives, found: a.found + f.found, negatives: a.negatives + f.negatives, falseAlarms: a.falseAlarms + f.falseAlarms }),
    { positives: 0, found: 0, negatives: 0, falseAlarms: 0 });
  return { families, overall: score('overall', total), otherRule, missed, falseAlarms };
}

/** The per-family table printed by the test and the benchmark (the README's table is copied from it). */
export function scoreTable(s: CorpusScore): string {
  const rows = [...s.families, s.overall].map((f) =>
    `| ${f.family} | ${f.positives} | ${f.recall.toFixed(3)} | ${f.negatives} | ${(f.falseAlarmRate * 100).toFixed(1)}% |`);
  return ['| family | true samples | recall | look-alikes | false alarms |', '| --- | ---: | ---: | ---: | ---: |', ...rows].join('\n');
}
