import { readFileSync } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';
import { parseYaml } from '../util/yaml.ts';
import { z } from 'zod';
import { CustomsError } from '../errors.ts';
import { configSchema, type Config } from './schema.ts';

/**
 * Configuration = defaults ← file (CUSTOMS_CONFIG or --config; YAML or JSON) ← environment.
 * Environment variables (all optional):
 *   CUSTOMS_CONFIG, CUSTOMS_DATA, CUSTOMS_DB_URL, CUSTOMS_DB_AUTH_TOKEN, CUSTOMS_HOST, CUSTOMS_PORT,
 *   CUSTOMS_LOG_LEVEL, CUSTOMS_INSECURE_REGISTRIES (comma-separated hosts), DOCKER_CONFIG (directory).
 */
export function loadConfig(opts: { file?: string; env?: NodeJS.ProcessEnv } = {}): Config {
  const env = opts.env ?? process.env;
  const file = opts.file ?? env.CUSTOMS_CONFIG;
  let raw: Record<string, any> = {};
  if (file) raw = readConfigFile(file);

  const merged = structuredClone(raw);
  const set = (path: string[], value: unknown) => {
    let o = merged;
    for (const k of path.slice(0, -1)) o = (o[k] ??= {});
    o[path.at(-1)!] = value;
  };
  if (env.CUSTOMS_DATA) set(['dataDir'], env.CUSTOMS_DATA);
  if (env.CUSTOMS_DB_URL) set(['database', 'url'], env.CUSTOMS_DB_URL);
  if (env.CUSTOMS_DB_AUTH_TOKEN) set(['database', 'authToken'], env.CUSTOMS_DB_AUTH_TOKEN);
  if (env.CUSTOMS_HOST) set(['server', 'host'], env.CUSTOMS_HOST);
  if (env.CUSTOMS_PORT) set(['server', 'port'], envInt('CUSTOMS_PORT', env.CUSTOMS_PORT));
  if (env.CUSTOMS_LOG_LEVEL) set(['log', 'level'], env.CUSTOMS_LOG_LEVEL);
  if (env.CUSTOMS_INSECURE_REGISTRIES) {
    for (const host of env.CUSTOMS_INSECURE_REGISTRIES.split(',').map((s) => s.trim()).filter(Boolean)) {
      set(['registries', host, 'insecure'], true);
    }
  }
  if (!merged.dockerConfig && env.DOCKER_CONFIG) merged.dockerConfig = join(env.DOCKER_CONFIG, 'config.json');

  const parsed = configSchema.safeParse(merged);
  if (!parsed.success) {
    throw new CustomsError('config', `invalid configuration${file ? ` (${file} + environment)` : ''}:\n${formatIssues(parsed.error)}`);
  }
  const cfg = parsed.data;
  cfg.dataDir = resolve(cfg.dataDir);
  cfg.database.url ??= `file:${join(cfg.dataDir, 'customs.db')}`;
  return cfg;
}

function readConfigFile(file: string): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(isAbsolute(file) ? file : resolve(file), 'utf8');
  } catch (e: any) {
    throw new CustomsError('config', `cannot read configuration file ${file}: ${e.code ?? e.message}`);
  }
  let doc: unknown;
  try {
    doc = parseYaml(text, { maxAliasCount: 100 }); // YAML is a superset of JSON
  } catch (e: any) {
    throw new CustomsError('config', `configuration file ${file} is not valid YAML/JSON: ${e.message}`);
  }
  if (doc == null) return {};
  if (typeof doc !== 'object' || Array.isArray(doc)) throw new CustomsError('config', `configuration file ${file} must hold a mapping at the top level`);
  return doc as Record<string, unknown>;
}

function envInt(name: string, v: string): number | string {
  return /^\d+$/.test(v) ? Number(v) : `${name}=${v} is not a number`;
}

/** One line per problem, naming the field: "  - spec.rules[2].maxSeverity: Invalid option: ..." */
export function formatIssues(err: z.ZodError): string {
  return err.issues.map((i) => `  - ${fieldPath(i.path)}: ${i.message}`).join('\n');
}

function fieldPath(path: readonly PropertyKey[]): string {
  if (path.length === 0) return '(top level)';
  return path.map((k, n) => (typeof k === 'number' ? `[${k}]` : `${n ? '.' : ''}${String(k)}`)).join('');
}
