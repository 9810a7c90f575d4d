import { describe, expect, it } from 'vitest';
import { isGemspecPath, isNpmLockfile, isNpmPackageJson, isPythonMetadataPath } from '../src/analyzers/language-paths.ts';
import { languagePaths } from '../src/ecosystems/index.ts';

const isLanguageMetadataPath = (path: string) => languagePaths().isMetadataPath(path);

describe('language metadata paths', () => {
  it('npm: package roots directly under node_modules or node_modules/@scope only', () => {
    expect(isNpmPackageJson('/app/node_modules/react/package.json')).toBe(true);
    expect(isNpmPackageJson('/app/node_modules/@babel/code-frame/package.json')).toBe(true);
    expect(isNpmPackageJson('/app/node_modules/a/node_modules/b/package.json')).toBe(true);
    expect(isNpmPackageJson('/usr/lib/node_modules/npm/package.json')).toBe(true);
    // inside a package: bundler hints, test fixtures' own roots are still roots by path (the analyzer checks more)
    expect(isNpmPackageJson('/app/node_modules/x/lib/package.json')).toBe(false);
    expect(isNpmPackageJson('/app/node_modules/@scope/package.json')).toBe(false);
    expect(isNpmPackageJson('/app/node_modules/@/x/package.json')).toBe(false);
    expect(isNpmPackageJson('/app/node_modules/.bin/package.json')).toBe(false);
    expect(isNpmPackageJson('/app/package.json')).toBe(false);
    expect(isNpmPackageJson('/node_modules/package.json')).toBe(false);
    expect(isNpmLockfile('/app/node_modules/.package-lock.json')).toBe(true);
    expect(isNpmLockfile('/app/package-lock.json')).toBe(true);
    expect(isNpmLockfile('/app/node_modules/x/package-lock.json')).toBe(false);
  });

  it('python, ruby, composer, dotnet, java', () => {
    expect(isPythonMetadataPath('/usr/lib/python3/dist-packages/PyYAML-6.0.dist-info/METADATA')).toBe(true);
    expect(isPythonMetadataPath('/usr/lib/python3/dist-packages/requests-2.28.1.egg-info/PKG-INFO')).toBe(true);
    expect(isPythonMetadataPath('/usr/lib/python3.11/lib-dynload/x.egg-info')).toBe(true);
    expect(isPythonMetadataPath('/site/foo-1.0-py3.11.egg')).toBe(true);
    expect(isPythonMetadataPath('/site/foo-1.0-py3.11.egg/EGG-INFO/PKG-INFO')).toBe(true);
    expect(isPythonMetadataPath('/site/foo.dist-info/RECORD')).toBe(false);
    expect(isPythonMetadataPath('/site/METADATA')).toBe(false);
    expect(isPythonMetadataPath('/site/PKG-INFO')).toBe(false);
    expect(isGemspecPath('/usr/lib/ruby/gems/3.1.0/specifications/default/json-2.6.1.gemspec')).toBe(true);
    expect(isGemspecPath('/usr/share/rubygems-integration/all/specifications/rake-13.0.6.gemspec')).toBe(true);
    expect(isGemspecPath('/src/x/x.gemspec')).toBe(false);
    for (const p of ['/app/vendor/composer/installed.json', '/app/App.deps.json', '/usr/share/java/junit4.jar']) expect(isLanguageMetadataPath(p)).toBe(true);
    for (const p of ['/usr/bin/python3', '/app/.deps.json', '/app/composer.json', '/etc/passwd']) expect(isLanguageMetadataPath(p)).toBe(false);
  });
});

describe('npm package roots vs files inside packages', () => {
  it('skips test fixtures and nested non-root node_modules', () => {
    expect(isNpmPackageJson('/app/node_modules/x/test/fixtures/node_modules/y/package.json')).toBe(false);
    expect(isNpmPackageJson('/app/node_modules/x/node_modules/@s/y/node_modules/z/package.json')).toBe(true);
    expect(isNpmPackageJson('/app/node_modules/node_modules/package.json')).toBe(false);
    expect(isNpmPackageJson('/app/node_modules/@s/node_modules/package.json')).toBe(false);
    expect(isNpmPackageJson('/app/node_modules/x/node_modules/package.json')).toBe(false);
  });
});
