import { Command, CommanderError, Option } from 'commander';
import { countersCommand } from './commands/counters.js';
import { demoUpdateCommand } from './commands/demo-update.js';
import { deployCommand } from './commands/deploy.js';
import { doctorCommand } from './commands/doctor.js';
import { labCommand } from './commands/lab.js';
import { reportCommand } from './commands/report.js';
import { statusCommand } from './commands/status.js';
import { teardownCommand } from './commands/teardown.js';
import { trafficCommand } from './commands/traffic.js';
import { ExitCode, InterruptedError, LabError } from './errors.js';
import { packageVersion } from './paths.js';
import { highlight } from './ui/logger.js';

function buildProgram(): Command {
  const program = new Command('k8s-lab')
    .description('A Kubernetes StatefulSet lab: deploy a counter app, read every pod\'s volume, run measured update demos')
    .version(packageVersion())
    .addOption(new Option('-n, --namespace <name>', 'namespace (default: the kubeconfig context\'s)').env('K8S_LAB_NAMESPACE'))
    .addOption(new Option('--release <name>', 'Helm release name; also the StatefulSet and Service name').default('helm-python').env('K8S_LAB_RELEASE'))
    .option('--context <name>', 'kubeconfig context to use')
    .option('--kubeconfig <file>', 'kubeconfig file (default: $KUBECONFIG or ~/.kube/config)')
    .option('--json', 'print the result as JSON on stdout')
    .option('--verbose', 'echo every helm/kubectl call, keep tool errors and stack traces')
    .showSuggestionAfterError()
    .exitOverride()
    .configureOutput({
      outputError: (message, write) => write(`${highlight.error('✖')} ${message.replace(/^error: /, '').trimEnd()} — see k8s-lab --help\n`),
    });
  for (const command of [deployCommand, statusCommand, countersCommand, trafficCommand, demoUpdateCommand, reportCommand, teardownCommand, doctorCommand, labCommand]) {
    program.addCommand(command.exitOverride().configureOutput(program.configureOutput()));
  }
  return program;
}

/** The one place that turns an error into a message and an exit code. */
export function handleError(error: unknown, { verbose = false, stderr = process.stderr } = {}): number {
  if (error instanceof CommanderError) {
    // commander has already printed its one-line message (or the help / version).
    return error.code === 'commander.helpDisplayed' || error.code === 'commander.version' || error.code === 'commander.help' ? ExitCode.ok : ExitCode.usage;
  }
  if (error instanceof LabError) {
    stderr.write(`${highlight.error('✖')} ${error.message}${error.hint ? ` — ${error.hint}` : ''}\n`);
    if (verbose && error.detail) stderr.write(`${highlight.dim(error.detail)}\n`);
    if (verbose && error.stack) stderr.write(`${highlight.dim(error.stack)}\n`);
    return error.exitCode;
  }
  const message = error instanceof Error ? error.message : String(error);
  stderr.write(`${highlight.error('✖')} unexpected error: ${message} — run again with --verbose and report it\n`);
  if (verbose && error instanceof Error && error.stack) stderr.write(`${highlight.dim(error.stack)}\n`);
  return ExitCode.failed;
}

/** Runs the CLI on `argv` (without node and script) and resolves to the exit code. */
export async function main(argv: string[]): Promise<number> {
  const program = buildProgram();
  let onSignal: ((signal: NodeJS.Signals) => void) | undefined;
  const interrupted = new Promise<never>((_, reject) => {
    onSignal = (signal) => reject(new InterruptedError(`interrupted (${signal})`));
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
  });
  try {
    await Promise.race([program.parseAsync(argv, { from: 'user' }), interrupted]);
    return ExitCode.ok;
  } catch (error) {
    return handleError(error, { verbose: argv.includes('--verbose') });
  } finally {
    if (onSignal) {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    }
  }
}
