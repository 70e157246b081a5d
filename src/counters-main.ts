import { caOfTheKubeconfigOnly } from './adapters/kube-api.js';
import { counters } from './commands/counters.js';
import { ExitCode } from './errors.js';
import { reportFailure, untilStopped } from './exit.js';
import { createLab, type GlobalOptions, type LabDependencies } from './lab-context.js';

/**
 * `k8s-lab counters` without commander: bin/k8s-lab.js tries this first when the argv names
 * `counters`, so the read starts before the CLI (commander, every command's definition) is loaded.
 * It takes only argvs it reads exactly as the CLI does (the global options, each at most once, and
 * the command); for any other (help, a typo, an option twice, `--opt=` forms it does not know) it
 * answers undefined and the CLI runs, so usage errors and help are the CLI's own. What it runs is
 * the CLI's own: the same Lab, command, error lines and exit codes (test/unit/counters-main.test.ts
 * compares the two on the same argv).
 */

/** The global options that take a value, by every name the CLI knows them by. */
const VALUED: Record<string, keyof GlobalOptions> = {
  '-n': 'namespace',
  '--namespace': 'namespace',
  '--release': 'release',
  '--context': 'context',
  '--kubeconfig': 'kubeconfig',
};
const FLAGS: Record<string, keyof GlobalOptions> = { '--json': 'json', '--verbose': 'verbose' };
/** Options the CLI also takes from the environment (cli.ts: `.env(…)`), read as commander reads them. */
const FROM_ENV: [keyof GlobalOptions, string][] = [
  ['namespace', 'K8S_LAB_NAMESPACE'],
  ['release', 'K8S_LAB_RELEASE'],
];

/** The options of `k8s-lab … counters …` as the CLI would parse them, or undefined to leave the argv to the CLI. */
export function countersOptions(argv: string[], env: Record<string, string | undefined>): GlobalOptions | undefined {
  const given: Partial<Record<keyof GlobalOptions, string | boolean>> = {};
  let command = 0;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    const eq = arg.startsWith('--') ? arg.indexOf('=') : -1;
    const [name, inline] = eq > 0 ? [arg.slice(0, eq), arg.slice(eq + 1)] : [arg, undefined];
    const valued = VALUED[name];
    const flag = inline === undefined ? FLAGS[name] : undefined;
    if (arg === 'counters') command++;
    else if (flag && given[flag] === undefined) given[flag] = true;
    else if (valued && given[valued] === undefined) {
      const value = inline ?? argv[++i];
      // A missing or empty value, or one that looks like an option: the CLI says what it makes of it.
      if (!value || value.startsWith('-')) return undefined;
      given[valued] = value;
    } else return undefined;
  }
  if (command !== 1) return undefined;
  for (const [key, variable] of FROM_ENV) {
    const value = env[variable];
    if (given[key] !== undefined || value === undefined) continue;
    if (value === '') return undefined;
    given[key] = value;
  }
  return { ...given, release: (given.release as string | undefined) ?? 'helm-python' } as GlobalOptions;
}

/** Runs `k8s-lab counters` as the CLI would, and resolves to its exit code; undefined when the argv is the CLI's to read. */
export async function countersMain(argv: string[], deps: Omit<LabDependencies, 'log'> = {}): Promise<number | undefined> {
  const options = countersOptions(argv, process.env);
  if (!options) return undefined;
  const stdout = deps.stdout ?? process.stdout;
  const stderr = deps.stderr ?? process.stderr;
  // Its only TLS connections are to the API server.
  caOfTheKubeconfigOnly();
  try {
    await untilStopped(() => counters(createLab(options, { ...deps, stdout, stderr })), stderr);
    return ExitCode.ok;
  } catch (error) {
    return reportFailure(error, { verbose: argv.includes('--verbose'), stderr });
  }
}
