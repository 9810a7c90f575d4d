// The analyzers of one layer as a group (Trivy's AnalyzerGroup): which of them want a path, handing
// them a file's bytes (whole, or chunk by chunk to sinks), inspecting entries, and collecting what
// they found per path. The tar walker (tar-walker.ts) decides what to read; this decides who reads it.
import { CustomsError } from '../errors.ts';
import type { Limits } from '../config/schema.ts';
import { UNREAD_INPUT, type Analyzer, type AnalyzerFinding, type FileSink, type SinkContext } from '../analyzers/analyzer.ts';
import { ArchiveBudget } from '../analyzers/archive-budget.ts';
import type { EntryInfo, FileFinding } from '../types.ts';

/** warnings kept per layer; more are counted, not stored */
export const MAX_WARNINGS = 200;

/** A layer's warnings, each prefixed with what is being read; past MAX_WARNINGS they are only counted. */
export class LayerWarnings {
  readonly list: string[] = [];
  dropped = 0;
  private readonly what: string;
  constructor(what: string) { this.what = what; }
  readonly warn = (msg: string): void => {
    if (this.list.length < MAX_WARNINGS) this.list.push(`${this.what}: ${msg}`);
    else this.dropped++;
  };
  /** the kept warnings, and a line counting the dropped ones */
  done(): string[] {
    if (this.dropped > 0) this.list.push(`${this.what}: ${this.dropped} more warnings not shown`);
    return this.list;
  }
}

/** An open sink of one analyzer for one file; `done` once it declined more bytes or failed. */
export interface OpenSink { a: Analyzer; sink: FileSink; done: boolean }

export class AnalyzerGroup {
  /** what this layer's analyzers said per path (an empty list replaces lower layers' view) */
  readonly files: Record<string, FileFinding[]> = {};
  /** wanted symlinks: path → target resolved inside the image */
  readonly symlinks: Record<string, string> = {};
  /** archives read by sinks (Java) draw from this layer's budget, and it from the image's */
  readonly archives: ArchiveBudget;
  private readonly sinkAnalyzers: Analyzer[];
  private readonly inspectors: Analyzer[];
  private readonly sinkContext: SinkContext;
  private readonly analyzers: Analyzer[];
  private readonly what: string;
  private readonly warn: (msg: string) => void;

  constructor(analyzers: Analyzer[], limits: Limits, imageBudget: ArchiveBudget, what: string, warn: (msg: string) => void) {
    this.analyzers = analyzers; this.what = what; this.warn = warn;
    this.sinkAnalyzers = analyzers.filter((a) => typeof a.openSink === 'function');
    this.archives = imageBudget.child('layer');
    this.sinkContext = { limits, archives: this.archives };
    this.inspectors = analyzers.filter((a) => typeof a.inspect === 'function');
  }

  get hasSinks(): boolean { return this.sinkAnalyzers.length > 0; }
  get hasInspectors(): boolean { return this.inspectors.length > 0; }

  failed(a: Analyzer, what: string, e: unknown): void {
    this.warn(`analyzer ${a.name} failed on ${what}: ${(e as Error)?.message ?? e}`);
  }

  /** a layer or image cap passed inside a sink (which the sink's own error handling cannot swallow) */
  checkBudget(path: string): void {
    const e = this.archives.failure();
    if (e) throw new CustomsError('limit', `${this.what}: Java archives: ${e.message} (at ${path})`, { cause: e });
  }

  /** the analyzers that want this path (an analyzer failing to answer is warned about and skipped) */
  wantedBy(path: string, size: number, entry: EntryInfo): Analyzer[] {
    let out: Analyzer[] | undefined;
    for (const a of this.analyzers) {
      let w = false;
      try { w = a.wants(path, size, entry); } catch (e) { this.failed(a, `wants(${path})`, e); }
      if (w) (out ??= []).push(a);
    }
    return out ?? [];
  }

  /** the sinks the streaming analyzers open for this file (none when no analyzer streams) */
  openSinks(entry: EntryInfo): OpenSink[] {
    const out: OpenSink[] = [];
    for (const a of this.sinkAnalyzers) {
      try {
        const sink = a.openSink!(entry, this.sinkContext);
        if (sink) out.push({ a, sink, done: false });
      } catch (e) { this.failed(a, `openSink(${entry.path})`, e); }
    }
    return out;
  }

