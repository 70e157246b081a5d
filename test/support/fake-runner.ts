import type { Runner, ToolCall, ToolResult, ToolStream } from '../../src/process/runner.js';

export interface Scripted {
  /** Matches the call's arguments joined by spaces. */
  match: RegExp;
  /** Also matches what the call sends on stdin, when given. */
  input?: RegExp;
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
    const answer = this.script.find((s) => s.match.test(line) && (!s.input || s.input.test(call.input ?? '')));
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

  /** Streams the scripted stdout in chunks of `chunkSize`, then stays open until stopped. */
  stream(call: ToolCall, onStdout: (chunk: string) => void, chunkSize = 7): ToolStream {
    this.calls.push(call);
    const answer = this.script.find((s) => s.match.test(call.args.join(' ')));
    const text = answer?.stdout ?? '';
    let stop!: () => void;
    const exited = new Promise<{ exitCode: number; stderr: string }>((resolve) => (stop = () => resolve({ exitCode: 0, stderr: '' })));
    queueMicrotask(() => {
      for (let i = 0; i < text.length; i += chunkSize) onStdout(text.slice(i, i + chunkSize));
    });
    return { exited, stop: async () => stop() };
  }

  lines(): string[] {
    return this.calls.map((c) => c.args.join(' '));
  }
}
