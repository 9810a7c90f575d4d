// What the command line may write to stderr besides logs: progress bars and warnings meant for a
// person. Set once by main from --quiet / --no-progress; `customs serve` turns progress off (a
// service scan must never draw a progress bar, even when its stderr is a terminal).
let progress = true;
let quiet = false;

export function setTerminal(opts: { progress?: boolean; quiet?: boolean }): void {
  if (opts.progress !== undefined) progress = opts.progress;
  if (opts.quiet !== undefined) quiet = opts.quiet;
}

/** Progress is drawn only on a terminal, and only when neither --no-progress nor --quiet said no. */
export function progressEnabled(): boolean {
  return progress && !quiet && !!process.stderr.isTTY;
}

/** A warning for the person at the terminal ("customs: warning: …"), unless --quiet. */
export function warnUser(message: string): void {
  if (!quiet) process.stderr.write(`customs: warning: ${message}\n`);
}

/** The width a table should fit: the terminal's when stdout is one, else $COLUMNS when set, else none. */
export function terminalWidth(): number | undefined {
  if (process.stdout.isTTY && process.stdout.columns) return process.stdout.columns;
  const n = Number(process.env.COLUMNS);
  return Number.isInteger(n) && n >= 40 ? n : undefined;
}