  /** feed one chunk of a file to its sinks; a sink that declines or throws gets no more */
  feed(sinks: OpenSink[], path: string, chunk: Buffer): void {
    for (const s of sinks) {
      if (s.done) continue;
      try { if (s.sink.write(chunk) === false) s.done = true; } catch (e) { s.done = true; this.failed(s.a, path, e); }
    }
  }

  /** feed a whole (hard-linked) file to its sinks, regardless of what they answer */
  feedAll(sinks: OpenSink[], path: string, content: Buffer): void {
    for (const s of sinks) {
      try { s.sink.write(content); } catch (e) { this.failed(s.a, path, e); }
    }
  }

  /** what the inspecting analyzers say about an entry from its header alone */
  inspect(entry: EntryInfo): FileFinding[] {
    if (this.inspectors.length === 0) return [];
    const out: FileFinding[] = [];
    for (const a of this.inspectors) {
      try {
        const f = a.inspect!(entry);
        if (f && hasContent(f)) out.push({ analyzer: a.name, ...f });
      } catch (e) { this.failed(a, `inspect(${entry.path})`, e); }
    }
    return out;
  }

  /** an analyzer's own warnings go to the layer's warnings, the rest is the finding */
  private withoutWarnings(a: Analyzer, path: string, f: AnalyzerFinding | null): AnalyzerFinding | null {
    if (!f?.warnings) return f;
    const { warnings, ...rest } = f;
    for (const w of warnings) this.warn(`analyzer ${a.name} on ${path}: ${w}`);
    return rest;
  }

  /** Run the wanting analyzers on the content, close the sinks; their findings are added to `found`. */
  async run(path: string, content: Buffer | null, which: Analyzer[], entry: EntryInfo, sinks: OpenSink[], found: FileFinding[]): Promise<FileFinding[]> {
    if (content) {
      for (const a of which) {
        try {
          const f = this.withoutWarnings(a, path, await a.analyze(path, content, entry));
          if (f && hasContent(f)) found.push({ analyzer: a.name, ...f });
        } catch (e) {
          this.failed(a, path, e);
          found.push(...unreadInputs([a], 'failure', `analyzer failed: ${String((e as Error)?.message ?? e).slice(0, 200)}`));
        }
      }
    }
    for (const s of sinks) {
      try {
        const f = this.withoutWarnings(s.a, path, await s.sink.end());
        if (f && hasContent(f)) found.push({ analyzer: s.a.name, ...f });
      } catch (e) { this.failed(s.a, path, e); }
    }
    return found;
  }

  /** Record what this layer says about a path; an empty list still replaces lower layers' view. */
  record(path: string, findings: FileFinding[]): void {
    delete this.symlinks[path];
    this.files[path] = findings;
  }

  /** a wanted symlink: the path now points elsewhere */
  recordSymlink(path: string, target: string): void {
    delete this.files[path];
    this.symlinks[path] = target;
  }

  /** a directory now stands at the path: forget what this layer said of a file or symlink there */
  replaceByDirectory(path: string): void {
    if (this.files[path] || this.symlinks[path]) {
      delete this.files[path];
      delete this.symlinks[path];
    }
  }
}

/** true when a finding says anything (an empty finding is not stored) */
export function hasContent(f: Omit<FileFinding, 'analyzer'>): boolean {
  return !!(f.os || f.packages?.length || f.secrets?.length || f.facts?.length || f.ownedFiles?.length);
}

/** The `unread-input` facts a file that could not be analysed leaves (see Analyzer.completeness). */
export function unreadInputs(analyzers: Analyzer[], cause: 'size' | 'failure', detail: string): FileFinding[] {
  return analyzers
    .filter((a) => (a.completeness ?? 'size') !== 'none' && (cause === 'size' || a.completeness === 'strict'))
    .map((a) => ({ analyzer: a.name, facts: [{ id: UNREAD_INPUT, detail: `${a.name}: ${detail}` }] }));
}
