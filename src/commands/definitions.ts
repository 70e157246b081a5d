import { Argument, Command, InvalidArgumentError, Option } from 'commander';
import { DEFAULTS, durationLabel, FLOORS } from '../defaults.js';
import { STRATEGIES, type Strategy } from '../demos/record.js';
import { FAILOVER_MODES, LESSONS, POLICY_CHOICES, RETENTIONS, type Lesson } from '../demos/lessons.js';
import type { Lab } from '../lab-context.js';
import { NODE_LOSS_RECOVERIES } from '../demos/node-loss-analysis.js';
import { splitCommandWords } from '../demos/node-power.js';
import {
  appVersion,
  existingFile,
  httpUrl,
  maxUnavailable,
  parseDuration,
  parseImage,
  podWait,
  probeInterval,
  setExpression,
  settleDuration,
  uncordonAfter,
  wholeNumber,
} from '../options.js';

/** `scale,failover` → the lessons, in the order given; `none` → none. */
export function parseLessons(value: string): Lesson[] {
  if (value.trim() === 'none') return [];
  const names = value
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  const unknown = names.filter((n) => !LESSONS.includes(n as Lesson));
  if (unknown.length || names.length === 0)
    throw new InvalidArgumentError(`unknown lesson "${unknown[0] ?? value}": choose from ${LESSONS.join(', ')}, or none.`);
  return [...new Set(names as Lesson[])];
}

/** --stop-command / --start-command: the words of the command (see splitCommandWords). */
function commandWords(value: string): string[] {
  try {
    return splitCommandWords(value);
  } catch (error) {
    throw new InvalidArgumentError(`${(error as Error).message}: give the command as words (quote a word with blanks) or as a JSON array.`);
  }
}

/** The shells `k8s-lab completion` writes a script for. */
export const SHELLS = ['bash', 'zsh', 'fish'] as const;

/** `rolling,canary` → the strategies, in the order given; each once. */
export function parseStrategies(value: string): Strategy[] {
  const names = value
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  const unknown = names.filter((n) => !STRATEGIES.includes(n as Strategy));
  if (unknown.length || names.length === 0) throw new InvalidArgumentError(`unknown strategy "${unknown[0] ?? value}": choose from ${STRATEGIES.join(', ')}.`);
  return [...new Set(names as Strategy[])];
}

/** A duration option: its parser, and its default shown as a duration (`2m`, not 120000). */
export function durationOption(flags: string, description: string, parse: (value: string) => number, defaultMs?: number): Option {
  const option = new Option(flags, description).argParser(parse);
  return defaultMs === undefined ? option : option.default(defaultMs, durationLabel(defaultMs));
}

/** `--interval`: the probe's time between two requests, at least the floor. */
export const intervalOption = (defaultMs: number) =>
  durationOption(
    '--interval <duration>',
    `probe: time between two requests through the Service (${FLOORS.probeIntervalMs}ms or more)`,
    probeInterval,
    defaultMs,
  );

/** A wait on the pods (`--timeout`, `--ready-timeout`): `what` it bounds, then its floor. */
export const podWaitOption = (flags: string, what: string, defaultMs: number) =>
  durationOption(flags, `${what} (${FLOORS.podWaitMs / 1000}s or more)`, podWait, defaultMs);

/** `--settle`: traffic measured around the changes. */
export const settleOption = (what: string, defaultMs: number) => durationOption('--settle <duration>', what, settleDuration, defaultMs);

/** `--url`: where the Service answers, instead of finding its NodePort; also from $K8S_LAB_URL. */
export const urlOption = (description = 'reach the Service here instead of finding the NodePort') =>
  new Option('--url <url>', description).argParser(httpUrl).env('K8S_LAB_URL');

/** What every lesson command ends with: --interval, --timeout (it `waits`), --settle (it `settles`), --url and --record-dir. */
function lessonOptions(
  command: Command,
  defaults: { interval: number; timeout: number; settle: number; recordDir: string },
  waits: string,
  settles: string,
): Command {
  return command
    .addOption(intervalOption(defaults.interval))
    .addOption(podWaitOption('--timeout <duration>', waits, defaults.timeout))
    .addOption(settleOption(settles, defaults.settle))
    .addOption(urlOption())
    .option('--record-dir <dir>', 'where the run record is written', defaults.recordDir);
}

