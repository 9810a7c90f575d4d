// Declared licenses → SPDX license expressions. Package databases hold free text ("GPL-2+",
// "Apache 2.0", "MIT or Apache-2.0", "BSD-3-clause", "Expat"): each license is corrected with
// spdx-correct (which also upgrades close misspellings, e.g. "BSD" → BSD-2-Clause), the whole
// checked with spdx-expression-parse. When one part cannot be mapped the text stays a free-text name.
import spdxCorrect from 'spdx-correct';
import spdxParse from 'spdx-expression-parse';

const MAX_LEN = 500;
/** Debian/DEP-5 short names that spdx-correct does not know */
const ALIASES: Record<string, string> = {
  expat: 'MIT', 'public-domain': 'LicenseRef-public-domain', 'public domain': 'LicenseRef-public-domain',
  'gpl-1+': 'GPL-1.0-or-later', 'gpl-2+': 'GPL-2.0-or-later', 'gpl-3+': 'GPL-3.0-or-later',
  'lgpl-2+': 'LGPL-2.0-or-later', 'lgpl-2.1+': 'LGPL-2.1-or-later', 'lgpl-3+': 'LGPL-3.0-or-later',
  'gpl-1': 'GPL-1.0-only', 'gpl-2': 'GPL-2.0-only', 'gpl-3': 'GPL-3.0-only', 'lgpl-2': 'LGPL-2.0-only', 'lgpl-2.1': 'LGPL-2.1-only', 'lgpl-3': 'LGPL-3.0-only',
  'agpl-3+': 'AGPL-3.0-or-later', 'gfdl-1.2+': 'GFDL-1.2-or-later', 'gfdl-1.3+': 'GFDL-1.3-or-later',
  'artistic': 'Artistic-1.0-Perl', 'perl': 'Artistic-1.0-Perl OR GPL-1.0-or-later',
  'asl 2.0': 'Apache-2.0', 'bsd-2-clause': 'BSD-2-Clause', 'bsd-3-clause': 'BSD-3-Clause', 'bsd-4-clause': 'BSD-4-Clause', 'zlib': 'Zlib',
};

function valid(expr: string): boolean {
  try { spdxParse(expr); return true; } catch { return false; }
}

function one(name: string): string | undefined {
  const t = name.trim();
  if (!t) return undefined;
  const alias = ALIASES[t.toLowerCase()];
  if (alias) return alias.includes(' ') ? `(${alias})` : alias;
  if (valid(t)) return t;
  // apk writes lists separated by spaces ("GPL-2.0-or-later LGPL-2.1-or-later")
  const words = t.split(/\s+/);
  if (words.length > 1 && words.every(valid)) return `(${words.join(' AND ')})`;
  const c = spdxCorrect(t, { upgrade: true });
  return c && valid(c) ? c : undefined;
}

/** An SPDX expression for a declared license text, or undefined when it cannot be mapped faithfully. */
export function toSpdxExpression(declared: string | undefined): string | undefined {
  if (!declared) return undefined;
  const text = declared.trim();
  if (!text || text.length > MAX_LEN) return undefined;
  if (valid(text)) return simplify(text);
  // operators as DEP-5 writes them (lower-case), "|" "/" (or) and "," (and) from apk/rpm fields; parentheses kept
  const out: string[] = [];
  for (const raw of text.split(/(\(|\)|\s+(?:and|or|with)\s+|\s*[|/,]\s*)/i)) {
    const tok = raw.trim();
    if (!tok) continue;
    if (tok === '(' || tok === ')') out.push(tok);
    else if (/^(?:and|or|with)$/i.test(tok)) out.push(tok.toUpperCase());
    else if (tok === '|' || tok === '/') out.push('OR');
    else if (tok === ',') out.push('AND');
    else {
      const id = one(tok);
      if (!id) return undefined;
      out.push(id);
    }
  }
  const expr = out.join(' ').replace(/\( /g, '(').replace(/ \)/g, ')');
  return valid(expr) ? simplify(expr) : undefined;
}

type Node = { license: string; plus?: boolean; exception?: string } | { conjunction: 'and' | 'or'; left: Node; right: Node };

/**
 * The same expression without repeated terms: a package database that lists one license per file
 * ("LGPL-3+, LGPL-3+") means it once — "LGPL-3.0-or-later AND LGPL-3.0-or-later" says nothing more.
 * A chain of one operator is flattened and de-duplicated; nesting and order are kept.
 */
function simplify(expr: string): string {
  const text = (n: Node, parent?: 'and' | 'or'): string => {
    if ('license' in n) {
      // "LGPL-3.0+" is the deprecated spelling of LGPL-3.0-or-later: one license, written one way
      const id = n.plus && valid(`${n.license}-or-later`) ? `${n.license}-or-later` : `${n.license}${n.plus ? '+' : ''}`;
      return `${id}${n.exception ? ` WITH ${n.exception}` : ''}`;
    }
    const terms: Node[] = [];
    const flat = (m: Node) => { if ('conjunction' in m && m.conjunction === n.conjunction) { flat(m.left); flat(m.right); } else terms.push(m); };
    flat(n);
    const parts = [...new Set(terms.map((t) => text(t, n.conjunction)))];
    if (parts.length === 1) return parts[0]!;
    const joined = parts.join(` ${n.conjunction.toUpperCase()} `);
    return parent ? `(${joined})` : joined;
  };
  try { return text(spdxParse(expr) as Node); } catch { return expr; }
}

/** CycloneDX `licenses`: one SPDX id, an SPDX expression, or the declared text as a name. */
export function cycloneDxLicenses(declared: string): object[] {
  const expr = toSpdxExpression(declared);
  if (!expr) return [{ license: { name: declared.slice(0, MAX_LEN) } }];
  if (/^[A-Za-z0-9.+-]+$/.test(expr) && !expr.startsWith('LicenseRef-')) return [{ license: { id: expr } }];
  return [{ expression: expr }];
}

/** LicenseRef-… ids an expression uses (SPDX documents must describe them in hasExtractedLicensingInfos). */
export function licenseRefs(expr: string): string[] {
  return [...new Set(expr.match(/LicenseRef-[A-Za-z0-9.-]+/g) ?? [])];
}
