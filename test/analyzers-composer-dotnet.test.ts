import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { composerAnalyzer, parseComposerInstalled } from '../src/analyzers/composer.ts';
import { dotnetAnalyzer, parseDepsJson } from '../src/analyzers/dotnet.ts';
import { inventoryLayers } from './helpers/layers.ts';

// made by Debian's composer 2.5.5 (test/fixtures/composer/generate.sh)
const INSTALLED = readFileSync(new URL('./fixtures/composer/installed.json', import.meta.url));

// The layout the .NET SDK writes for a framework-dependent app (dotnet/runtime's deps.json format:
// runtimeTarget, targets keyed by framework, libraries keyed "Name/Version" with type
// project | package | reference); the SDK is not packaged for Debian, so it is written here.
const HASH = `sha512-${'A'.repeat(86)}==`; // placeholder: the analyzer does not read hashes
const DEPS = {
  runtimeTarget: { name: '.NETCoreApp,Version=v8.0', signature: '' },
  compilationOptions: {},
  targets: {
    '.NETCoreApp,Version=v8.0': {
      'WebApp/1.0.0': { dependencies: { 'Newtonsoft.Json': '13.0.1', 'Serilog.AspNetCore': '8.0.1' }, runtime: { 'WebApp.dll': {} } },
      'Newtonsoft.Json/13.0.1': { runtime: { 'lib/net6.0/Newtonsoft.Json.dll': { assemblyVersion: '13.0.0.0', fileVersion: '13.0.1.25517' } } },
      'Serilog.AspNetCore/8.0.1': { runtime: { 'lib/net8.0/Serilog.AspNetCore.dll': { assemblyVersion: '8.0.1.0', fileVersion: '8.0.1.0' } } },
      'Legacy.Interop/1.0.0.0': { runtime: { 'Legacy.Interop.dll': {} } },
    },
  },
  libraries: {
    'WebApp/1.0.0': { type: 'project', serviceable: false, sha512: '' },
    'Newtonsoft.Json/13.0.1': { type: 'package', serviceable: true, sha512: HASH, path: 'newtonsoft.json/13.0.1', hashPath: 'newtonsoft.json.13.0.1.nupkg.sha512' },
    'Serilog.AspNetCore/8.0.1': { type: 'package', serviceable: true, sha512: HASH, path: 'serilog.aspnetcore/8.0.1', hashPath: 'serilog.aspnetcore.8.0.1.nupkg.sha512' },
    'Legacy.Interop/1.0.0.0': { type: 'reference', serviceable: false, sha512: '' },
  },
};

describe('composer analyzer', () => {
  it("reads composer 2's installed.json and composer 1's array form alike", async () => {
    const v2 = JSON.parse(INSTALLED.toString('utf8'));
    const { merged, descs } = await inventoryLayers([[
      { path: 'var/www/app/vendor/composer/installed.json', content: INSTALLED },
      // composer 1 wrote the same package objects as a top-level array
      { path: 'srv/legacy/vendor/composer/installed.json', content: JSON.stringify(v2.packages) },
      { path: 'srv/other/composer.json', content: '{"name":"x/y","version":"1.0.0"}' },
    ]], [composerAnalyzer]);
    expect(merged.packages.map((p) => `${p.name}@${p.version} ${p.license} ${p.foundIn}`)).toEqual([
      'acme/http-client@v1.4.0-beta.2 MIT OR Apache-2.0 /srv/legacy/vendor/composer/installed.json',
      'acme/http-client@v1.4.0-beta.2 MIT OR Apache-2.0 /var/www/app/vendor/composer/installed.json',
      'acme/log@3.0.2 MIT /srv/legacy/vendor/composer/installed.json',
      'acme/log@3.0.2 MIT /var/www/app/vendor/composer/installed.json',
    ]);
    expect(merged.packages.every((p) => p.type === 'composer' && p.layer === descs[0]!.digest)).toBe(true);
  });

  it('bad documents: a warning or nothing', async () => {
    expect(parseComposerInstalled('/i', '{"packages": {"not": "a list"}}')).toEqual([]);
    expect(parseComposerInstalled('/i', '[{"name": "../../etc", "version": "1"}, {"name": "a/b"}, 7, null, {"name": "ok/pkg", "version": "dev-main"}]').map((p) => p.name)).toEqual(['ok/pkg']);
    const { results } = await inventoryLayers([[{ path: 'a/vendor/composer/installed.json', content: '{"packages": [' }]], [composerAnalyzer]);
    expect(results[0]!.warnings.join('\n')).toMatch(/installed.json: invalid JSON/);
  });
});

describe('dotnet analyzer', () => {
  it('reports NuGet packages of a deps.json, not the project or plain references', async () => {
    const bom = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(JSON.stringify(DEPS, null, 2))]);
    const { merged } = await inventoryLayers([[
      { path: 'app/WebApp.deps.json', content: bom },
      { path: 'app/WebApp.runtimeconfig.json', content: '{}' },
    ]], [dotnetAnalyzer]);
    expect(merged.packages.map((p) => `${p.type} ${p.name}@${p.version} ${p.foundIn}`)).toEqual([
      'nuget Newtonsoft.Json@13.0.1 /app/WebApp.deps.json',
      'nuget Serilog.AspNetCore@8.0.1 /app/WebApp.deps.json',
    ]);
  });

  it('odd keys and shapes are skipped', () => {
    expect(parseDepsJson('/d', '{"libraries": [1]}')).toEqual([]);
    expect(parseDepsJson('/d', '{"libraries": {"NoVersion": {"type": "package"}, "A/B/C": {"type": "package"}, "/1.0": {"type": "package"}, "Ok/1.0": {"type": "package"}}}').map((p) => p.name)).toEqual(['Ok']);
    expect(() => parseDepsJson('/d', '{"libraries": ' + '['.repeat(100) + ']'.repeat(100) + '}')).toThrow(/nested deeper/);
  });
});
