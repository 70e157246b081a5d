import { STRATEGIES, type RunRecord, type Strategy } from '../demos/record.js';
import { formatDuration, formatPercent, inlineCode, markdownTable, markdownText } from './format.js';

export const STRATEGY_TITLES: Record<Strategy, string> = {
  rolling: 'Rolling update',
  recreate: 'Recreate',
  canary: 'Canary',
  partition: 'Partitioned rollout',
};

/** What each demo does on the cluster (README "The update demos"). */
export const STRATEGY_DESCRIPTIONS: Record<Strategy, string> = {
  rolling:
    "The StatefulSet's own `RollingUpdate`: the controller replaces one pod at a time, highest ordinal first, and moves to the next lower ordinal only once the new pod is Ready. Each new pod mounts the PVC of the pod it replaces.",
  recreate:
    'StatefulSets have no `Recreate` strategy before Kubernetes 1.37 (alpha there), so the demo emulates it: it switches `updateStrategy` to `OnDelete` together with the new version (nothing restarts yet), then deletes every pod at once; the controller brings them back on the new version, all together with `podManagementPolicy: Parallel`. No pod serves until the first new one is Ready, so this strategy has downtime by design.',
  canary:
    'Not a Kubernetes feature but a deployment technique, built from StatefulSet parts: the StatefulSet scales out by about 25% (at least one pod) with `partition` set to the old replica count, so only the extra pods start on the new version. They are checked under real traffic through the Service; if they pass, `partition` drops to 0 and the old pods are updated (highest ordinal first), then scaling back in removes the extra pods (their PVCs stay). If the check fails, the demo aborts, removes the canary pods and leaves the old version serving.',
  partition:
    "Kubernetes' native partitioned rollout: `RollingUpdate` with a `partition`, so only pods with an ordinal at or above it are updated (highest first) while the others keep the old version; lowering the partition to 0 then updates the rest.",
};

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
    const own = runs.filter((run) => run.strategy === strategy).sort((a, b) => Number(a.verdict === 'interrupted') - Number(b.verdict === 'interrupted') || compareNewestFirst(a, b));
    if (own.length) byStrategy.set(strategy, own);
  }
  return byStrategy;
}

/** The comparison table: the latest run of each strategy, in the order of STRATEGIES. */
export function comparisonTable(latest: Map<Strategy, RunRecord>): string {
  const headers = ['Strategy', 'Versions (from → to)', 'Duration', 'Requests', 'Success ratio', 'Longest outage', 'Most pods down at once', 'Data preserved', 'Verdict'];
  const rows = STRATEGIES.map((strategy) => {
    const run = latest.get(strategy);
    if (!run) return [strategy, 'no run recorded', '—', '—', '—', '—', '—', '—', `run ${inlineCode(demoCommand(strategy))}`];
    return [
      strategy,
      `${markdownText(run.versions.from)} → ${markdownText(run.versions.to)}`,
      formatDuration(run.durationMs),
      `${run.probe.requests} (${run.probe.failures} failed)`,
      formatPercent(run.probe.successRatio),
      formatDuration(run.probe.longestOutageMs),
      String(run.maxPodsDown),
      run.dataPreserved ? '✓' : '✗',
      run.verdict,
    ];
  });
  return markdownTable(headers, rows, 'llrrrrrcl');
}
