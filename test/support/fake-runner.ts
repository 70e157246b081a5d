import type { Runner, ToolCall, ToolResult } from '../../src/process/runner.js';

export interface Scripted {
  /** Matches the call's arguments joined by spaces. */
  match: RegExp;
  exitCode?: number;
  stdout?: string;
  stderr?: string;
  timedOut?: boolean;
  notFound?: boolean;
}

/** A runner that answers from a script and records every call: for unit tests only. */
export class FakeRunner implements Runner {
  readonly calls: ToolCall[] = [];
  constructor(private readonly script: Scripted[]) {}

  async run(call: ToolCall): Promise<ToolResult> {
    this.calls.push(call);
    const line = call.args.join(' ');
    const answer = this.script.find((s) => s.match.test(line));
    if (!answer) throw new Error(`FakeRunner: no scripted answer for: ${call.bin} ${line}`);
    return {
      call,
      exitCode: answer.exitCode ?? 0,
      stdout: answer.stdout ?? '',
      stderr: answer.stderr ?? '',
      timedOut: answer.timedOut ?? false,
      notFound: answer.notFound ?? false,
      durationMs: 1,
    };
  }

  lines(): string[] {
    return this.calls.map((c) => c.args.join(' '));
  }
}
