// Maven version order: a port of org.apache.maven.artifact.versioning.ComparableVersion as shipped in
// maven-artifact 3.8.7 (the reference the vectors in test/data/versions/Maven.tsv were labelled with).
// Every string is a valid Maven version; nothing throws.
//
// Parsing (lower-cased): '.' and '-' separate items, a '-' (and every letter<->digit transition) opens a
// nested list; an empty item is 0; a letter run directly followed by a digit is a qualifier where
// a/b/m mean alpha/beta/milestone. Qualifier order: alpha < beta < milestone < rc = cr < snapshot <
// "" = ga = final = release < sp < any other qualifier (lexically). Trailing "null" items (0, "", empty
// lists) are dropped from every list. Numbers have unlimited size.
// Deviation: Java's Character.isDigit also accepts non-ASCII decimal digits; only 0-9 are digits here.

type Item = { t: 'int'; v: bigint } | { t: 'str'; v: string } | { t: 'list'; v: Item[] };

const QUALIFIERS = ['alpha', 'beta', 'milestone', 'rc', 'snapshot', '', 'sp'];
const ALIASES: Record<string, string> = { ga: '', final: '', release: '', cr: 'rc' };
const RELEASE_INDEX = String(QUALIFIERS.indexOf(''));
const ZERO: Item = { t: 'int', v: 0n };

function stringItem(value: string, followedByDigit: boolean): Item {
  let v = value;
  if (followedByDigit && v.length === 1) {
    if (v === 'a') v = 'alpha';
    else if (v === 'b') v = 'beta';
    else if (v === 'm') v = 'milestone';
  }
  return { t: 'str', v: Object.hasOwn(ALIASES, v) ? ALIASES[v]! : v };
}

function comparableQualifier(q: string): string {
  const i = QUALIFIERS.indexOf(q);
  return i === -1 ? `${QUALIFIERS.length}-${q}` : String(i);
}

/** Java String.compareTo sign (UTF-16 code unit order, like JS `<`). */
function cmpStr(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function parseItem(isDigit: boolean, buf: string): Item {
  return isDigit ? { t: 'int', v: BigInt(buf) } : stringItem(buf, false);
}

function isNull(item: Item): boolean {
  switch (item.t) {
    case 'int': return item.v === 0n;
    case 'str': return comparableQualifier(item.v) === RELEASE_INDEX;
    case 'list': return item.v.length === 0;
  }
}

function normalize(list: Item[]): void {
  for (let i = list.length - 1; i >= 0; i--) {
    const last = list[i]!;
    if (isNull(last)) list.splice(i, 1);
    else if (last.t !== 'list') break;
  }
}

const isAsciiDigit = (c: string): boolean => c >= '0' && c <= '9';

function parse(version: string): Item[] {
  const s = version.toLowerCase();
  const items: Item[] = [];
  let list = items;
  const stack: Item[][] = [list];
  let isDigit = false;
  let start = 0;
  const openList = (): void => {
    const next: Item[] = [];
    list.push({ t: 'list', v: next });
    list = next;
    stack.push(list);
  };
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    if (c === '.' || c === '-') {
      list.push(i === start ? ZERO : parseItem(isDigit, s.slice(start, i)));
      start = i + 1;
      if (c === '-') openList();
    } else if (isAsciiDigit(c)) {
      if (!isDigit && i > start) {
        // "alpha1": the qualifier goes into its own list when the current one is not empty (MNG-7644)
        if (list.length > 0) openList();
        list.push(stringItem(s.slice(start, i), true));
        start = i;
        openList();
      }
      isDigit = true;
    } else {
      if (isDigit && i > start) {
        list.push(parseItem(true, s.slice(start, i)));
        start = i;
        openList();
      }
      isDigit = false;
    }
  }
  if (s.length > start) {
    if (!isDigit && list.length > 0) openList();
    list.push(parseItem(isDigit, s.slice(start)));
  }
  while (stack.length > 0) normalize(stack.pop()!);
  return items;
}

function compareItem(a: Item, b: Item | null): number {
  if (a.t === 'int') {
    if (b === null) return a.v === 0n ? 0 : 1;
    if (b.t === 'int') return a.v < b.v ? -1 : a.v > b.v ? 1 : 0;
    return 1; // 1.1 > 1-sp, 1.1 > 1-1
  }
  if (a.t === 'str') {
    if (b === null) return Math.sign(cmpStr(comparableQualifier(a.v), RELEASE_INDEX));
    if (b.t === 'str') return Math.sign(cmpStr(comparableQualifier(a.v), comparableQualifier(b.v)));
    return -1; // 1.any < 1.1, 1.any < 1-1
  }
  if (b === null) {
    for (const item of a.v) {
      const r = compareItem(item, null);
      if (r !== 0) return r;
    }
    return 0;
  }
  if (b.t === 'int') return -1; // 1-1 < 1.0.x
  if (b.t === 'str') return 1; // 1-1 > 1-sp
  return compareLists(a.v, b.v);
}

function compareLists(left: Item[], right: Item[]): number {
  const n = Math.max(left.length, right.length);
  for (let i = 0; i < n; i++) {
    const l = i < left.length ? left[i]! : null;
    const r = i < right.length ? right[i]! : null;
    const result = l === null ? (r === null ? 0 : -compareItem(r, null)) : compareItem(l, r);
    if (result !== 0) return result;
  }
  return 0;
}

/** Maven ComparableVersion order: -1, 0 or 1. */
export function compareMaven(a: string, b: string): -1 | 0 | 1 {
  return (Math.sign(compareLists(parse(a), parse(b))) || 0) as -1 | 0 | 1;
}
