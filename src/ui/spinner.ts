import type { Ora } from 'ora';
import { highlight } from './logger.js';

export interface Spinner {
  update(text: string): void;
  succeed(text: string): void;
  fail(text: string): void;
  stop(): void;
}

/**
 * An ora spinner on stderr. Off a TTY (CI logs) ora does not animate: the first text and the final
 * line are printed plainly. Silent with --json.
 */
export async function startSpinner(text: string, { silent = false } = {}): Promise<Spinner> {
  // Loaded when a spinner is needed, not at start-up.
  const { default: ora } = await import('ora');
  const spinner: Ora = ora({ text, stream: process.stderr, isSilent: silent, discardStdin: false }).start();
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
