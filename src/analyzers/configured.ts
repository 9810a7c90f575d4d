// The analyzers a configured scan runs: the inventory analyzers (the ecosystems') plus the configurable
// ones (secrets with custom rules and caps, entry facts, dpkg copyright licenses), and the
// image-config secret scan.
import type { Config } from '../config/schema.ts';
import { scanImageConfig, type ConfigScan } from '../secrets/config-scan.ts';
import type { ResolvedImage } from '../types.ts';
import type { Analyzer } from './analyzer.ts';
import { dpkgCopyrightAnalyzer } from './dpkg-copyright.ts';
import { fileFactsAnalyzer } from './file-facts.ts';
import { makeSecretsAnalyzer } from './secrets.ts';

export interface ConfiguredAnalyzers {
  analyzers: Analyzer[];
  /** secrets of the image config and history, or undefined when secret scanning is off */
  scanConfig?: (img: ResolvedImage) => ConfigScan;
}

/** `inventory`: the package analyzers (src/ecosystems' `inventoryAnalyzers()`), run first. */
export function configuredAnalyzers(cfg: Pick<Config, 'secrets'>, inventory: readonly Analyzer[]): ConfiguredAnalyzers {
  if (!cfg.secrets.enabled) return { analyzers: [...inventory, dpkgCopyrightAnalyzer, fileFactsAnalyzer] };
  const secrets = makeSecretsAnalyzer({
    maxFileBytes: cfg.secrets.maxFileBytes, rules: cfg.secrets.rules, allow: cfg.secrets.allow, allowPaths: cfg.secrets.allowPaths,
  });
  return {
    analyzers: [...inventory, dpkgCopyrightAnalyzer, fileFactsAnalyzer, secrets],
    scanConfig: (img) => scanImageConfig(secrets.scanner, img.config, img.layers),
  };
}
