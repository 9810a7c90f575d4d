// Dependencies point down: the layers of src/ (test/helpers/boundaries.ts) and no import loops.
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { boundaryViolations, KNOWN_DEBTS, sourceImports, type Edge } from './helpers/boundaries.ts';

const root = fileURLToPath(new URL('..', import.meta.url));

describe('import boundaries', () => {
  const edges = sourceImports(root);

  it('reads the imports of src/', () => {
    expect(edges.length).toBeGreaterThan(500);
    expect(edges).toContainEqual(['src/main.ts', 'src/cli/main.ts']);
  });

  it('src/ imports only its own layer and the layers below, with no loops', () => {
    expect(boundaryViolations(edges)).toEqual([]);
  });

  it('fails on an upward import added to the code', () => {
    const upward: Edge = ['src/scan/scan-image.ts', 'src/cli/progress.ts'];
    const found = boundaryViolations([...edges, upward]);
    expect(found[0]).toBe('upward import: src/scan/scan-image.ts -> src/cli/progress.ts (layer "scan, policy, reports" imports layer "command line")');
    // cli imports scan: the new import closes a loop of folders too
    expect(found[1]).toMatch(/^folders import each other in a loop: .*\bcli\b.*\bscan\b/);
    expect(found).toHaveLength(2);
  });

  it('fails on a loop inside one layer, between folders or files', () => {
    const sideways: Edge = ['src/policy/store.ts', 'src/report/table.ts'];
    expect(boundaryViolations([...edges, ['src/report/fix-plan.ts', 'src/policy/schema.ts'], sideways]))
      .toContain('folders import each other in a loop: policy, report');
    expect(boundaryViolations([...edges, ['src/util/json.ts', 'src/util/yaml.ts'], ['src/util/yaml.ts', 'src/util/json.ts']]))
      .toEqual(['files import each other in a loop: src/util/json.ts, src/util/yaml.ts']);
  });

  it('fails on a folder on no layer and on a known debt that was paid', () => {
    expect(boundaryViolations([...edges, ['src/newfolder/thing.ts', 'src/log.ts']]))
      .toEqual(['src/newfolder is on no layer: add it to LAYERS in test/helpers/boundaries.ts']);
    expect(boundaryViolations(edges, { ...KNOWN_DEBTS, 'src/util/json.ts -> src/cli/main.ts': 'paid long ago' }))
      .toEqual(['known debt no longer in the code (take it off KNOWN_DEBTS): src/util/json.ts -> src/cli/main.ts']);
  });
});
