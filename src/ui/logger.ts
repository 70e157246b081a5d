import chalk, { chalkStderr, type ChalkInstance } from 'chalk';

const palette = (c: ChalkInstance) => ({ error: c.red, warn: c.yellow, info: c.cyan, success: c.green, dim: c.dim, bold: c.bold });

/**
 * Meaning → colour, so every command colours the same way. Each stream decides for itself
 * (a TTY, NO_COLOR, FORCE_COLOR): `highlight` is for stderr, where progress and errors go,
 * `highlightData` for stdout.
 */
export const highlight = palette(chalkStderr);
export const highlightData = palette(chalk);

/** Progress and errors go to stderr; only data goes to stdout. */
export interface Logger {
  info(message: string): void;
  success(message: string): void;
  warn(message: string): void;
  error(message: string): void;
  /** Shown only with --verbose. */
  debug(message: string): void;
  /** The command's result: stdout. */
  data(text: string): void;
  /** The command's result as JSON with --json, else rendered for people: stdout. */
  result<T>(value: T, render: (value: T) => string): void;
}

export interface LoggerOptions {
  verbose?: boolean;
  /** With --json, stderr keeps only warnings and errors so stdout stays machine-readable. */
  quiet?: boolean;
  /** --json: results are printed as JSON. */
  json?: boolean;
  stdout?: NodeJS.WritableStream;
  stderr?: NodeJS.WritableStream;
}

export function createLogger({ verbose = false, quiet = false, json = false, stdout = process.stdout, stderr = process.stderr }: LoggerOptions = {}): Logger {
  const err = (line: string) => stderr.write(`${line}\n`);
  const data = (text: string) => stdout.write(text.endsWith('\n') ? text : `${text}\n`);
  return {
    info: (message) => !quiet && err(message),
    success: (message) => !quiet && err(`${highlight.success('✔')} ${message}`),
    warn: (message) => err(`${highlight.warn('⚠')} ${message}`),
    error: (message) => err(`${highlight.error('✖')} ${message}`),
    debug: (message) => verbose && err(highlight.dim(message)),
    data,
    result: (value, render) => data(json ? JSON.stringify(value, null, 2) : render(value)),
  };
}
