// The shape shared by analyzers that read one metadata file into packages: a path predicate and a
// parser. Kept in one place so each ecosystem module holds only what is particular to it.
import type { Analyzer, AnalyzerFinding } from './analyzer.ts';
import type { FoundPackage } from '../types.ts';

type Parsed = FoundPackage[] | FoundPackage | null;

export function packageFileAnalyzer(
  name: string,
  version: number,
  wants: (path: string) => boolean,
  parse: (path: string, content: Buffer) => Parsed | Promise<Parsed>,
  extra: Pick<Analyzer, 'inspect'> = {},
): Analyzer {
  return {
    name,
    version,
    wants: (path: string) => wants(path),
    async analyze(path: string, content: Buffer): Promise<AnalyzerFinding | null> {
      const found = await parse(path, content);
      const packages = Array.isArray(found) ? found : found ? [found] : [];
      return packages.length ? { packages } : null;
    },
    ...extra,
  };
}
