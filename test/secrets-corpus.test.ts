// Recall and false alarms, measured the way users meet them: a labelled corpus of real-format
// secrets and look-alikes (test/helpers/secret-corpus.ts) written as files at realistic paths into
// tar layers, pushed to the real registry, and inventoried through the layer walker. The
// thresholds are the targets and fail the test when a rule change costs recall or precision.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { takeInventory } from '../src/scan/inventory.ts';
import { RegistryClient } from '../src/registry/client.ts';
import type { ImageInventory } from '../src/types.ts';
import { pushImage } from './helpers/push.ts';
import { startRegistry, testConfig, type TestRegistry } from './helpers/registry.ts';
import { buildCorpus, type Sample } from './helpers/secret-corpus.ts';
import { generateKeys } from './helpers/secret-fixtures.ts';
import { scoreCorpus, scoreTable, type CorpusScore, type SampleHits } from './helpers/secret-measure.ts';
import { gzip, makeTar } from './helpers/tar.ts';

/** True samples per provider format (CORPUS_PER_FORMAT=20 for a larger run). */
const PER_FORMAT = Number(process.env.CORPUS_PER_FORMAT ?? 3);

let reg: TestRegistry;
let inv: ImageInventory;
let samples: Sample[];
let score: CorpusScore;
/** layer index and path of each sample */
const placed = new Map<Sample, [number, string]>();

/** One layer per repetition of a path: the k-th sample written to a path goes into layer k. */
function layersOf(all: Sample[]): Sample[][] {
  const layers: Sample[][] = [];
  const uses = new Map<string, number>();
  for (const s of all) {
    const k = uses.get(s.path) ?? 0;
    uses.set(s.path, k + 1);
    (layers[k] ??= []).push(s);
    placed.set(s, [k, s.path]);
  }
  return layers;
}

beforeAll(async () => {
  reg = await startRegistry({ auth: 'none' });
  samples = buildCorpus(generateKeys(), PER_FORMAT, 20 * PER_FORMAT);
  const layers = await Promise.all(layersOf(samples).map(async (ls) => ({ data: gzip(await makeTar(ls.map((s) => ({ path: s.path.slice(1), content: s.content })))) })));
  const client = new RegistryClient(testConfig());
  await pushImage(client, reg.host, 'secrets/corpus', 'v1', {
    layers,
    config: { architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [] }, config: { Env: ['PATH=/usr/bin'] } },
  });
  await client.close();
  const run = await takeInventory(`${reg.host}/secrets/corpus:v1`, testConfig({ dataDir: mkdtempSync(join(tmpdir(), 'customs-corpus-')) }), { cache: false });
  inv = run.inventories[0]!;
  const hits = new Map<string, SampleHits[]>();
  for (const s of inv.secrets ?? []) {
    const key = `${s.layerIndex}\0${s.path}`;
    hits.set(key, [...(hits.get(key) ?? []), { rule: s.rule, fingerprint: s.fingerprint }]);
  }
  score = scoreCorpus(samples, (s) => { const [k, p] = placed.get(s)!; return hits.get(`${k}\0${p}`) ?? []; });
  console.log(`secret corpus: ${samples.length} files in ${layers.length} layers\n${scoreTable(score)}`);
}, 300_000);
afterAll(async () => { await reg?.stop(); });

describe('secret corpus through a registry', () => {
  it('finds ≥ 0.95 of the true samples in every family, ≥ 0.97 overall', () => {
    expect(score.overall.positives).toBeGreaterThan(500);
    for (const f of score.families) if (f.positives >= 10) expect(f.recall, `${f.family}; missed: ${score.missed.join('; ')}`).toBeGreaterThanOrEqual(0.95);
    expect(score.overall.recall, score.missed.join('\n')).toBeGreaterThanOrEqual(0.97);
  });

  it('flags ≤ 2% of the look-alikes overall and ≤ 5% in any family', () => {
    expect(score.overall.negatives).toBeGreaterThan(500);
    expect(score.overall.falseAlarmRate, score.falseAlarms.join('\n')).toBeLessThanOrEqual(0.02);
    for (const f of score.families) if (f.negatives >= 10) expect(f.falseAlarmRate, `${f.family}: ${score.falseAlarms.join('; ')}`).toBeLessThanOrEqual(0.05);
  });

  it('reports a provider token under its provider, not as a generic password', () => {
    const generic = score.otherRule.filter((o) => o.includes(': generic-password (expected') && !o.includes('(expected generic'));
    expect(generic.length / score.overall.found, generic.join('\n')).toBeLessThanOrEqual(0.02);
  });

  it('never carries a value: the inventory holds masked forms and fingerprints only', () => {
    const json = JSON.stringify(inv);
    const leaked = samples.filter((s) => s.positive && s.value && s.value.length >= 12 && json.includes(s.value)).map((s) => s.id);
    expect(leaked).toEqual([]);
    for (const s of inv.secrets ?? []) expect(s.masked).toMatch(/\*{4}/);
  });
});
