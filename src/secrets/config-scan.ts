// Secrets in the image config: environment, labels, entrypoint/cmd, and the history's created_by
// lines (ARG/ENV values baked in at build time stay readable there forever). The config kept in
// the inventory gets the values masked, so a report never carries them.
import type { Descriptor, ImageConfigSummary, LocatedSecret } from '../types.ts';
import { NOT_A_SECRET_VALUE, SECRET_ENV_NAME } from './rules/index.ts';
import { findSecrets, fingerprintSecret, maskSecret, type SecretScanner } from './scan.ts';

/** history index → index of the layer it created (empty_layer entries create none) */
export function historyLayerIndex(config: ImageConfigSummary): Map<number, number> {
  const out = new Map<number, number>();
  let layer = 0;
  (config.history ?? []).forEach((h, i) => { if (!h.emptyLayer) out.set(i, layer++); });
  return out;
}

export interface ConfigScan { secrets: LocatedSecret[]; config: ImageConfigSummary }

export function scanImageConfig(scanner: SecretScanner, config: ImageConfigSummary, layers: Pick<Descriptor, 'digest'>[]): ConfigScan {
  const secrets: LocatedSecret[] = [];
  /** scan `text`, record its hits at `path`, return it with every value replaced by its masked form */
  const scan = (path: string, text: string, layerIndex?: number): string => {
    const found = findSecrets(scanner, text, { lines: false });
    const layer = layerIndex === undefined ? undefined : layers[layerIndex]?.digest;
    for (const f of found) secrets.push({ ...f.hit, path, visible: true, ...(layer ? { layer, layerIndex } : {}) });
    let out = text;
    for (const f of [...found].sort((a, b) => b.start - a.start)) out = out.slice(0, f.start) + f.hit.masked + out.slice(f.end);
    return out;
  };
  /** rules first; else a credential-named variable with a literal value */
  const envEntry = (path: string, e: string): string => {
    const before = secrets.length;
    const out = scan(path, e);
    const eq = e.indexOf('=');
    if (secrets.length > before || eq <= 0) return out;
    const name = e.slice(0, eq), value = e.slice(eq + 1);
    if (!SECRET_ENV_NAME.test(name) || NOT_A_SECRET_VALUE.test(value)) return out;
    const masked = maskSecret(value);
    secrets.push({ rule: 'env-credential', severity: 'medium', title: `Credential-named environment variable ${name.slice(0, 100)} with a literal value`, masked, fingerprint: fingerprintSecret(value), path, visible: true });
    return `${name}=${masked}`;
  };
  const redacted: ImageConfigSummary = { ...config };
  if (config.env) redacted.env = config.env.map((e, i) => envEntry(`config:Env[${i}]`, e));
  if (config.labels) {
    redacted.labels = Object.fromEntries(Object.entries(config.labels).map(([k, v]) => {
      const line = scan(`config:Labels[${JSON.stringify(k)}]`, `${k}=${v}`);
      return [k, line.slice(k.length + 1)];
    }));
  }
  if (config.entrypoint?.length) redacted.entrypoint = config.entrypoint.map((a) => scan('config:Entrypoint', a));
  if (config.cmd?.length) redacted.cmd = config.cmd.map((a) => scan('config:Cmd', a));
  const layerOf = historyLayerIndex(config);
  if (config.history) {
    redacted.history = config.history.map((h, i) => (h.createdBy ? { ...h, createdBy: scan(`history[${i}]`, h.createdBy, layerOf.get(i)) } : h));
  }
  return { secrets, config: redacted };
}
