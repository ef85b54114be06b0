// A tiny levelled logger writing one line per message to stderr.
import type { LogLevel } from './config.ts';

export interface Logger {
  error(msg: string, ...rest: unknown[]): void;
  warn(msg: string, ...rest: unknown[]): void;
  info(msg: string, ...rest: unknown[]): void;
  debug(msg: string, ...rest: unknown[]): void;
}

const RANK: Record<LogLevel, number> = { silent: 0, error: 1, warn: 2, info: 3, debug: 4 };

export function createLogger(level: LogLevel, write: (line: string) => void = (l) => process.stderr.write(l + '\n')): Logger {
  const at = (name: Exclude<LogLevel, 'silent'>) => (msg: string, ...rest: unknown[]) => {
    if (RANK[name] > RANK[level]) return;
    const extra = rest.map((r) => (r instanceof Error ? (r.stack ?? r.message) : typeof r === 'string' ? r : JSON.stringify(r)));
    write([new Date().toISOString(), name.toUpperCase(), msg, ...extra].join(' '));
  };
  return { error: at('error'), warn: at('warn'), info: at('info'), debug: at('debug') };
}
