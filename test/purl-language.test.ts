import { describe, expect, it } from 'vitest';
import { packagePurl } from '../src/sbom/purl.ts';
import { pep503Name } from '../src/ecosystems/pypi.ts';
import type { PackageRecord } from '../src/types.ts';

const pkg = (type: PackageRecord['type'], name: string, version: string): PackageRecord => ({ type, name, version, foundIn: '/x' });

describe('language package purls', () => {
  it('npm (scoped), pypi (PEP 503), gem, composer, nuget', () => {
    const os = { id: 'debian', versionId: '12', foundIn: '/etc/os-release' };
    expect(packagePurl(pkg('npm', '@babel/code-frame', '7.24.7'), os)).toBe('pkg:npm/%40babel/code-frame@7.24.7');
    expect(packagePurl(pkg('npm', 'js-tokens', '4.0.0'), os)).toBe('pkg:npm/js-tokens@4.0.0');
    expect(packagePurl(pkg('pypi', 'Zope.Interface__x', '5.0'), os)).toBe('pkg:pypi/zope-interface-x@5.0');
    expect(packagePurl(pkg('gem', 'rake', '13.0.6'), os)).toBe('pkg:gem/rake@13.0.6');
    expect(packagePurl(pkg('composer', 'symfony/console', 'v6.4.1'), os)).toBe('pkg:composer/symfony/console@v6.4.1');
    expect(packagePurl(pkg('nuget', 'Newtonsoft.Json', '13.0.1'), os)).toBe('pkg:nuget/Newtonsoft.Json@13.0.1');
    // an explicit purl wins; OS packages are unchanged
    expect(packagePurl({ ...pkg('npm', 'x', '1.0.0'), purl: 'pkg:npm/y@2' }, os)).toBe('pkg:npm/y@2');
    expect(packagePurl({ ...pkg('deb', 'libc6', '2.36-9'), arch: 'amd64' }, os)).toBe('pkg:deb/debian/libc6@2.36-9?arch=amd64&distro=debian-12');
    expect(pep503Name('Foo--Bar_.baz')).toBe('foo-bar-baz');
  });
});
