import { brokenPromise } from '../demos/outcome.js';
import { STRATEGIES, type RunRecord, type Strategy, type Verdict } from '../demos/record.js';
import { RECREATE_METHODS } from '../features.js';
import { formatDuration, formatPercent, inlineCode, markdownTable, markdownText } from './format.js';

export const STRATEGY_TITLES: Record<Strategy, string> = {
  rolling: 'Rolling update',
  recreate: 'Recreate',
  canary: 'Canary',
  partition: 'Partitioned rollout',
};

/**
 * What each demo does on the cluster (docs/strategies.md). The Kubernetes behaviour they
 * state is the documented one: RollingUpdate from the highest ordinal down, each pod Ready before
 * its predecessor, one at a time unless maxUnavailable says more; partition updates the ordinals at
 * or above it (kubernetes.io/docs/concepts/workloads/controllers/statefulset/#rolling-updates,
 * #partitions, #maximum-unavailable-pods). Each run's own figures (outages, pods down at once) are
 * in its section beside it.
 */
export const STRATEGY_DESCRIPTIONS: Record<Strategy, string> = {
  rolling:
    "The StatefulSet's own `RollingUpdate`: the controller replaces one pod at a time (`rollingUpdate.maxUnavailable` 1, the default), highest ordinal first, and moves to the next lower ordinal only once the new pod is Ready. Each new pod mounts the PVC of the pod it replaces.",
  recreate:
    'Every pod is replaced at once. Kubernetes 1.37 has a `Recreate` update strategy for StatefulSets (alpha, feature gate `StatefulSetRecreateStrategy`), which the demo uses where the API server accepts it; elsewhere it emulates it with `OnDelete` and deleting every pod (`--emulate-recreate` forces the emulation, to compare both on one cluster). No pod serves until the first new one is Ready, so this strategy has downtime by design.',
  canary:
    'Not a Kubernetes feature but a deployment technique, built from StatefulSet parts: the StatefulSet scales out by about 25% (at least one pod) with `partition` set to the old replica count, so only the extra pods start on the new version. They are checked under real traffic through the Service; if they pass, `partition` drops to 0 and the old pods are updated (highest ordinal first), then scaling back in removes the extra pods (their PVCs stay). If the check fails, the demo aborts, removes the canary pods and leaves the old version serving.',
  partition:
    "Kubernetes' native partitioned rollout: `RollingUpdate` with a `partition`, so only pods with an ordinal at or above it are updated (highest first) while the others keep the old version; lowering the partition to 0 then updates the rest.",
};

/**
 * A row of the comparison, and a section of the report: a strategy, and for recreate how it was
 * carried out, so that a native and an emulated recreate run show side by side.
 */
export type RowKey = 'rolling' | 'recreate-native' | 'recreate-emulated' | 'canary' | 'partition';

export interface Row {
  key: RowKey;
  strategy: Strategy;
  /** The first cell of its comparison row. */
  name: string;
  /** In running text. */
  short: string;
  title: string;
  description: string;
}

export const ROWS: readonly Row[] = [
  { key: 'rolling', strategy: 'rolling', name: 'rolling', short: 'rolling', title: STRATEGY_TITLES.rolling, description: STRATEGY_DESCRIPTIONS.rolling },
  {
    key: 'recreate-native',
    strategy: 'recreate',
    name: `recreate — ${RECREATE_METHODS.native}`,
    short: 'recreate (native)',
    title: `Recreate — ${RECREATE_METHODS.native}`,
    description:
      "Kubernetes 1.37's own `Recreate` update strategy (alpha, behind the API server's feature gate `StatefulSetRecreateStrategy`): one upgrade sets `updateStrategy: Recreate` together with the new version; the StatefulSet controller deletes every pod, and once they are gone creates them all on the new revision. The old pods terminate as usual, preStop drain included. Then `updateStrategy` goes back to `RollingUpdate`. No pod serves until the first new one is Ready, so this strategy has downtime by design.",
  },
  {
    key: 'recreate-emulated',
    strategy: 'recreate',
    name: `recreate — ${RECREATE_METHODS.emulated}`,
    short: 'recreate (emulated)',
    title: `Recreate — ${RECREATE_METHODS.emulated}`,
    description:
      'Where the API server has no `Recreate` strategy for StatefulSets (before Kubernetes 1.37, or without its alpha feature gate `StatefulSetRecreateStrategy`), or with `--emulate-recreate`, the demo emulates it: it switches `updateStrategy` to `OnDelete` together with the new version (nothing restarts yet), then deletes every pod at once with a 2 s grace period; the controller brings them back on the new version, all together with `podManagementPolicy: Parallel`. Then `updateStrategy` goes back to `RollingUpdate`. No pod serves until the first new one is Ready, so this strategy has downtime by design.',
  },
  { key: 'canary', strategy: 'canary', name: 'canary', short: 'canary', title: STRATEGY_TITLES.canary, description: STRATEGY_DESCRIPTIONS.canary },
  {
    key: 'partition',
    strategy: 'partition',
    name: 'partition',
    short: 'partition',
    title: STRATEGY_TITLES.partition,
    description: STRATEGY_DESCRIPTIONS.partition,
  },
];

