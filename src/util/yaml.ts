// The YAML parser is loaded on first use: most commands never read YAML, and loading it costs
// ~70 modules at start-up. `yaml` ships CommonJS, so it can be required synchronously.
import { createRequire } from 'node:module';
import type * as Yaml from 'yaml';

let lib: typeof Yaml | undefined;

function yaml(): typeof Yaml {
  lib ??= createRequire(import.meta.url)('yaml') as typeof Yaml;
  return lib;
}

export const parseYaml: typeof Yaml.parse = ((...args: Parameters<typeof Yaml.parse>) => yaml().parse(...args)) as typeof Yaml.parse;
export const stringifyYaml: typeof Yaml.stringify = ((...args: Parameters<typeof Yaml.stringify>) => yaml().stringify(...args)) as typeof Yaml.stringify;
