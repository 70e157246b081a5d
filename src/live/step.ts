// --step: the demo waits before each phase until Enter is pressed, the panel saying what comes
// next and why (a paused rollout, for a teacher in front of a class).

import type { Terminal } from '../dependencies.js';

/** Why each phase of the demos is there, in the words of someone explaining it to a class. */
const WHY: Record<string, string> = {
  baseline: 'measure the Service before anything changes, to compare the update with',
  rollout: 'the controller replaces one pod at a time, highest ordinal first, each once the rest are Ready',
  restore: 'put the update strategy back as it was, for the next update',
  prepare: 'OnDelete: the new template is stored, but no pod changes until one is deleted',
  recreate: 'every pod goes at once: fast, but the Service has no pod to send requests to until new ones are Ready',
  'scale-out': 'extra pods on the new version take a share of real traffic; partition keeps the old pods as they are',
  check: 'the new pods answer real requests; only if none fails does the update go on',
  promote: 'partition 0: the controller moves the old pods to the new version, highest ordinal first',
  'scale-in': 'the canary pods have done their job: back to the original replica count',
  'first-pod': 'partition = replicas - 1: only the highest ordinal updates',
  rest: 'partition 0: the remaining pods follow, one at a time',
  settle: 'measure the Service after the last change: it must serve as before',
  abort: 'the check failed: the canaries go, the old version keeps serving',
  rollback: 'the check failed: the pod goes back to the old version',
};

export function whyPhase(name: string): string {
  return WHY[name] ?? 'the next step of the demo';
}

type RawTerminal = Terminal & { setRawMode?: (raw: boolean) => unknown };

/**
 * Waits for Enter on a terminal, before each phase. The terminal is in raw mode for the whole demo
 * (no echo, which would move the panel down) and read all along, so a key pressed while a phase
 * runs is dropped rather than kept for the next pause. Ctrl-C arrives as a byte then: it is passed
 * on as SIGINT, as the terminal would have done.
 */
export class StepGate {
  private waiting?: () => void;
  private readonly onData = (chunk: Buffer | string) => {
    const text = chunk.toString();
    if (text.includes('\u0003')) this.interrupt();
    else if (/[\r\n]/.test(text) && this.waiting) {
      const go = this.waiting;
      this.waiting = undefined;
      go();
    }
  };

  constructor(
    private readonly stdin: Terminal,
    private readonly interrupt: () => void = () => process.kill(process.pid, 'SIGINT'),
  ) {}

  start(): void {
    (this.stdin as RawTerminal).setRawMode?.(true);
    this.stdin.on('data', this.onData);
    this.stdin.resume();
  }

  stop(): void {
    this.stdin.off('data', this.onData);
    (this.stdin as RawTerminal).setRawMode?.(false);
    this.stdin.pause();
  }

  /** Resolves at the next Enter; rejects with the signal's reason when it aborts first. */
  wait(signal?: AbortSignal): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      if (signal?.aborted) return reject(signal.reason);
      const onAbort = () => {
        this.waiting = undefined;
        reject(signal?.reason);
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.waiting = () => {
        signal?.removeEventListener('abort', onAbort);
        resolve();
      };
    });
  }
}
