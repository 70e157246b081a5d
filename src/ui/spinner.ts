import ora, { type Ora } from 'ora';

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
export function startSpinner(text: string, { silent = false } = {}): Spinner {
  const spinner: Ora = ora({ text, stream: process.stderr, isSilent: silent, discardStdin: false }).start();
  let last = text;
  return {
    update(next) {
      if (next === last) return;
      last = next;
      spinner.text = next;
    },
    succeed: (final) => void spinner.succeed(final),
    fail: (final) => void spinner.fail(final),
    stop: () => void spinner.stop(),
  };
}
