import { existsSync, statSync } from 'node:fs';
import { delimiter } from 'node:path';
import type { Command } from 'commander';
import { dependenciesOf, type LabDependencies, type Terminal } from './dependencies.js';
import { createApply, type Apply, type ChangeFault } from './adapters/changes.js';
import { Helm } from './adapters/helm.js';
import { Kubectl, type KubeTarget } from './adapters/kubectl.js';
import type { ReadOutage } from './adapters/transient.js';
import { UsageError } from './errors.js';
import { checkName } from './names.js';
import { createRunner } from './process/runner.js';
import { locateTool } from './tools.js';
import { createLogger, type Logger } from './ui/logger.js';

export type { LabDependencies } from './dependencies.js';

/** The options every command takes (docs/commands.md). */
export interface GlobalOptions {
  namespace?: string;
  release: string;
  context?: string;
  kubeconfig?: string;
  json?: boolean;
  verbose?: boolean;
  dryRun?: boolean;
}

/**
 * What a command works with: validated options, the two adapters (reads), `apply` (changes) and
 * the logger. No runner: every process starts in an adapter or in `apply`.
 */
export interface Lab {
  release: string;
  target: KubeTarget;
  json: boolean;
  verbose: boolean;
  dryRun: boolean;
  kubectl: Kubectl;
  helm: Helm;
  log: Logger;
  /** Where progress goes (the spinner) and where a question is answered. */
  stderr: NodeJS.WritableStream;
  stdin: Terminal;
  /** Selects every object of the release: pods, StatefulSet, Service, PVCs. */
  releaseSelector: string;
  /**
   * Carries out a change built by helmChanges/kubectlChanges: with --dry-run prints it (stdout) and
   * returns undefined, else runs it and returns its result, throwing its failure as a LabError.
   */
  apply: Apply;
  /** Each change that met the API server away (told by apply): the run record's control-plane windows. */
  changeFaults?: ChangeFault[];
  /** Each read that met the control plane away and was tried again (a demo's reader): the record's control-plane windows too. */
  readOutages?: ReadOutage[];
}

/** The Lab of a running command: its options and the global ones, over its program's dependencies. */
export function labFor(command: Command): Lab {
  return createLab(command.optsWithGlobals(), dependenciesOf(command));
}

/**
 * A kubeconfig that is not there is a usage error, found before any tool runs: given a missing
 * --kubeconfig, kubectl says so, but with a missing $KUBECONFIG it and helm quietly fall back to
 * localhost:8080 and report an unreachable cluster instead.
 */
export function checkKubeconfig(flag: string | undefined, envValue: string | undefined): void {
  if (flag !== undefined) {
    if (!isFile(flag)) {
      throw new UsageError(
        `kubeconfig "${flag}" ${existsSync(flag) ? 'is not a file' : 'does not exist'}`,
        'pass --kubeconfig with an existing file, or leave it out to use $KUBECONFIG / ~/.kube/config',
      );
    }
    return;
  }
  const files = (envValue ?? '').split(delimiter).filter(Boolean);
  if (files.length > 0 && !files.some(isFile)) {
    throw new UsageError(`KUBECONFIG="${envValue}" names no existing file`, 'point KUBECONFIG at your kubeconfig, or pass --kubeconfig');
  }
}

function isFile(path: string): boolean {
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

export function createLab(options: GlobalOptions, deps: LabDependencies = {}): Lab {
  const release = checkName('release', options.release);
  const namespace = options.namespace === undefined ? undefined : checkName('namespace', options.namespace);
  const env = deps.env ?? process.env;
  checkKubeconfig(options.kubeconfig, env.KUBECONFIG);
  if (options.context !== undefined && !options.context.trim()) {
    throw new UsageError('--context is empty', 'name a context from `kubectl config get-contexts`');
  }
  const stderr = deps.stderr ?? process.stderr;
  const log = deps.log ?? createLogger({ verbose: options.verbose, quiet: options.json, json: options.json, stdout: deps.stdout, stderr });
  const runner = deps.runner ?? createRunner({ echo: options.verbose ? (line) => log.debug(line) : undefined });
  const target: KubeTarget = { kubeconfig: options.kubeconfig, context: options.context, namespace };
  const dryRun = Boolean(options.dryRun);
  const changeFaults: ChangeFault[] = [];
  return {
    release,
    target,
    json: Boolean(options.json),
    verbose: Boolean(options.verbose),
    dryRun,
    kubectl: new Kubectl(runner, locateTool('kubectl', env), target, undefined, env),
    helm: new Helm(runner, locateTool('helm', env), target),
    log,
    stderr,
    stdin: deps.stdin ?? process.stdin,
    // Both selector labels: the chart's helm-test pod shares the instance label but not the name.
    releaseSelector: `app.kubernetes.io/name=k8s-lab-counter,app.kubernetes.io/instance=${release}`,
    apply: createApply({
      runner,
      dryRun,
      print: (line) => log.data(line),
      onFault: (fault) => changeFaults.push(fault),
      warn: (line) => log.warn(line),
    }),
    changeFaults,
    readOutages: [],
  };
}
