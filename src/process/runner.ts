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
  /** The platform to spawn for (tests inject win32); process.platform when not given. */
  platform?: NodeJS.Platform;
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

/** What is actually started for a call: the tool itself, or on Windows cmd.exe running a batch file. */
export interface SpawnPlan {
  file: string;
  args: string[];
  /** The arguments are one command line already quoted for cmd.exe: Node must not quote them again. */
  windowsVerbatimArguments?: boolean;
  /** The call cannot be made this way; the message says why and what to do. */
  error?: string;
}

// cmd.exe's metacharacters, each escaped with ^ (as cross-spawn, which execa uses, does).
const CMD_META = /([()\][%!^"`<>&|;, *?])/g;

/** One argument as the program's C runtime reads it back (CommandLineToArgvW rules), then escaped for cmd.exe. */
function cmdArgument(arg: string, times: number): string {
  let quoted = `"${arg.replace(/(\\*)"/g, '$1$1\\"').replace(/(\\*)$/, '$1$1')}"`;
  for (let i = 0; i < times; i++) quoted = quoted.replace(CMD_META, '^$1');
  return quoted;
}

/**
 * How to start a call. On Windows a `.cmd` or `.bat` (a helm or kubectl wrapper some installers put
 * on PATH) cannot be spawned directly: since the April 2024 fix (CVE-2024-27980) Node refuses with
 * EINVAL unless a shell runs it. So it runs as `cmd.exe /d /s /c "<line>"`, the line built here with
 * every argument quoted and its metacharacters escaped twice (once for this cmd.exe, once for the
 * batch file's `%*`, which cmd.exe parses again), and passed verbatim. A batch file cannot receive a
 * line break, so an argument with one (the SIGKILL lesson's script) is refused with an explanation.
 */
export function spawnPlan(call: Pick<ToolCall, 'bin' | 'args'>, platform: NodeJS.Platform = process.platform, env: NodeJS.ProcessEnv = process.env): SpawnPlan {
  if (platform !== 'win32' || !/\.(cmd|bat)$/i.test(call.bin)) return { file: call.bin, args: call.args };
  const shell = env.ComSpec ?? env.COMSPEC ?? env.comspec ?? 'cmd.exe';
  if (call.args.some((arg) => /[\r\n\0]/.test(arg))) {
    return {
      file: shell,
      args: [],
      error: `${call.bin} is a batch file, which cannot be passed an argument with a line break: point K8S_LAB_${/kubectl/i.test(call.bin) ? 'KUBECTL' : 'HELM'} at the .exe it runs`,
    };
  }
  const line = [call.bin.replace(CMD_META, '^$1'), ...call.args.map((arg) => cmdArgument(arg, 2))].join(' ');
  return { file: shell, args: ['/d', '/s', '/c', `"${line}"`], windowsVerbatimArguments: true };
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
      options.echo?.(`${prompt(options.platform)}${formatCall(call, options.platform)}`);
      const plan = spawnPlan(call, options.platform);
      if (plan.error) return { call, exitCode: 1, stdout: '', stderr: `${plan.error}\n`, timedOut: false, notFound: false, durationMs: 0 };
      const execa = await loadExeca();
      const started = performance.now();
      const result = await track(
        execa(plan.file, plan.args, {
          reject: false,
          windowsVerbatimArguments: plan.windowsVerbatimArguments,
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
      options.echo?.(`${prompt(options.platform)}${formatCall(call, options.platform)} (streaming)`);
      const plan = spawnPlan(call, options.platform);
      const child = loadExeca().then((execa) => {
        const subprocess = track(
          execa(plan.file, plan.args, {
            reject: false,
            windowsVerbatimArguments: plan.windowsVerbatimArguments,
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

/** The prompt --verbose puts before a call: `$ ` for a POSIX shell, `> ` for cmd.exe. */
function prompt(platform: NodeJS.Platform = process.platform): string {
  return platform === 'win32' ? '> ' : '$ ';
}

/**
 * A copy-pasteable rendering of a call, for --verbose and --dry-run only: POSIX shell quoting, and
 * on Windows cmd.exe's (double quotes, an inner `"` as `\"` and backslashes before it doubled, the
 * rules every Windows program reads its command line by).
 */
export function formatCall(call: Pick<ToolCall, 'bin' | 'args'>, platform: NodeJS.Platform = process.platform): string {
  return [call.bin, ...call.args].map(platform === 'win32' ? quoteWindows : quotePosix).join(' ');
}

function quotePosix(arg: string): string {
  return /^[\w@%+=:,./-]+$/.test(arg) ? arg : `'${arg.replaceAll("'", `'\\''`)}'`;
}

function quoteWindows(arg: string): string {
  if (/^[\w@+=:,./\\-]+$/.test(arg)) return arg;
  return `"${arg.replace(/(\\*)"/g, '$1$1\\"').replace(/(\\*)$/, '$1$1')}"`;
}
