import { ExitCode, LabError } from './errors.js';
import { interrupts } from './interrupt.js';
import { highlight } from './ui/logger.js';

/**
 * How a run ends, shared by the CLI (cli.ts, with commander) and the `counters` fast path
 * (counters-main.ts, without it): the one line an error becomes, its exit code, and the signals
 * that stop a run. Nothing here loads commander.
 */

/** Joins a message that spans lines (a tool's stderr, commander's suggestion) into one line. */
export function oneLine(text: string): string {
  return text
    .split('\n')
    .map((line) => line.trim())
    .filter(Boolean)
    .join(' ');
}

/** A LabError (or anything else thrown) as its one line on stderr, and its exit code. */
export function reportFailure(
  error: unknown,
  { verbose = false, stderr = process.stderr as NodeJS.WritableStream }: { verbose?: boolean; stderr?: NodeJS.WritableStream } = {},
): number {
  if (error instanceof LabError) {
    stderr.write(`${highlight.error('✖')} ${oneLine(error.message)}${error.hint ? ` — ${oneLine(error.hint)}` : ''}\n`);
    if (verbose && error.detail) stderr.write(`${highlight.dim(error.detail)}\n`);
    if (verbose && error.stack) stderr.write(`${highlight.dim(error.stack)}\n`);
    return error.exitCode;
  }
  const message = error instanceof Error ? error.message : String(error);
  stderr.write(`${highlight.error('✖')} unexpected error: ${oneLine(message)} — run again with --verbose and report it\n`);
  if (verbose && error instanceof Error && error.stack) stderr.write(`${highlight.dim(error.stack)}\n`);
  return ExitCode.failed;
}

/**
 * The signals that stop k8s-lab (undoing a demo first). Windows never delivers SIGTERM to Node (a
 * `taskkill` or closing the window ends the process outright); Ctrl-Break arrives as SIGBREAK.
 */
export function stopSignals(platform: NodeJS.Platform = process.platform): NodeJS.Signals[] {
  return platform === 'win32' ? ['SIGINT', 'SIGBREAK'] : ['SIGINT', 'SIGTERM'];
}

/**
 * Runs `work` until it ends or a signal stops it: the first Ctrl-C stops at once, unless a demo is
 * undoing its changes (then it says so, and a second one stops at once). Rejects with what stopped it.
 */
export async function untilStopped(work: () => Promise<unknown>, stderr: NodeJS.WritableStream): Promise<void> {
  let onSignal: ((signal: NodeJS.Signals) => void) | undefined;
  const interrupted = new Promise<never>((_, reject) => {
    onSignal = (signal) => {
      const stopNow = interrupts.receive(signal);
      if (stopNow) reject(stopNow);
      else if (interrupts.narrator) interrupts.narrator(signal);
      else
        stderr.write(
          `${highlight.warn('⚠')} interrupted (${signal}): undoing the demo's changes first (${signal === 'SIGINT' ? 'Ctrl-C' : signal === 'SIGBREAK' ? 'Ctrl-Break' : signal} again stops at once)\n`,
        );
    };
    for (const signal of stopSignals()) process.on(signal, onSignal);
  });
  try {
    await Promise.race([work(), interrupted]);
  } finally {
    if (onSignal) for (const signal of stopSignals()) process.off(signal, onSignal);
  }
}
