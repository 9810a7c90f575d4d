import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { npmAnalyzer, parseNpmPackageJson } from '../src/analyzers/npm.ts';
import { inventoryLayers, LIMITS, treeEntries } from './helpers/layers.ts';
import { npmLsPackages, npmProject } from './helpers/npm-tree.ts';
import { caught } from './helpers/util.ts';

let project: string;
beforeAll(() => { project = npmProject(); }, 200_000);

describe('npm analyzer on a real npm install', () => {
  it('finds exactly what npm ls --all reports, at the paths of the hidden lockfile', async () => {
    const entries = treeEntries(project, 'srv/app');
    // a test fixture inside a package that looks like an installed package: not one
    entries.push({ path: 'srv/app/node_modules/resolve/test/fixtures/node_modules/fake/package.json', content: '{"name":"fake","version":"9.9.9"}' });
    const { merged, descs } = await inventoryLayers([entries], [npmAnalyzer]);
    const npm = merged.packages.filter((p) => p.type === 'npm');

    const truth = npmLsPackages(project);
    expect(truth.size).toBeGreaterThan(30);
    expect(new Set(npm.map((p) => `${p.name}@${p.version}`))).toEqual(truth);

    // path-level: every package root in npm's own hidden lockfile, with its version, and nothing else
    const lock = JSON.parse(readFileSync(join(project, 'node_modules/.package-lock.json'), 'utf8'));
    const lockRoots = Object.entries(lock.packages as Record<string, { version: string }>)
      .map(([k, v]) => `/srv/app/${k}/package.json ${v.version}`).sort();
    expect(npm.map((p) => `${p.foundIn} ${p.version}`).sort()).toEqual(lockRoots);

    // scoped and nested older versions side by side
    expect(npm.find((p) => p.name === '@babel/code-frame')).toMatchObject({ version: '7.24.7', foundIn: '/srv/app/node_modules/@babel/code-frame/package.json', license: 'MIT', layer: descs[0]!.digest, layerIndex: 0 });
    expect(npm.filter((p) => p.name === 'debug').map((p) => `${p.version} ${p.foundIn}`).sort()).toEqual([
      '2.6.9 /srv/app/node_modules/send/node_modules/debug/package.json',
      '4.3.4 /srv/app/node_modules/debug/package.json',
    ]);
    // resolve's own test fixtures (name + version, e.g. @my-scope/package-a) and @babel/runtime's bundler hints are not packages
    expect(npm.some((p) => p.name === '@my-scope/package-a' || p.name === 'fake')).toBe(false);
    expect(npm.some((p) => p.foundIn.includes('/helpers/esm/'))).toBe(false);
    // the hidden lockfile is noted
    expect(merged.facts.filter((f) => f.id === 'npm-lockfile').map((f) => f.path)).toEqual(['/srv/app/node_modules/.package-lock.json', '/srv/app/package-lock.json']);
  }, 60_000);

  it('a global install under /usr/lib/node_modules counts; a later layer deleting a package removes it', async () => {
    const entries = treeEntries(join(project, 'node_modules/send'), 'usr/lib/node_modules/send');
    const { merged } = await inventoryLayers([entries, [{ path: 'usr/lib/node_modules/send/node_modules/.wh.ms', content: '' }]], [npmAnalyzer]);
    expect(merged.packages.map((p) => `${p.name}@${p.version} ${p.foundIn}`)).toEqual([
      'debug@2.6.9 /usr/lib/node_modules/send/node_modules/debug/package.json',
      'ms@2.0.0 /usr/lib/node_modules/send/node_modules/debug/node_modules/ms/package.json',
      'send@0.18.0 /usr/lib/node_modules/send/package.json',
    ]);
  });
});

describe('npm analyzer on hostile package.json', () => {
  it('a package.json above maxFileBytes is skipped with a warning', async () => {
    const big = JSON.stringify({ name: 'big', version: '1.0.0', description: 'x'.repeat(200_000) });
    const { merged, results } = await inventoryLayers([[{ path: 'app/node_modules/big/package.json', content: big }]], [npmAnalyzer], { ...LIMITS, maxFileBytes: 100_000 });
    expect(merged.packages).toEqual([]);
    expect(results[0]!.warnings.join('\n')).toMatch(/node_modules\/big\/package.json is \d+ bytes, above maxFileBytes 100000/);
  });

  it('malformed, deep, wrong-typed and nameless files give warnings or nothing, never a crash', async () => {
    const deep = '{"a":' + '['.repeat(5000) + ']'.repeat(5000) + '}';
    const { merged, results } = await inventoryLayers([[
      { path: 'app/node_modules/bad/package.json', content: '{"name": "bad", "version": ' },
      { path: 'app/node_modules/deep/package.json', content: deep },
      { path: 'app/node_modules/typed/package.json', content: '{"name": ["x"], "version": 1}' },
      { path: 'app/node_modules/array/package.json', content: '[1,2]' },
      { path: 'app/node_modules/latin1/package.json', content: Buffer.from([0x7b, 0x22, 0x6e, 0x61, 0x6d, 0x65, 0x22, 0x3a, 0x22, 0xe9, 0x22, 0x7d]) },
      { path: 'app/node_modules/ctl/package.json', content: '{"name":"a\\u0000b","version":"1.0.0"}' },
      { path: 'app/node_modules/ok/package.json', content: '\ufeff{"name":"ok","version":"1.0.0","licenses":[{"type":"MIT"},{"type":"Apache-2.0"}]}' },
    ]], [npmAnalyzer]);
    expect(merged.packages.map((p) => `${p.name}@${p.version} ${p.license}`)).toEqual(['ok@1.0.0 MIT OR Apache-2.0']);
    const warnings = results[0]!.warnings.join('\n');
    expect(warnings).toMatch(/node_modules\/bad\/package.json: invalid JSON/);
    expect(warnings).toMatch(/node_modules\/deep\/package.json: JSON nested deeper than 64/);
    expect((await caught(Promise.resolve().then(() => parseNpmPackageJson('/p', '{')))).kind).toBe('corrupt');
  });
});
