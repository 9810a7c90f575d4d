import { pino, type Logger } from 'pino';

// Structured logs on stderr (stdout is reserved for command output such as SBOMs).
// Secrets never reach a log line: known secret-bearing keys are redacted wherever they appear.
const REDACT = [
  'authorization', 'Authorization', 'password', 'token', 'secret', 'auth', 'identitytoken',
  '*.authorization', '*.Authorization', '*.password', '*.token', '*.secret', '*.auth', '*.identitytoken',
  'headers.authorization', 'headers.Authorization',
];

export type LogFormat = 'json' | 'text';

// Fields a person at a terminal does not need on every line.
const QUIET_FIELDS = new Set(['level', 'time', 'svc', 'msg', 'pid', 'hostname']);

/**
 * `text`: one line a person reads — "customs: warning: registry busy or failing; retrying (host=…,
 * attempt=2)" — for the command line; `json`: pino's lines, for the service and for machines. The
 * same redaction applies to both (pino redacts before either is written).
 */
function textDestination(): { write(line: string): void } {
  const names: Record<number, string> = { 10: 'trace', 20: 'debug', 30: 'info', 40: 'warning', 50: 'error', 60: 'fatal' };
  return {
    write(line: string) {
      let o: Record<string, unknown>;
      try { o = JSON.parse(line) as Record<string, unknown>; } catch { process.stderr.write(line); return; }
      const fields = Object.entries(o).filter(([k]) => !QUIET_FIELDS.has(k))
        .map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`.slice(0, 300));
      process.stderr.write(`customs: ${names[Number(o.level)] ?? 'log'}: ${String(o.msg ?? '')}${fields.length ? ` (${fields.join(', ')})` : ''}\n`);
    },
  };
}

export function createLogger(level = process.env.CUSTOMS_LOG_LEVEL ?? 'info', format: LogFormat = 'json'): Logger {
  return pino({ level, base: { svc: 'customs' }, redact: { paths: REDACT, censor: '[redacted]' } }, format === 'text' ? textDestination() : pino.destination(2));
}

export let log: Logger = createLogger();
export function setLogLevel(level: string): void { log.level = level; }
export function setLogFormat(format: LogFormat): void { log = createLogger(log.level, format); }
export type { Logger };
