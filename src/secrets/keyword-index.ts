// Where the rules' keywords occur in a text, in one pass: an Aho–Corasick automaton over
// ASCII-case-folded characters. With ~250 rules and ~400 keywords, testing each keyword with
// `includes` would read the text 400 times; this reads it once, and the positions it returns let
// each rule's regex run only near its keywords (src/secrets/scan.ts).

/** Occurrences of one keyword: start offsets, ascending; `dense` when there were too many to keep. */
export interface KeywordHits { positions: number[]; dense: boolean }

export interface KeywordIndex {
  keywords: string[];
  /** every occurrence of every keyword in `text` (case-insensitive for ASCII letters); undefined: none */
  find(text: string): (KeywordHits | undefined)[];
}

/** Past this many occurrences of one keyword, its rules scan the whole text (memory stays bounded). */
const MAX_POSITIONS = 20_000;

export function buildKeywordIndex(keywords: string[], maxPositions = MAX_POSITIONS): KeywordIndex {
  // character classes: every distinct keyword character gets one, everything else class 0
  const cls = new Uint8Array(128);
  let classes = 1;
  for (const k of keywords) {
    for (const ch of k) {
      const c = ch.charCodeAt(0);
      if (c >= 128) throw new Error(`secret keyword ${JSON.stringify(k)}: only ASCII keywords are supported`);
      if (cls[c] === 0) {
        if (classes === 255) throw new Error('secret keywords: too many distinct characters');
        const upper = ch.toUpperCase().charCodeAt(0);
        cls[c] = classes;
        if (upper !== c && upper < 128) cls[upper] = classes; // A-Z fold onto a-z
        classes++;
      }
    }
  }
  // trie
  const next: number[][] = [new Array<number>(classes).fill(-1)];
  const ends: number[][] = [[]];
  keywords.forEach((k, id) => {
    let s = 0;
    for (const ch of k) {
      const c = cls[ch.charCodeAt(0)]!;
      if (next[s]![c] === -1) { next[s]![c] = next.length; next.push(new Array<number>(classes).fill(-1)); ends.push([]); }
      s = next[s]![c]!;
    }
    ends[s]!.push(id);
  });
  // failure links, breadth first, turned into a full transition table (a DFA)
  const states = next.length;
  const delta = new Int32Array(states * classes);
  const fail = new Int32Array(states);
  const out: number[][] = ends.map((e) => [...e]);
  const queue: number[] = [];
  for (let c = 0; c < classes; c++) {
    const t = next[0]![c]!;
    delta[c] = t === -1 ? 0 : t;
    if (t > 0) { fail[t] = 0; queue.push(t); }
  }
  for (let qi = 0; qi < queue.length; qi++) {
    const s = queue[qi]!;
    out[s]!.push(...out[fail[s]!]!);
    for (let c = 0; c < classes; c++) {
      const t = next[s]![c]!;
      if (t === -1) { delta[s * classes + c] = delta[fail[s]! * classes + c]!; continue; }
      delta[s * classes + c] = t;
      fail[t] = delta[fail[s]! * classes + c]!;
      queue.push(t);
    }
  }
  // transitions premultiplied by the class count (a state is its row's offset), and a flag per row
  // saying whether any keyword ends there: the loop below does one load, one add and one test a character
  for (let i = 0; i < delta.length; i++) delta[i] = delta[i]! * classes;
  const ends_ = new Uint8Array(states * classes);
  const outputs: (Int32Array | null)[] = new Array(states * classes).fill(null);
  out.forEach((o, st) => { if (o.length) { ends_[st * classes] = 1; outputs[st * classes] = Int32Array.from(new Set(o)); } });
  const lengths = keywords.map((k) => k.length);

  return {
    keywords,
    find(text: string): (KeywordHits | undefined)[] {
      // sparse: a text meets few of the keywords, so only those get a record
      const hits: (KeywordHits | undefined)[] = new Array(keywords.length);
      let s = 0;
      for (let i = 0, n = text.length; i < n; i++) {
        const code = text.charCodeAt(i);
        s = delta[s + (code < 128 ? cls[code]! : 0)]!;
        if (ends_[s] === 0) continue;
        const o = outputs[s]!;
        for (let j = 0; j < o.length; j++) {
          const id = o[j]!;
          const h = (hits[id] ??= { positions: [], dense: false });
          if (h.dense) continue;
          if (h.positions.length >= maxPositions) { h.dense = true; h.positions = []; continue; }
          h.positions.push(i - lengths[id]! + 1);
        }
      }
      return hits;
    },
  };
}
