// The package manifest CBL-Mariner / Azure Linux distroless images carry instead of an rpm
// database: /var/lib/rpmmanifest/container-manifest-2, one line per package as written by
//   rpm -qa --qf '%{NAME}\t%{VERSION}-%{RELEASE}\t%{INSTALLTIME}\t%{BUILDTIME}\t%{VENDOR}\t(none)\t%{SIZE}\t%{ARCH}\t%{EPOCHNUM}\t%{SOURCERPM}\n'
// (the layout Trivy reads). EPOCHNUM cannot tell "no epoch" from epoch 0: 0 is recorded as none.
import type { FoundPackage } from '../types.ts';
import { splitSourceRpm } from './rpm-header.ts';

export const RPM_MANIFEST_PATH = '/var/lib/rpmmanifest/container-manifest-2';
const MAX_WARNINGS = 20;
const MAX_FIELD = 64 * 1024;

export function parseRpmManifest(path: string, content: Buffer): { packages: FoundPackage[]; warnings: string[] } {
  const packages: FoundPackage[] = [];
  const warnings: string[] = [];
  let bad = 0;
  const lines = content.toString('utf8').split('\n');
  lines.forEach((raw, i) => {
    const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    if (!line) return;
    const f = line.split('\t');
    const vr = f[1] ?? '';
    const dash = vr.lastIndexOf('-');
    const epoch = Number(f[8]);
    if (f.length !== 10 || dash <= 0 || dash === vr.length - 1 || !f[0] || !Number.isInteger(epoch) || epoch < 0 || line.length > MAX_FIELD) {
      if (bad++ < MAX_WARNINGS) warnings.push(`line ${i + 1}: not a manifest line (${f.length} fields)`);
      return;
    }
    const name = f[0];
    if (name === 'gpg-pubkey') return;
    const none = (s: string) => (s === '(none)' || s === '' ? undefined : s);
    const p: FoundPackage = { type: 'rpm', name, version: vr.slice(0, dash), release: vr.slice(dash + 1), foundIn: path };
    if (epoch > 0) p.epoch = epoch;
    const arch = none(f[7]!); if (arch) p.arch = arch;
    const src = none(f[9]!) ? splitSourceRpm(f[9]!) : undefined;
    p.sourceName = src?.name ?? name;
    p.sourceVersion = src?.version ?? vr;
    const vendor = none(f[4]!); if (vendor) p.vendor = vendor;
    packages.push(p);
  });
  if (bad > MAX_WARNINGS) warnings.push(`${bad - MAX_WARNINGS} more lines that are not manifest lines`);
  return { packages, warnings };
}
