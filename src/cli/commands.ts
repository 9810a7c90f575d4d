import { writeFileSync } from 'node:fs';
import type { Config } from '../config/schema.ts';
import { CustomsError } from '../errors.ts';
import { formatPlatform } from '../image/manifest.ts';
import { toCycloneDx } from '../sbom/cyclonedx.ts';
import { packageVersion } from '../sbom/package-version.ts';
import { toSpdx } from '../sbom/spdx.ts';
import { VERSION } from '../version.ts';
import { warnIncomplete } from './incomplete.ts';
import { takeInventory, type InventoryRun } from '../scan/inventory.ts';
import { createProgress } from './progress.ts';
import { narrowedConfig, runScan, type ScanCommandFlags } from './scan.ts';
import { narrowing } from '../scan/narrow.ts';
import { renderTable } from '../util/table.ts';

export interface ScanFlags { format?: string; output?: string; platform?: string; cache: boolean; signal?: AbortSignal }

/** `customs scan`: vulnerabilities (src/cli/scan.ts), or with `--format inventory` the package table. Returns the exit code. */
export async function scanCommand(refText: string, cfg: Config, flags: ScanFlags & ScanCommandFlags): Promise<number> {
  if (flags.format === 'inventory') {
    const narrow = narrowing(flags);
    const run = await takeInventory(refText, narrowedConfig(cfg, narrow), { ...flags, narrow, progress: createProgress });
    warnIncomplete(run.inventories);
    emit(inventoryTable(run), flags.output);
    return 0;
  }
  return runScan(refText, cfg, flags, (text) => emit(text, flags.output));
}

export async function sbomCommand(refText: string, cfg: Config, flags: ScanFlags & Pick<ScanCommandFlags, 'scanners' | 'pkgTypes' | 'skipDirs' | 'skipFiles'>): Promise<void> {
  const format = flags.format ?? 'cyclonedx';
  if (!['cyclonedx', 'spdx', 'json'].includes(format)) throw new CustomsError('usage', `unknown --format "${format}" for sbom: use cyclonedx, spdx or json`);
  const narrow = narrowing(flags);
  const run = await takeInventory(refText, narrowedConfig(cfg, narrow), { ...flags, narrow, progress: createProgress });
  warnIncomplete(run.inventories);
  const subject = { ref: run.ref, toolVersion: VERSION, timestamp: run.finishedAt, inventories: run.inventories };
  const doc = format === 'cyclonedx' ? toCycloneDx(subject) : format === 'spdx' ? toSpdx(subject) : inventoryJson(run);
  emit(JSON.stringify(doc, null, 2) + '\n', flags.output);
}

function emit(text: string, output: string | undefined): void {
  if (!output || output === '-') { process.stdout.write(text); return; }
  try {
    writeFileSync(output, text);
  } catch (e: any) {
    throw new CustomsError('usage', `cannot write ${output}: ${e.code ?? e.message}`);
  }
}

/** The JSON form of an inventory run (also the `sbom --format json` output). */
export function inventoryJson(run: InventoryRun) {
  return {
    scanner: { name: 'customs', version: VERSION },
    reference: run.ref.original,
    startedAt: run.startedAt,
    finishedAt: run.finishedAt,
    images: run.inventories,
  };
}

function inventoryTable(run: InventoryRun): string {
  const parts: string[] = [];
  for (const inv of run.inventories) {
    const os = inv.os ? `${inv.os.prettyName ?? `${inv.os.id} ${inv.os.versionId ?? ''}`}` : 'unknown OS';
    const cached = inv.layers.filter((l) => l.cached).length;
    parts.push(`${run.ref.original} ${formatPlatform(inv.platform)}\n  manifest ${inv.manifestDigest}\n  ${os}; ${inv.layers.length} layers (${cached} from cache); ${inv.packages.length} packages\n`);
    const layerNo = new Map(inv.layers.map((l, i) => [l.digest, i]));
    parts.push(renderTable(['TYPE', 'NAME', 'VERSION', 'ARCH', 'SOURCE', 'LAYER'], inv.packages.map((p) => [
      p.type, p.name, packageVersion(p), p.arch ?? '',
      // an rpm's source version is the source rpm's version-release (no epoch)
      p.sourceName && (p.sourceName !== p.name || (p.sourceVersion && p.sourceVersion !== (p.type === 'rpm' && p.release ? `${p.version}-${p.release}` : p.version)))
        ? `${p.sourceName} ${p.sourceVersion ?? ''}`.trim() : '',
      p.layer ? `${layerNo.get(p.layer) ?? '?'} ${p.layer.slice(7, 19)}` : '',
    ])));
    for (const w of inv.warnings) parts.push(`warning: ${w}\n`);
  }
  return parts.join('\n');
}