/**
 * A command's action: its code (and the Lab with the adapters) is imported when it runs, so building
 * every command for `--help` needs commander and the option parsers alone.
 */
function runs<O>(load: () => Promise<(lab: Lab, options: O) => Promise<unknown>>) {
  return async (options: O, command: Command) => {
    const [{ labFor }, run] = await Promise.all([import('../lab-context.js'), load()]);
    await run(labFor(command), options);
  };
}

/** Every command with its options and description, in the order `--help` lists them; a new set on each call. */
export function commands(): Command[] {
  return [
    new Command('deploy')
      .description('install or upgrade the bundled chart (helm upgrade --install), wait for every pod Ready, print the overview')
      .option('--replicas <n>', 'number of pods (replicaCount)', wholeNumber(0, 100))
      .option('--image <image>', 'a stock Python image, e.g. localhost/k8s-lab/python:3-bookworm', parseImage)
      .option('--app-version <version>', 'the app version the pods run and answer with (app.version)')
      .addOption(new Option('--set <key=value>', 'set a chart value, as with helm (repeatable)').argParser(setExpression).default([], 'none'))
      .addOption(new Option('-f, --values <file>', 'a values file, as with helm (repeatable)').argParser(existingFile).default([], 'none'))
      .addOption(podWaitOption('--timeout <duration>', 'how long to wait for every pod to be Ready', DEFAULTS.deploy.timeout))
      .option(
        '--migrate',
        'move a release deployed by an older chart onto this one as it is: keeps its values; a StatefulSet whose serviceName must change is re-created with --cascade=orphan (pods and PVCs kept)',
      )
      .option('--dry-run', 'print the helm call instead of running it')
      .action(runs(async () => (await import('./deploy.js')).deploy)),

    new Command('status')
      .description('the release status (helm) and its pods, StatefulSet, Service and PVCs (like kubectl get po,sts,svc,pvc)')
      .action(runs(async () => (await import('./status.js')).status)),

    new Command('counters')
      .description("every pod's /data/counter.json, read concurrently: pod, counter, PVC, revision, version, ready")
      .action(runs(async () => (await import('./counters.js')).counters)),

    new Command('traffic')
      .description('send requests through the Service and show how they spread over the pods')
      .addOption(
        new Option('--requests <n>', `how many requests (default ${DEFAULTS.traffic.requests})`).argParser(wholeNumber(1, 1_000_000)).conflicts('duration'),
      )
      .option('--duration <duration>', 'send for this long instead of a number of requests (e.g. 30s)', parseDuration)
      .option('--concurrency <n>', 'requests in flight at once', wholeNumber(1, 64), DEFAULTS.traffic.concurrency)
      .addOption(urlOption('reach the Service here (e.g. http://127.0.0.1:31987, what `minikube service --url` prints) instead of finding the NodePort'))
      .addOption(durationOption('--request-timeout <duration>', 'how long one request may take', parseDuration, DEFAULTS.traffic.requestTimeout))
      .action(runs(async () => (await import('./traffic.js')).traffic)),

    new Command('demo-update')
      .description('update the app to a new version with a strategy, under live traffic, and measure it (writes a run record)')
      .addOption(new Option('--strategy <strategy>', 'how to update').choices(STRATEGIES).makeOptionMandatory())
      .addOption(new Option('--to <version>', 'the version to update to (default: the current one plus one, v1 → v2)').argParser(appVersion))
      .addOption(
        new Option('--canary-percent <n>', 'canary: extra pods as a percentage of the replicas (at least one)')
          .argParser(wholeNumber(1, 100))
          .default(DEFAULTS.demoUpdate.canaryPercent),
      )
      .addOption(
        durationOption('--check <duration>', 'canary/partition: how long the new pods are checked under traffic', parseDuration, DEFAULTS.demoUpdate.check),
      )
      .addOption(intervalOption(DEFAULTS.demoUpdate.interval))
      .addOption(podWaitOption('--timeout <duration>', 'how long any one step may wait for the pods', DEFAULTS.demoUpdate.timeout))
      .addOption(podWaitOption('--ready-timeout <duration>', 'canary: how long the canary pods get to become Ready', DEFAULTS.demoUpdate.readyTimeout))
      .addOption(settleOption('probe before the first and after the last change', DEFAULTS.demoUpdate.settle))
      .option(
        '--broken',
        'the new version never passes its readiness check: a canary aborts, a rolling, recreate or partition update gets stuck and is recovered',
      )
      .option('--no-recover', 'leave a stuck update as it is, to look at it (default: helm rollback and replace the stuck pods)')
      .option('--keep-canary-pvcs', 'canary: keep the PVCs of the removed canary pods (default: delete them)')
      .option(
        '--emulate-recreate',
        'recreate: emulate it (OnDelete, then delete every pod) even where the server has the Recreate strategy (Kubernetes 1.37+, feature gate StatefulSetRecreateStrategy)',
      )
      .addOption(
        new Option(
          '--max-unavailable <n>',
          'rolling: rollingUpdate.maxUnavailable, pods replaced at once (a number or a percentage such as 50%); needs a server that keeps the field (MaxUnavailableStatefulSet, on by default from 1.37)',
        ).argParser(maxUnavailable),
      )
      .addOption(urlOption())
      .option('--record-dir <dir>', 'where the run record is written', DEFAULTS.demoUpdate.recordDir)
      .option('--step', 'on a terminal: wait for Enter before each phase, the panel saying what comes next and why (the probe keeps measuring)')
      .action(runs(async () => (await import('./demo-update.js')).demoUpdate)),

    lessonOptions(
      new Command('demo-failover')
        .description(
          'delete a pod, SIGKILL its app or stop it (SIGSTOP) under live traffic: failed requests, time to not Ready and Ready again, the same name, PVC and counter (writes a run record)',
        )
        .addOption(
          new Option(
            '--mode <mode>',
            'delete: the pod is deleted and re-created under its name; kill: the app is SIGKILLed and restarts in the same pod; hang: the app is stopped (SIGSTOP), keeps its port but answers nothing, and is resumed (SIGCONT) at the end',
          )
            .choices(FAILOVER_MODES)
            .makeOptionMandatory(),
        )
        .addOption(new Option('--pod <n>', 'the ordinal of the pod to fail (default: the highest)').argParser(wholeNumber(0, 999))),
      DEFAULTS.demoFailover,
      'how long the pod may take to be Ready again',
      'probe before the failure and after the pod is back',
    ).action(runs(async () => (await import('./demo-failover.js')).demoFailover)),

    lessonOptions(
      new Command('demo-identity')
        .description(
          'replace one pod under live traffic, its node cordoned: what it keeps (name, hostname, DNS name, PVC, counter), what changes (IP, node, UID), when its DNS name points at the new IP (writes a run record)',
        )
        .addOption(new Option('--pod <n>', 'the ordinal of the pod to replace (default: the highest)').argParser(wholeNumber(0, 999)))
        .addOption(
          durationOption(
            '--pending-for <duration>',
            'node-local volume: how long the new pod is shown Pending on its cordoned node before the uncordon',
            parseDuration,
            DEFAULTS.demoIdentity.pendingFor,
          ),
        ),
      DEFAULTS.demoIdentity,
      'how long the pod may take to be Ready again, and its DNS name to move',
      'probe before the delete and after the pod is back',
    ).action(runs(async () => (await import('./demo-identity.js')).demoIdentity)),
    demoDrainCommand(),
    lessonOptions(
      new Command('demo-node-loss')
        .description(
          'power off the node of a pod under live traffic: time until the node is NotReady, the pod as the API shows it, no replacement while it may still run, failed requests; then recover (start the node, or the out-of-service taint) and put the node back (writes a run record)',
        )
        .addOption(
          new Option(
            '--recover <how>',
            'start: power the node on again (the same pod comes back); out-of-service: taint the stopped node node.kubernetes.io/out-of-service (non-graceful shutdown: the pod is removed and re-created), then start it and remove the taint',
          )
            .choices(NODE_LOSS_RECOVERIES)
            .default('start'),
        )
        .addOption(new Option('--pod <n>', 'the ordinal of the pod whose node is stopped (default: the highest)').argParser(wholeNumber(0, 999)))
        .addOption(
          new Option(
            '--stop-command <command>',
            "what powers the node off, e.g. 'docker stop {node}' ({node}: its name; words split as a shell would, or a JSON array; run without a shell). Default on k8s-lab's own test cluster: its k8s-lab-node stop",
          ).argParser(commandWords),
        )
        .addOption(new Option('--start-command <command>', "what powers it on again, e.g. 'docker start {node}' (as --stop-command)").argParser(commandWords)),
      DEFAULTS.demoNodeLoss,
      'how long any one step may wait: the node NotReady or Ready, the pod back',
      'probe before the stop, while the node is down and after the pod is back',
    ).action(runs(async () => (await import('./demo-node-loss.js')).demoNodeLoss)),

    new Command('demo-scale')
      .description(
        'scale up and back down under live traffic, Parallel against OrderedReady: pod times, scale-down order, failed requests, PVCs kept or deleted (writes a run record)',
      )
      .addOption(new Option('--to <n>', 'scale up to this many pods, then back').argParser(wholeNumber(2, 50)).default(DEFAULTS.demoScale.to))
      .addOption(
        new Option(
          '--policy <policy>',
          'podManagementPolicy to measure: parallel (the release), ordered (OrderedReady, on a temporary second release of the chart, removed afterwards with its PVCs) or both',
        )
          .choices(POLICY_CHOICES)
          .default('both'),
      )
      .addOption(
        new Option(
          '--pvc-retention <policy>',
          "what becomes of the removed pods' PVCs on scale-down: retain (the default: they stay) or delete (persistentVolumeClaimRetentionPolicy.whenScaled Delete for the lesson)",
        )
          .choices(RETENTIONS)
          .default('retain'),
      )
      .option('--keep-pvcs', 'keep the PVCs of the ordinals the lesson added (default: delete them afterwards)')
      .addOption(new Option('--node-port <port>', "the temporary release's NodePort (default: the release's plus one)").argParser(wholeNumber(30000, 32767)))
      .addOption(intervalOption(DEFAULTS.demoScale.interval))
      .addOption(podWaitOption('--timeout <duration>', 'how long any one step may wait for the pods', DEFAULTS.demoScale.timeout))
      .addOption(settleOption('traffic before, between and after the steps', DEFAULTS.demoScale.settle))
      .addOption(urlOption("reach the release's Service here instead of finding the NodePort"))
      .addOption(
        new Option('--url-2 <url>', "reach the temporary release's Service here (default: --url with its port set to the temporary release's NodePort)")
          .argParser(httpUrl)
          .env('K8S_LAB_URL_2'),
      )
      .option('--record-dir <dir>', 'where the run record is written', DEFAULTS.demoScale.recordDir)
      .action(runs(async () => (await import('./demo-scale.js')).demoScale)),

    new Command('report')
      .description("write the Markdown lab report from the live cluster and the demos' run records")
      .option('-o, --output <file>', 'where the report is written (timeline pictures go next to it)', DEFAULTS.report.output)
      .option('--record-dir <dir>', 'where the run records are read from', DEFAULTS.report.recordDir)
      .option('--lesson-dir <dir>', "where demo-scale's and demo-failover's run records are read from", DEFAULTS.report.lessonDir)
      .action(runs(async () => (await import('./report.js')).report)),

    new Command('teardown')
      .description("helm uninstall the release; with --delete-data also delete its PVCs (the counters' data), after asking")
      .option('--delete-data', "also delete the PVCs with the counters' data (kept by default)")
      .option('-y, --yes', 'do not ask before deleting PVCs')
      .addOption(podWaitOption('--timeout <duration>', 'how long to wait for the resources to go', DEFAULTS.teardown.timeout))
      .option('--dry-run', 'print the helm/kubectl calls instead of running them')
      .action(runs(async () => (await import('./teardown.js')).teardown)),

    new Command('doctor')
      .description(
        'check the tools (helm 3 or 4, kubectl), the cluster and its version, what it offers (native Recreate, maxUnavailable, sleep preStop, PVC retention), its default StorageClass, nodes and the Service',
      )
      .addOption(urlOption('check the Service here instead of finding the NodePort'))
      .action(runs(async () => (await import('./doctor.js')).doctor)),

    new Command('watch')
      .description(
        'follow the release live, as a panel on a terminal: its pods, its StatefulSet and, with --traffic, what users of its Service see; until Ctrl-C or --for',
      )
      .option('--traffic', 'also probe the Service (GET / every --interval) and show who answers')
      .addOption(durationOption('--for <duration>', 'stop after this long (default: at Ctrl-C)', parseDuration))
      .addOption(intervalOption(DEFAULTS.demoUpdate.interval))
      .addOption(urlOption())
      .action(runs(async () => (await import('./watch.js')).watchRelease)),

    new Command('completion')
      .description('print a shell completion script (bash, zsh or fish) for commands, flags and --strategy values')
      .addArgument(new Argument('<shell>', 'the shell to complete in').choices(SHELLS))
      .addHelpText(
        'after',
        '\nLoad it in the current shell:\n  bash: source <(k8s-lab completion bash)\n  zsh:  source <(k8s-lab completion zsh)\n  fish: k8s-lab completion fish | source',
      )
      .action(async (shell: string, _options: unknown, command: Command) => (await import('./completion.js')).printCompletion(shell, command)),

    new Command('complete')
      .description('what the completion scripts run at each Tab')
      .argument('[words...]')
      .allowUnknownOption()
      .action(async (words: string[], _options: unknown, command: Command) => (await import('./completion.js')).complete(words, command)),

    new Command('lab')
      .description('the whole lab in one go: doctor, deploy, traffic, counters, every update demo, the scale and failover lessons, report')
      .option('--image <image>', 'a stock Python image, e.g. localhost/k8s-lab/python:3-bookworm', parseImage)
      .option('--replicas <n>', 'number of pods', wholeNumber(1, 100))
      .addOption(new Option('--requests <n>', 'requests the traffic step sends').argParser(wholeNumber(1, 100_000)).default(DEFAULTS.lab.requests))
      .addOption(
        new Option('--strategies <list>', 'update demos to run, comma-separated').argParser(parseStrategies).default([...STRATEGIES], STRATEGIES.join(',')),
      )
      .addOption(urlOption())
      .addOption(
        new Option(
          '--lessons <list>',
          'lessons to run after the update demos, comma-separated (scale, failover, identity, drain, node-loss; each node lesson is skipped, in one line, where the cluster has fewer than 2 schedulable nodes or k8s-lab cannot stop one), or none',
        )
          .argParser(parseLessons)
          .default([...LESSONS], LESSONS.join(',')),
      )
      .option('-o, --output <file>', 'where the report is written', DEFAULTS.report.output)
      .option('--record-dir <dir>', 'where the run records go', DEFAULTS.demoUpdate.recordDir)
      .option('--lesson-dir <dir>', "where the lessons' run records go", DEFAULTS.report.lessonDir)
      .action(runs(async () => (await import('./lab.js')).runLab)),
  ];
}

/** `demo-drain`: the node of one pod drained under the PodDisruptionBudget (docs/lessons.md#demo-drain). */
function demoDrainCommand(): Command {
  return lessonOptions(
    new Command('demo-drain')
      .description(
        "drain the node of a pod under live traffic with the chart's PodDisruptionBudget: cordon, evict the release's pods there (refusals retried), where each went, failed requests, uncordon (writes a run record)",
      )
      .addOption(new Option('--pod <n>', 'the ordinal of the pod whose node is drained (default: the highest)').argParser(wholeNumber(0, 999)))
      .addOption(
        durationOption(
          '--uncordon-after <duration>',
          'uncordon the node this long after the cordon (default: once every evicted pod is back, or Pending or refused for the settle time, 5 s at least)',
          uncordonAfter,
        ),
      ),
    DEFAULTS.demoDrain,
    "how long the drain and the pods' return may take",
    'probe before the drain and after the pods are back',
  ).action(runs(async () => (await import('./demo-drain.js')).demoDrain));
}
