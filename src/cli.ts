import { Command, CommanderError, Help, Option } from 'commander';
import { commands } from './commands/definitions.js';
import { ExitCode } from './errors.js';
import { oneLine, reportFailure, untilStopped } from './exit.js';
import { provideDependencies, type LabDependencies } from './dependencies.js';
import { packageVersion } from './paths.js';
import { highlight } from './ui/logger.js';

export { oneLine, stopSignals } from './exit.js';

function buildProgram(stderr: NodeJS.WritableStream, stdout: NodeJS.WritableStream): Command {
  const output = (help: string) => ({
    writeOut: (text: string) => void stdout.write(text),
    writeErr: (text: string) => void stderr.write(text),
    outputError: (message: string, write: (text: string) => void) => write(`${highlight.error('✖')} ${usageLine(message, help)}\n`),
  });
  const program = new Command('k8s-lab')
    .description("A Kubernetes StatefulSet lab: deploy a counter app, read every pod's volume, run measured update demos")
    .version(packageVersion())
    .addOption(new Option('-n, --namespace <name>', "namespace (default: the kubeconfig context's)").env('K8S_LAB_NAMESPACE'))
    .addOption(new Option('--release <name>', 'Helm release name; also the StatefulSet and Service name').default('helm-python').env('K8S_LAB_RELEASE'))
    .option('--context <name>', 'kubeconfig context to use')
    .option('--kubeconfig <file>', 'kubeconfig file (default: $KUBECONFIG or ~/.kube/config)')
    .option('--json', 'print the result as JSON on stdout')
    .option('--verbose', 'echo every helm/kubectl call, keep tool errors and stack traces')
    // The command list shows names alone, as it did when only the command that ran was built in full.
    .configureHelp({ subcommandTerm: (command) => new Help().subcommandTerm(command).replace(' [options]', '') })
    .showSuggestionAfterError()
    .exitOverride()
    .configureOutput(output('k8s-lab --help'));
  // Each command's code is imported by its action (src/commands/definitions.ts), when it runs.
  for (const command of commands()) {
    program.addCommand(command.exitOverride().configureOutput(output(`k8s-lab ${command.name()} --help`)), { hidden: command.name() === 'complete' });
  }
  return program;
}

/**
 * Commander's usage error as our one line, `<what> — <what to do>`: `option '--replicas <n>'
 * argument 'abc' is invalid. expected …` becomes `--replicas "abc" is invalid: expected …`, and the
 * suggestion it prints on a second line joins the first.
 */
export function usageLine(message: string, help: string): string {
  const text = oneLine(message.replace(/^error: /, ''))
    .replace(/\(Did you mean (.+?)\)/, '(did you mean $1)')
    .replace(
      /^option '(-\w, )?(--[\w-]+)[^']*' (?:argument|value) '(.*?)'( from env '\w+')? is invalid\. (.+)$/,
      (_, _short, flag: string, value: string, env: string | undefined, why: string) =>
        `${flag} "${value}"${env ? env.replace(/ from env '(\w+)'/, ' (from $$$1)') : ''} is invalid: ${why.charAt(0).toLowerCase()}${why.slice(1)}`,
    )
    .replace(/^required option '(?:-\w, )?(--[\w-]+)[^']*' not specified$/, '$1 is required')
    .replace(/\.$/, '');
  return `${text} — see ${help}`;
}

/** The one place that turns an error into a message and an exit code. */
export function handleError(
  error: unknown,
  { verbose = false, stderr = process.stderr as NodeJS.WritableStream }: { verbose?: boolean; stderr?: NodeJS.WritableStream } = {},
): number {
  if (error instanceof CommanderError) {
    // commander has already printed its one-line message (or the help / version).
    return error.code === 'commander.helpDisplayed' || error.code === 'commander.version' || error.code === 'commander.help' ? ExitCode.ok : ExitCode.usage;
  }
  return reportFailure(error, { verbose, stderr });
}

/**
 * Runs the CLI on `argv` (without node and script) and resolves to the exit code. `deps` replaces
 * the process's runner, environment and streams (the command tests' fake cluster).
 */
export async function main(argv: string[], deps: Omit<LabDependencies, 'log'> = {}): Promise<number> {
  const stdout = deps.stdout ?? process.stdout;
  const stderr = deps.stderr ?? process.stderr;
  const verbose = argv.includes('--verbose');
  let program: Command;
  try {
    program = buildProgram(stderr, stdout);
  } catch (error) {
    return handleError(error, { verbose, stderr });
  }
  provideDependencies(program, { ...deps, stdout, stderr });
  try {
    await untilStopped(() => program.parseAsync(argv, { from: 'user' }), stderr);
    return ExitCode.ok;
  } catch (error) {
    return handleError(error, { verbose, stderr });
  }
}
