// A real node_modules tree made by `npm install` of real packages (cached in the temp dir between runs).
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

// scoped (@babel/*), a nested older dependency (send → debug@2.6.9 → ms@2.0.0 beside debug@4 → ms@2.1.2),
// packages shipping test fixtures with their own package.json files (resolve) and bundler hints
// (@babel/runtime/helpers/esm/package.json)
export const NPM_SPECS = ['@babel/code-frame@7.24.7', 'send@0.18.0', 'debug@4.3.4', 'resolve@1.22.8', '@babel/runtime@7.24.7'];

/** Directory of a project with node_modules installed by npm from the registry. */
export function npmProject(): string {
  const dir = join(tmpdir(), 'customs-test-npm-v1');
  if (existsSync(join(dir, 'node_modules', '.package-lock.json'))) return dir;
  const work = `${dir}.tmp-${process.pid}`;
  rmSync(work, { recursive: true, force: true });
  mkdirSync(work, { recursive: true });
  writeFileSync(join(work, 'package.json'), JSON.stringify({ name: 'fixture-app', version: '1.0.0', private: true }));
  execFileSync('npm', ['install', '--no-audit', '--no-fund', '--ignore-scripts', '--save-exact', ...NPM_SPECS], { cwd: work, stdio: 'pipe', timeout: 180_000 });
  rmSync(dir, { recursive: true, force: true });
  renameSync(work, dir);
  return dir;
}

/** `npm ls --all --json` ground truth: every name@version in the dependency tree. */
export function npmLsPackages(dir: string): Set<string> {
  const tree = JSON.parse(execFileSync('npm', ['ls', '--all', '--json'], { cwd: dir, encoding: 'utf8' }));
  const out = new Set<string>();
  const walk = (deps: Record<string, any> | undefined, depth: number) => {
    if (!deps || depth > 50) return;
    for (const [name, d] of Object.entries(deps)) {
      if (d.version) out.add(`${name}@${d.version}`);
      walk(d.dependencies, depth + 1);
    }
  };
  walk(tree.dependencies, 0);
  return out;
}
