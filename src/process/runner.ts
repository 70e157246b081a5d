// execa is loaded on the first call, not at start-up: `k8s-lab --help` never needs it.
const loadExeca = async () => (await import('execa')).execa;

const running = new Set<{ kill(signal: NodeJS.Signals): boolean }>();
process.on('exit', () => {
  for (const subprocess of running) subprocess.kill('SIGTERM');
});

/** Keeps a started tool in `running` until it ends. */
function track<T extends { kill(signal: NodeJS.Signals): boolean; finally(f: () => void): unknown }>(subprocess: T): T {
  running.add(subprocess);
  void subprocess.finally(() => running.delete(subprocess));
  return subprocess;
}

/** One helm/kubectl invocation, built as data: never a shell string. */
export interface ToolCall {
  bin: string;
  args: string[];
  /** Kills the process after this long; every call has one. */
  timeoutMs: number;
  input?: string;
  /** Variables added to the environment (a kubeconfig's exec credential plugin's). */
  env?: Record<string, string>;
}

export interface ToolResult {
  call: ToolCall;
  exitCode: number;
  stdout: string;
  stderr: string;
  timedOut: boolean;
  /** The binary could not be started at all (ENOENT, EACCES). */
  notFound: boolean;
  durationMs: number;
}

/** A long-running call (e.g. `kubectl get --watch`) whose stdout is read as it comes. */
export interface ToolStream {
  /** Ends the process; resolves once it has exited. */
  stop(): Promise<void>;
  /** Settles when the process exits by itself, with its stderr. */
  exited: Promise<{ exitCode: number; stderr: string }>;
}

export interface Runner {
  run(call: ToolCall): Promise<ToolResult>;
  stream(call: ToolCall, onStdout: (chunk: string) => void): ToolStream;
}

export interface RunnerOptions {
  /** Echo each call (and its duration and exit code) through this sink, e.g. for --verbose. */
  echo?: (line: string) => void;
  env?: Record<string, string>;
}

/**
 * How every tool is spawned. `detached` puts it in a process group of its own on every platform:
 * on Linux and macOS its own POSIX process group (the terminal's Ctrl-C goes to k8s-lab only); on
 * Windows, where there are no POSIX groups, Node starts it with CREATE_NEW_PROCESS_GROUP (and no
 * console of its own), which likewise keeps the console's Ctrl-C and Ctrl-Break from it. No process
 * group is ever signalled as a whole (no `process.kill(-pid)`, which Windows does not have): each
 * tool is ended by its own handle, which on Windows terminates it outright.
 */
export function spawnOptions(platform: NodeJS.Platform = process.platform): { detached: true; windowsHide: boolean } {
  return { detached: true, windowsHide: platform === 'win32' };
}

/**
 * The one place that starts helm and kubectl processes. Never throws for a failed call.
 *
 * Each tool runs in its own process group (`detached`), so Ctrl-C in the terminal reaches k8s-lab
 * alone: a helm upgrade under way finishes instead of dying halfway (which would leave the release
 * pending-upgrade), and k8s-lab decides what to stop and undo. execa does not clean up detached
 * processes, so the runner ends whatever is still running when k8s-lab exits.
 */
export function createRunner(options: RunnerOptions = {}): Runner {
  return {
    async run(call) {
      options.echo?.(`$ ${formatCall(call)}`);
      const execa = await loadExeca();
      const started = performance.now();
      const result = await track(
        execa(call.bin, call.args, {
          reject: false,
          timeout: call.timeoutMs,
          killSignal: 'SIGKILL',
          ...spawnOptions(),
          input: call.input,
          stdin: call.input === undefined ? 'ignore' : 'pipe',
          env: call.env ? { ...options.env, ...call.env } : options.env,
          stripFinalNewline: false,
        }),
      );
      const durationMs = Math.round(performance.now() - started);
      const code = (result as { code?: string }).code;
      const notFound = code === 'ENOENT' || code === 'EACCES';
      const exitCode = result.exitCode ?? (notFound ? 127 : 1);
      options.echo?.(`  → exit ${exitCode}${result.timedOut ? ' (timed out)' : ''} in ${durationMs} ms`);
      return {
        call,
        exitCode,
        stdout: String(result.stdout ?? ''),
        stderr: String(result.stderr ?? ''),
        timedOut: Boolean(result.timedOut),
        notFound,
        durationMs,
      };
    },
    stream(call, onStdout) {
      options.echo?.(`$ ${formatCall(call)} (streaming)`);
      const child = loadExeca().then((execa) => {
        const subprocess = track(
          execa(call.bin, call.args, {
            reject: false,
            timeout: call.timeoutMs,
            ...spawnOptions(),
            stdin: 'ignore',
            buffer: { stdout: false, stderr: true },
            env: options.env,
          }),
        );
        subprocess.stdout?.setEncoding('utf8');
        subprocess.stdout?.on('data', (chunk: string) => onStdout(chunk));
        // Wrapped: the subprocess is itself a promise, and returning it would await its end.
        return { subprocess };
      });
      const exited = child.then(async ({ subprocess }) => {
        const result = await subprocess;
        return { exitCode: result.exitCode ?? 1, stderr: String(result.stderr ?? '') };
      });
      return {
        exited,
        async stop() {
          (await child).subprocess.kill('SIGTERM');
          await exited;
        },
      };
    },
  };
}

/** A copy-pasteable rendering of a call, for --verbose and --dry-run only. */
export function formatCall(call: Pick<ToolCall, 'bin' | 'args'>): string {
  return [call.bin, ...call.args].map(quoteArg).join(' ');
}

function quoteArg(arg: string): string {
  return /^[\w@%+=:,./-]+$/.test(arg) ? arg : `'${arg.replaceAll("'", `'\\''`)}'`;
}