/** The row of a run: its strategy, and for recreate native or emulated (records from before native existed are emulated). */
export function rowOf(run: RunRecord): Row {
  const key: RowKey = run.strategy === 'recreate' ? (run.method?.id === 'native-recreate' ? 'recreate-native' : 'recreate-emulated') : run.strategy;
  return ROWS.find((row) => row.key === key)!;
}

/**
 * A run's verdict as the report shows it. A record made before k8s-lab judged lost requests may say
 * "passed" for a rolling, canary or partition update that lost some: the report says "failed" and
 * why (brokenPromise), and that the record said otherwise.
 */
export function judged(run: RunRecord): { verdict: Verdict; reason: string } {
  const broken = run.verdict === 'passed' ? brokenPromise(run) : undefined;
  if (!broken) return { verdict: run.verdict, reason: run.reason };
  return { verdict: 'failed', reason: `${run.reason}, but ${broken} (the run record, made before k8s-lab judged this, says passed)` };
}

/** The command that records a run of a strategy. */
export function demoCommand(strategy: Strategy): string {
  return `npx k8s-lab demo-update --strategy ${strategy}`;
}

function startedAtMs(record: RunRecord): number {
  const ms = Date.parse(record.startedAt);
  return Number.isNaN(ms) ? -Infinity : ms;
}

/** Newest first: by start time, then by id so that ties still sort the same way every time. */
export function compareNewestFirst(a: RunRecord, b: RunRecord): number {
  return startedAtMs(b) - startedAtMs(a) || (a.id < b.id ? 1 : a.id > b.id ? -1 : 0);
}

/** The runs of each strategy, newest first (interrupted ones last); strategies without a run are absent from the map. */
export function runsByStrategy(runs: RunRecord[]): Map<Strategy, RunRecord[]> {
  const byStrategy = new Map<Strategy, RunRecord[]>();
  for (const strategy of STRATEGIES) {
    // An interrupted run measured only part of an update: the latest finished one comes first.
    const own = runs
      .filter((run) => run.strategy === strategy)
      .sort((a, b) => Number(a.verdict === 'interrupted') - Number(b.verdict === 'interrupted') || compareNewestFirst(a, b));
    if (own.length) byStrategy.set(strategy, own);
  }
  return byStrategy;
}

/** The runs of each row (recreate: native and emulated apart), newest first, interrupted ones last; rows without a run are absent. */
export function runsByRow(runs: RunRecord[]): Map<RowKey, RunRecord[]> {
  const byRow = new Map<RowKey, RunRecord[]>();
  for (const [, own] of runsByStrategy(runs)) {
    for (const run of own) {
      const { key } = rowOf(run);
      byRow.set(key, [...(byRow.get(key) ?? []), run]);
    }
  }
  return new Map(ROWS.filter((row) => byRow.has(row.key)).map((row) => [row.key, byRow.get(row.key)!]));
}

/**
 * The rows to show, in order: each row that has a run; a strategy with no run at all gets one
 * "no run recorded" row under its own name.
 */
export function shownRows(latest: Map<RowKey, RunRecord>): (Row | Strategy)[] {
  return STRATEGIES.flatMap((strategy): (Row | Strategy)[] => {
    const rows = ROWS.filter((row) => row.strategy === strategy && latest.has(row.key));
    return rows.length ? rows : [strategy];
  });
}

/** The comparison table: the latest run of each row (recreate native and emulated apart), in the order of STRATEGIES. */
export function comparisonTable(latest: Map<RowKey, RunRecord>): string {
  const headers = [
    'Strategy',
    'Versions (from → to)',
    'Duration',
    'Requests',
    'Success ratio',
    'Longest outage',
    'Most pods down at once',
    'Data preserved',
    'Verdict',
  ];
  const rows = shownRows(latest).map((row) => {
    const run = typeof row === 'string' ? undefined : latest.get(row.key);
    if (typeof row === 'string' || !run) {
      const strategy = typeof row === 'string' ? row : row.strategy;
      return [strategy, 'no run recorded', '—', '—', '—', '—', '—', '—', `run ${inlineCode(demoCommand(strategy))}`];
    }
    return [
      row.name,
      `${markdownText(run.versions.from)} → ${markdownText(run.versions.to)}`,
      formatDuration(run.durationMs),
      `${run.probe.requests} (${run.probe.failures} failed)`,
      formatPercent(run.probe.successRatio),
      formatDuration(run.probe.longestOutageMs),
      String(run.maxPodsDown),
      run.dataPreserved ? '✓' : '✗',
      judged(run).verdict,
    ];
  });
  return markdownTable(headers, rows, 'llrrrrrcl');
}
