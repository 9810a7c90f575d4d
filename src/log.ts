import { pino, type Logger } from 'pino';

// Structured logs on stderr (stdout is reserved for command output such as SBOMs).
// Secrets never reach a log line: known secret-bearing keys are redacted wherever they appear.
const REDACT = [
  'authorization', 'Authorization', 'password', 'token', 'secret', 'auth', 'identitytoken',
  '*.authorization', '*.Authorization', '*.password', '*.token', '*.secret', '*.auth', '*.identitytoken',
  'headers.authorization', 'headers.Authorization',
];

export function createLogger(level = process.env.CUSTOMS_LOG_LEVEL ?? 'info'): Logger {
  return pino({ level, base: { svc: 'customs' }, redact: { paths: REDACT, censor: '[redacted]' } }, pino.destination(2));
}

export let log: Logger = createLogger();
export function setLogLevel(level: string): void { log.level = level; }
export type { Logger };
