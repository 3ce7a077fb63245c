/**
 * JSON lines on stdout. Values under keys that look secret are replaced, so
 * a password or key can never reach the log even by mistake.
 */
const SECRET_KEY = /pass(word)?|secret(?!Name|Ref)|token|key$|tls\.key|data/i;

function redact(value: unknown, depth = 0): unknown {
  if (depth > 6 || value === null || typeof value !== 'object') return value;
  if (value instanceof Error) return { message: value.message, name: value.name };
  if (Array.isArray(value)) return value.map((v) => redact(v, depth + 1));
  return Object.fromEntries(Object.entries(value as Record<string, unknown>).map(([k, v]) =>
    [k, SECRET_KEY.test(k) && typeof v !== 'number' && typeof v !== 'boolean' ? '[redacted]' : redact(v, depth + 1)]));
}

export type Level = 'debug' | 'info' | 'warn' | 'error';

export class Logger {
  constructor(private readonly base: Record<string, unknown> = {}, private readonly out: (line: string) => void = (l) => { process.stdout.write(`${l}\n`); }) {}

  child(fields: Record<string, unknown>): Logger {
    return new Logger({ ...this.base, ...fields }, this.out);
  }

  log(level: Level, msg: string, fields: Record<string, unknown> = {}): void {
    this.out(JSON.stringify({ ts: new Date().toISOString(), level, msg, ...(redact({ ...this.base, ...fields }) as object) }));
  }

  info(msg: string, fields?: Record<string, unknown>): void { this.log('info', msg, fields); }
  warn(msg: string, fields?: Record<string, unknown>): void { this.log('warn', msg, fields); }
  error(msg: string, fields?: Record<string, unknown>): void { this.log('error', msg, fields); }
}
