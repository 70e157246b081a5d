// A scripted fake cluster for command tests (helm's cmdTestCase, argo-rollouts' fake options):
// each test lists the helm/kubectl calls it expects, with their exact arguments and answers, and
// runs `main(argv)` against it. A call with no script fails the test, and so does a scripted call
// that was never made.
import { PassThrough, Writable } from 'node:stream';
import { expect } from 'vitest';
import { main } from '../../src/cli.js';
import type { Runner, ToolCall, ToolResult, ToolStream } from '../../src/process/runner.js';

/** One expected call. An argument given as a RegExp matches a value the test cannot know (a temp path). */
export interface Expected {
  bin: 'helm' | 'kubectl';
  args: (string | RegExp)[];
  /** What the call must send on stdin (a dry-run create's object), when given. */
  input?: string | RegExp;
  exitCode?: number;
  /** Objects are answered as their JSON. */
  stdout?: string | object;
  stderr?: string;
  /** The process could not be started (ENOENT). */
  notFound?: boolean;
  /** A stream's later output (a watch's later events), each so many ms after it started; it exits after the last. */
  later?: { afterMs: number; stdout: string }[];
  /** Called when the call is made, before it answers (a test's Ctrl-C at that moment). */
  onCall?: () => void;
}

export const helm = (args: (string | RegExp)[], answer: Omit<Expected, 'bin' | 'args'> = {}): Expected => ({ bin: 'helm', args, ...answer });
export const kubectl = (args: (string | RegExp)[], answer: Omit<Expected, 'bin' | 'args'> = {}): Expected => ({ bin: 'kubectl', args, ...answer });

function matches(expected: Expected, call: ToolCall): boolean {
  return (
    expected.bin === call.bin &&
    expected.args.length === call.args.length &&
    expected.args.every((arg, i) => (arg instanceof RegExp ? arg.test(call.args[i] ?? '') : arg === call.args[i])) &&
    (expected.input === undefined || (expected.input instanceof RegExp ? expected.input.test(call.input ?? '') : expected.input === call.input))
  );
}

const show = (call: Pick<ToolCall, 'bin' | 'args'>) => JSON.stringify([call.bin, ...call.args]);

export class FakeCluster implements Runner {
  /** Every call made, in order: `[bin, ...args]`. */
  readonly calls: string[][] = [];
  /** Calls that had no script. */
  readonly unscripted: string[] = [];
  private readonly pending: Expected[];

  constructor(script: Expected[]) {
    this.pending = [...script];
  }

  private take(call: ToolCall): Expected {
    this.calls.push([call.bin, ...call.args]);
    const index = this.pending.findIndex((expected) => matches(expected, call));
    if (index < 0) {
      this.unscripted.push(show(call));
      throw new Error(`fake cluster: no script for ${show(call)}`);
    }
    const expected = this.pending.splice(index, 1)[0]!;
    expected.onCall?.();
    return expected;
  }

  async run(call: ToolCall): Promise<ToolResult> {
    const answer = this.take(call);
    return {
      call,
      exitCode: answer.exitCode ?? (answer.notFound ? 127 : 0),
      stdout: typeof answer.stdout === 'object' ? JSON.stringify(answer.stdout) : (answer.stdout ?? ''),
      stderr: answer.stderr ?? '',
      timedOut: false,
      notFound: Boolean(answer.notFound),
      durationMs: 1,
    };
  }

  /**
   * A stream (kubectl proxy, a watch) prints its scripted stdout (a watch's events), then exits
   * with its scripted code and stderr.
   */
  stream(call: ToolCall, onStdout?: (chunk: string) => void): ToolStream {
    const answer = this.take(call);
    const stdout = typeof answer.stdout === 'object' ? JSON.stringify(answer.stdout) : answer.stdout;
    const exited = new Promise<{ exitCode: number; stderr: string }>((resolve) =>
      setImmediate(() => {
        if (stdout && onStdout) onStdout(stdout);
        const later = answer.later ?? [];
        for (const chunk of later) setTimeout(() => onStdout?.(chunk.stdout), chunk.afterMs);
        const exit = () => resolve({ exitCode: answer.exitCode ?? 1, stderr: answer.stderr ?? '' });
        if (later.length) setTimeout(exit, Math.max(...later.map((c) => c.afterMs)));
        else exit();
      }),
    );
    return { exited, stop: async () => void (await exited) };
  }

  /** The scripted calls that were not made. */
  get unused(): string[] {
    return this.pending.map((expected) => JSON.stringify([expected.bin, ...expected.args.map(String)]));
  }
}

export interface CommandRun {
  code: number;
  stdout: string;
  stderr: string;
  /** Every helm/kubectl call made, in order: `[bin, ...args]`. */
  calls: string[][];
}

function capture(): { stream: NodeJS.WritableStream; text: () => string } {
  let text = '';
  const stream = new Writable({
    write(chunk: Buffer | string, _encoding, done) {
      text += String(chunk);
      done();
    },
  });
  return { stream, text: () => text };
}

/**
 * Runs `k8s-lab <argv>` through main() against the scripted calls. Throws (failing the test) when a
 * call had no script or a scripted call was not made; the caller asserts the rest.
 */
export async function runCommand(
  argv: string[],
  script: Expected[],
  {
    tty = false,
    typed,
    env = {},
    entry = main,
  }: {
    tty?: boolean;
    typed?: string;
    env?: Record<string, string>;
    /** What runs the argv: main() unless a test says otherwise (the `counters` fast path, src/counters-main.ts). */
    entry?: (argv: string[], deps: Parameters<typeof main>[1]) => Promise<number | undefined>;
  } = {},
): Promise<CommandRun> {
  const cluster = new FakeCluster(script);
  const stdout = capture();
  const stderr = capture();
  const stdin = Object.assign(new PassThrough(), { isTTY: tty });
  if (typed !== undefined) stdin.end(typed);
  const code = await entry(argv, {
    runner: cluster,
    env: { PATH: '', K8S_LAB_HELM: 'helm', K8S_LAB_KUBECTL: 'kubectl', ...env },
    stdout: stdout.stream,
    stderr: stderr.stream,
    stdin,
  });
  // Let the capture streams deliver what was written.
  await new Promise((resolve) => setImmediate(resolve));
  if (cluster.unscripted.length) throw new Error(`calls with no script:\n${cluster.unscripted.join('\n')}\nstderr: ${stderr.text()}`);
  if (cluster.unused.length) throw new Error(`scripted calls not made:\n${cluster.unused.join('\n')}\nstderr: ${stderr.text()}`);
  if (code === undefined) throw new Error(`${argv.join(' ')}: left to the CLI`);
  return { code, stdout: stdout.text(), stderr: stderr.text(), calls: cluster.calls };
}

/** The expected calls as `[bin, ...args]`, for comparing with CommandRun.calls. */
export function callsOf(script: Expected[]): unknown[] {
  return script.map((expected) => [expected.bin, ...expected.args.map((arg) => (arg instanceof RegExp ? expect.stringMatching(arg) : arg))]);
}
