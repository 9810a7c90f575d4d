// Language runtimes recognised from OS packages (deb/apk/rpm names) and Go binaries' stdlib, best
// effort: the product id is endoflife.date's, the version is as precise as the package tells.
import { isOsPackageType, type PackageRecord } from '../types.ts';

export interface RuntimeSeen { product: string; version: string; foundIn: string }

/** upstream part of a package version: no epoch, no Debian/apk revision, no +dfsg suffixes */
function upstream(v: string): string {
  return v.replace(/^\d+:/, '').replace(/[-+~].*$/, '');
}

interface NameRule { re: RegExp; product: string; version: (m: RegExpExecArray, p: PackageRecord) => string }

// first match wins per package; versions in names (python3.11, openjdk-17) beat package versions
const RULES: NameRule[] = [
  { re: /^nodejs(?:-current)?$/, product: 'nodejs', version: (_m, p) => upstream(p.version) },
  { re: /^nodejs(\d{2})$/, product: 'nodejs', version: (m) => m[1]! },
  { re: /^(?:lib)?python(\d\.\d{1,2})(?:-minimal|-stdlib)?$/, product: 'python', version: (m) => m[1]! },
  { re: /^python(\d)$/, product: 'python', version: (_m, p) => upstream(p.version) },
  { re: /^openjdk-?(\d{1,2})(?:-jre|-jdk)?(?:-headless)?$/, product: 'eclipse-temurin', version: (m) => m[1]! },
  { re: /^java-(?:1\.)?(\d{1,2})(?:\.0)?-openjdk(?:-headless|-devel)?$/, product: 'eclipse-temurin', version: (m) => m[1]! },
  { re: /^golang-(1\.\d{1,2})(?:-go)?$/, product: 'go', version: (m) => m[1]! },
  { re: /^(?:go|golang)$/, product: 'go', version: (_m, p) => upstream(p.version) },
];

/** Official language images install runtimes from tarballs, not packages, and say so in ENV. */
const ENV_RULES: { re: RegExp; product: string }[] = [
  { re: /^NODE_VERSION=v?(\d+\.\d+\.\d+)$/, product: 'nodejs' },
  { re: /^PYTHON_VERSION=(\d+\.\d+(?:\.\d+)?)/, product: 'python' },
  { re: /^GOLANG_VERSION=(\d+\.\d+(?:\.\d+)?)/, product: 'go' },
  // eclipse-temurin: JAVA_VERSION=jdk-17.0.10+7 or jdk8u402-b06
  { re: /^JAVA_VERSION=(?:jdk-?)?(\d+)(?:[.u]|$)/, product: 'eclipse-temurin' },
];

export function detectRuntimes(packages: PackageRecord[], env: string[] = []): RuntimeSeen[] {
  const out = new Map<string, RuntimeSeen>();
  const add = (r: RuntimeSeen) => {
    if (!/^\d/.test(r.version)) return;
    const key = `${r.product}\0${r.version}`;
    if (!out.has(key)) out.set(key, r);
  };
  for (const p of packages) {
    if (p.type === 'golang' && p.name === 'stdlib') {
      add({ product: 'go', version: p.version.replace(/^v|^go/, ''), foundIn: p.foundIn });
      continue;
    }
    if (!isOsPackageType(p.type)) continue;
    for (const r of RULES) {
      const m = r.re.exec(p.name);
      if (!m) continue;
      add({ product: r.product, version: r.version(m, p), foundIn: `${p.type} ${p.name} ${p.version}` });
      break;
    }
  }
  env.forEach((e, i) => {
    for (const r of ENV_RULES) {
      const m = r.re.exec(e);
      if (m) add({ product: r.product, version: m[1]!, foundIn: `config:Env[${i}]` });
    }
  });
  return [...out.values()];
}
