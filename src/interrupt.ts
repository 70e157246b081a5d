import { InterruptedError } from './errors.js';

/**
 * Ctrl-C and SIGTERM. Most commands just stop (exit 130). A demo has changed the release halfway
 * and must put it back first: while it runs inside `whileUndoable`, the first signal only aborts
 * `signal`, the demo notices at its next step, undoes what it did and then exits 130. A second
 * signal stops at once.
 */
export class Interrupts {
  private controller = new AbortController();
  private undoable = 0;
  /** Says that the demo is being undone, where a live panel is up (a line on stderr would be drawn over). */
  narrator?: (signal: NodeJS.Signals) => void;

  /** Aborted (with an InterruptedError as its reason) by the first Ctrl-C or SIGTERM. */
  get signal(): AbortSignal {
    return this.controller.signal;
  }

  /** Runs `body` as work that must be undone on interruption rather than cut short. */
  async whileUndoable<T>(body: (signal: AbortSignal) => Promise<T>): Promise<T> {
    this.undoable++;
    try {
      return await body(this.signal);
    } finally {
      this.undoable--;
    }
  }

  /**
   * Takes a signal. Returns the error to stop with now, or undefined when undoable work is under
   * way and will stop by itself once it has undone its changes.
   */
  receive(signal: NodeJS.Signals): InterruptedError | undefined {
    if (!this.signal.aborted) {
      this.controller.abort(new InterruptedError(`interrupted (${signal})`));
      if (this.undoable > 0) return undefined;
      return this.signal.reason as InterruptedError;
    }
    return this.undoable > 0
      ? new InterruptedError(
          `interrupted again (${signal}): stopped before the demo's changes were undone`,
          'put the chart values back with `k8s-lab deploy` (add your usual options)',
        )
      : (this.signal.reason as InterruptedError);
  }
}

/** The process's one instance, fed by `main`'s signal handlers. */
export const interrupts = new Interrupts();
