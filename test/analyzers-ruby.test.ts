import { execFileSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseGemspec, rubyAnalyzer } from '../src/analyzers/ruby.ts';
import { inventoryLayers, treeEntries } from './helpers/layers.ts';

// Debian's ruby (installed by test/setup.sh): bundled gems, default gems and rubygems-integration specs
const SPEC_DIRS = execFileSync('ruby', ['-e', 'puts Gem::Specification.dirs'], { encoding: 'utf8' }).split('\n').filter(Boolean)
  .filter((d) => { try { return readdirSync(d).some((n) => n.endsWith('.gemspec')); } catch { return false; } });

/** RubyGems' own reading of each spec file (Gem::Specification.load): "path name version licenses". */
function rubyTruth(files: string[]): string[] {
  const rb = 'ARGV.each { |f| s = Gem::Specification.load(f); puts [f, s.name, s.version, s.licenses.join(" OR ")].join(" ") }';
  return execFileSync('ruby', ['-e', rb, ...files], { encoding: 'utf8' }).split('\n').filter(Boolean).map((l) => l.trimEnd()).sort();
}

describe('ruby analyzer on real gemspecs', () => {
  it('reads every installed and default gem spec like Gem::Specification.load', async () => {
    const dirs = [...SPEC_DIRS, ...SPEC_DIRS.map((d) => `${d}/default`)].filter((d) => { try { return readdirSync(d).length > 0; } catch { return false; } });
    expect(dirs.some((d) => d.endsWith('/specifications/default'))).toBe(true);
    const files = dirs.flatMap((d) => readdirSync(d).filter((n) => n.endsWith('.gemspec')).map((n) => `${d}/${n}`));
    expect(files.length).toBeGreaterThan(50);
    const { merged } = await inventoryLayers([dirs.flatMap((d) => treeEntries(d, d.slice(1), (rel) => rel === 'default'))], [rubyAnalyzer]);
    const got = merged.packages.map((p) => [p.foundIn, p.name, p.version, p.license ?? ''].join(' ').trimEnd()).sort();
    expect(got).toEqual(rubyTruth(files));
    expect(merged.packages.every((p) => p.type === 'gem')).toBe(true);
  }, 60_000);

  it('handles the other literal forms and refuses what it cannot read, without evaluating', () => {
    const spec = (body: string) => parseGemspec('/s/specifications/x.gemspec', `Gem::Specification.new do |spec|\n${body}\nend\n`);
    expect(spec("  spec.name = %q{old-gem}\n  spec.version = Gem::Version.new(\"1.2.3\")\n  spec.license = 'MIT'")).toMatchObject({ name: 'old-gem', version: '1.2.3', license: 'MIT' });
    expect(spec("  spec.name = 'single'\n  spec.version = '0.1.0.pre'")).toMatchObject({ name: 'single', version: '0.1.0.pre' });
    // computed values are not guessed; the stub header is used when present
    expect(spec('  spec.name = File.basename(__FILE__)\n  spec.version = Foo::VERSION')).toBeNull();
    expect(parseGemspec('/x', '# stub: stubbed 2.0.1 ruby lib\nGem::Specification.new do |s|\n  s.name = NAME\nend\n')).toMatchObject({ name: 'stubbed', version: '2.0.1' });
    expect(spec('  spec.name = "evil`rm -rf /`"\n  spec.version = "1"')).toBeNull();
    expect(parseGemspec('/x', Buffer.from([0xff, 0x00, 0xfe]))).toBeNull();
  });
});
