/** PEP 503 normalised Python project name ("Zope.Interface" → "zope-interface"): the pypi purl type and PyPI advisories use it. */
export function pep503Name(name: string): string {
  return name.replace(/[-_.]+/g, '-').toLowerCase();
}
