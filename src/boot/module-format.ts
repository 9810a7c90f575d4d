// Start-up: while resolving each import Node works out the file's format by finding and parsing the
// nearest package.json — again for every file. drizzle-orm's package.json is 178 KB (447 exports)
// and drizzle-orm/libsql loads ~200 files: most of a CLI command's start was spent parsing it. This
// hook answers relative .js imports inside node_modules itself, with the nearest package.json's
// explicit "type" found once per directory; everything else (bare specifiers, typeless packages,
// whose format Node detects from the syntax) is left to Node.
import { existsSync, readFileSync } from 'node:fs';
import { registerHooks } from 'node:module';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

type Format = 'module' | 'commonjs' | undefined;
const scopeOfDir = new Map<string, Format>();

/** The "type" of the nearest package.json above `dir` (stopping at node_modules, as Node does), when explicit. */
function scopeType(dir: string): Format {
  if (scopeOfDir.has(dir)) return scopeOfDir.get(dir);
  let t: Format;
  if (existsSync(`${dir}/package.json`)) {
    try {
      const type = JSON.parse(readFileSync(`${dir}/package.json`, 'utf8')).type;
      t = type === 'module' || type === 'commonjs' ? type : undefined;
    } catch {
      t = undefined; // let Node report it
    }
  } else {
    const parent = dirname(dir);
    t = parent === dir || dir.endsWith('/node_modules') ? undefined : scopeType(parent);
  }
  scopeOfDir.set(dir, t);
  return t;
}

// Bare specifiers ("drizzle-orm/sqlite-core") resolve through the package's exports map, which Node
// parses again on every import: remembered per importing package (or directory, outside node_modules).
const bare = new Map<string, { url: string; format?: string | null | undefined }>();

function bareKey(specifier: string, parent: string, conditions: readonly string[] | undefined): string {
  const path = fileURLToPath(parent);
  const i = path.lastIndexOf('/node_modules/');
  let scope = dirname(path);
  if (i >= 0) {
    const rest = path.slice(i + 14).split('/');
    scope = path.slice(0, i + 14) + rest.slice(0, rest[0]?.startsWith('@') ? 2 : 1).join('/');
  }
  return `${specifier}\0${scope}\0${conditions?.join(',') ?? ''}`;
}

registerHooks({
  resolve(specifier, context, nextResolve) {
    const parent = context.parentURL;
    if (parent?.startsWith('file://') && /^[@a-z]/i.test(specifier) && !specifier.startsWith('node:') && !specifier.includes(':')) {
      const key = bareKey(specifier, parent, context.conditions);
      const hit = bare.get(key);
      if (hit) return { url: hit.url, ...(hit.format ? { format: hit.format } : {}), shortCircuit: true };
      const r = nextResolve(specifier, context);
      if (r.url.startsWith('file://')) bare.set(key, { url: r.url, format: r.format });
      return r;
    }
    if (parent?.startsWith('file://') && parent.includes('/node_modules/') && specifier.endsWith('.js') && (specifier.startsWith('./') || specifier.startsWith('../'))) {
      // ESM imports are fully specified: the URL is the file
      const url = new URL(specifier, parent);
      const path = fileURLToPath(url);
      const format = path.includes('/node_modules/') ? scopeType(dirname(path)) : undefined;
      if (format) return { url: url.href, format, shortCircuit: true };
    }
    return nextResolve(specifier, context);
  },
});
