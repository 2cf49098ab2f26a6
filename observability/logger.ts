/**
 * The one structured logger of every Omnia process: pino JSON lines on stdout, level from OMNIA_LOG_LEVEL.
 * Components take a child (`logger.child({ component: 'sink' })`) and add the fields an operator greps for:
 * OrderID, topic, partition, offset on pipeline lines; `err` with its stack on failures.
 */
import { hostname } from 'node:os';
import { pino, type Logger, type LoggerOptions } from 'pino';

export type { Logger };

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** pino's options for this project: ISO time, level as a word, errors serialised with their stack. */
export function loggerOptions(level: LogLevel = (process.env.OMNIA_LOG_LEVEL as LogLevel | undefined) || 'info'): LoggerOptions {
  return {
    level,
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label) => ({ level: label }) },
    serializers: { err: pino.stdSerializers.err },
    // A worker of `omnia start` (OMNIA_WORKERS) says which one it is on every line, beside pino's pid and host.
    ...(process.env.OMNIA_WORKER_NUMBER
      ? { base: { pid: process.pid, hostname: hostname(), worker: Number(process.env.OMNIA_WORKER_NUMBER) } }
      : {}),
  };
}

export const logger: Logger = pino(loggerOptions());

/**
 * A component's logger: the project logger's child `{ component }`; or, for a caller that collects the
 * component's lines itself (a test, a bench, the embedded default), the same records as their message lines.
 */
export function componentLogger(component: string, lines?: (line: string) => void): Logger {
  if (!lines) return logger.child({ component });
  return pino(loggerOptions(), { write: (json: string) => lines(String((JSON.parse(json) as { msg?: unknown }).msg ?? '')) }).child({
    component,
  });
}
