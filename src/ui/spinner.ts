import type { Ora } from 'ora';
import { highlight } from './logger.js';

export interface Spinner {
  update(text: string): void;
  succeed(text: string): void;
  fail(text: string): void;
  /** Ends the spinner without a line of its own: the caller reports what went wrong. */
  stop(): void;
}

export interface SpinnerOptions {
  /** With --json: nothing at all. */
  silent?: boolean;
  stream?: NodeJS.WritableStream;
}

/**
 * An ora spinner on stderr. Off a TTY (CI logs, a pipe) nothing animates and nothing is printed
 * until the step ends: its final line (✔ or ✖) only. ora would print the start text as a line of
 * its own there, so a step that then fails would show two lines where a failure is one.
 */
export async function startSpinner(text: string, { silent = false, stream = process.stderr }: SpinnerOptions = {}): Promise<Spinner> {
  // Loaded when a spinner is needed, not at start-up.
  const { default: ora } = await import('ora');
  const spinner: Ora = ora({ text, stream, isSilent: silent, discardStdin: false });
  if (!spinner.isEnabled) return finalLineOnly(stream, silent);
  spinner.start();
  let last = text;
  return {
    update(next) {
      if (next === last) return;
      last = next;
      spinner.text = next;
    },
    // Our own symbols, coloured by whether stderr takes colour (ora's follow stdout).
    succeed: (final) => void spinner.stopAndPersist({ symbol: highlight.success('✔'), text: final }),
    fail: (final) => void spinner.stopAndPersist({ symbol: highlight.error('✖'), text: final }),
    stop: () => void spinner.stop(),
  };
}

function finalLineOnly(stream: NodeJS.WritableStream, silent: boolean): Spinner {
  const line = (symbol: string, final: string) => void (silent || stream.write(`${symbol} ${final}\n`));
  return {
    update: () => {},
    succeed: (final) => line(highlight.success('✔'), final),
    fail: (final) => line(highlight.error('✖'), final),
    stop: () => {},
  };
}
