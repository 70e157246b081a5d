/** Exit codes every command shares: 0 ok, 1 failed, 2 bad usage, 130 interrupted. */
export const ExitCode = { ok: 0, failed: 1, usage: 2, interrupted: 130 } as const;

/** A failure the user can act on: one line of what is wrong, one hint of what to do. */
export class LabError extends Error {
  readonly exitCode: number = ExitCode.failed;
  constructor(
    message: string,
    readonly hint?: string,
    /** Extra detail (a tool's stderr) shown only with --verbose. */
    readonly detail?: string,
  ) {
    super(message);
    this.name = new.target.name;
  }
}

/** The user asked for something that cannot work as written: nothing was run. */
export class UsageError extends LabError {
  override readonly exitCode: number = ExitCode.usage;
}

/** Ctrl-C or SIGTERM. */
export class InterruptedError extends LabError {
  override readonly exitCode: number = ExitCode.interrupted;
}
