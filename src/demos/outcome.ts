import type { RecreateMethod } from '../features.js';
import { summarizeProbe } from '../probe/stats.js';
import { checkData, maxPodsDown } from './analysis.js';
import type { CounterSnapshot, DataCheck, Phase, PodEvent, ProbeSample, RunMethod, RunRecord, Strategy, Verdict } from './record.js';
import { CATCH_UP_MS, nearControlPlaneFault, type ControlPlaneRecord } from './control-plane.js';
import type { StrategyOutcome } from './strategies.js';

// What a demo decides from what it measured: pure, table-tested (test/unit/demo-outcome.test.ts).

/** Why a demo stopped before its end: a step failed, or Ctrl-C/SIGTERM. */
export interface DemoStop {
  /** The failure's own message. */
  message: string;
  /** The failure, what was undone and how the release was left (explainStop); the record's reason. */
  explanation?: string;
  /** The phase a signal interrupted; undefined when a step failed. */
  interruptedIn?: string;
}

/** What a run needs for its strategy's promise to be judged: a run record has it, old ones too. */
export interface PromiseFacts {
  strategy: Strategy;
  options: { replicas?: string | number | boolean; maxUnavailable?: string | number | boolean };
  probe: { requests: number; failures: number; longestOutageMs: number };
  /** When the control plane was away, and the requests (for which failed near it). */
  controlPlane?: ControlPlaneRecord;
  samples?: Pick<ProbeSample, 't' | 'ok'>[];
}

/** Pods a rolling update may take down at once: maxUnavailable, a percentage rounded down as Kubernetes does, at least 1. */
export function podsUnavailableAtOnce(maxUnavailable: string | number | boolean | undefined, replicas: number): number {
  if (typeof maxUnavailable === 'number') return Math.max(1, maxUnavailable);
  const percent = typeof maxUnavailable === 'string' ? /^(\d+)%$/.exec(maxUnavailable) : null;
  return percent ? Math.max(1, Math.floor((replicas * Number(percent[1])) / 100)) : 1;
}

/**
 * Rolling, canary and partition updates promise to keep serving through the Service while they
 * update: with two or more replicas (and, rolling, fewer pods down at once than replicas) some pod is
 * always Ready, and the chart drains a pod before it stops. A run of one that lost requests broke that
 * promise: why, or undefined when it kept it or made none (recreate, one replica).
 */
export function brokenPromise(run: PromiseFacts): string | undefined {
  if (run.strategy === 'recreate' || run.probe.failures === 0) return undefined;
  const replicas = Number(run.options.replicas ?? 0);
  if (replicas < 2) return undefined;
  if (run.strategy === 'rolling' && podsUnavailableAtOnce(run.options.maxUnavailable, replicas) >= replicas) return undefined;
  const broken = `${run.probe.failures} of ${run.probe.requests} requests through the Service failed (longest outage ${run.probe.longestOutageMs} ms), where a ${run.strategy} update of ${replicas} replicas promises to keep serving`;
  const near = (run.samples ?? []).filter((s) => !s.ok && nearControlPlaneFault(run.controlPlane, s.t)).length;
  if (!near) return broken;
  const which = near === run.probe.failures ? 'all of them' : `${near} of them`;
  return `${broken}; ${which} while the control plane was away or in the ${CATCH_UP_MS / 1000} s after it came back, when kube-proxy (which routes the Service) may not yet have seen the pods change: not the strategy's doing alone`;
}

/** The verdict: a stop first, then lost data, then an aborted canary, then lost requests (brokenPromise); else passed. */
export function decideVerdict(
  stop: DemoStop | undefined,
  dataChecks: DataCheck[],
  outcome: StrategyOutcome | undefined,
  versions: { from: string; to: string },
  broken?: string,
): { verdict: Verdict; reason: string } {
  if (stop) return { verdict: stop.interruptedIn ? 'interrupted' : 'failed', reason: stop.explanation || stop.message };
  const lost = dataChecks.filter((c) => !c.preserved);
  if (lost.length) return { verdict: 'failed', reason: `data lost: ${lost.map((c) => `${c.pod} ${c.reason}`).join('; ')}` };
  if (outcome?.aborted) return { verdict: 'aborted', reason: `${outcome.reason}; the old version ${versions.from} is still serving` };
  if (broken) return { verdict: 'failed', reason: `every pod runs ${versions.to}, no data lost, but ${broken}` };
  return { verdict: 'passed', reason: `every pod runs ${versions.to}, no data lost` };
}

/** Everything a demo measured, from which its run record is made. */
export interface Measurements {
  strategy: Strategy;
  release: string;
  namespace: string;
  cluster?: RunRecord['cluster'];
  probeVia?: RunRecord['probeVia'];
  controlPlane?: RunRecord['controlPlane'];
  versions: { from: string; to: string };
  replicas: number;
  options: { intervalMs: number; checkMs: number; canaryPercent: number; keepCanaryPvcs: boolean; broken: boolean; maxUnavailable?: number | string };
  environment: RunRecord['environment'];
  startedAt: Date;
  endedAt: Date;
  phases: Phase[];
  podEvents: PodEvent[];
  /** The pods Ready before the first change. */
  initiallyReady: string[];
  samples: ProbeSample[];
  counters: { before: CounterSnapshot[]; after: CounterSnapshot[] };
  notes: string[];
  stop?: DemoStop;
  outcome?: StrategyOutcome;
  /** recreate: how it was carried out (kept in the record's options only with a method). */
  recreate?: RecreateMethod;
  /** Which way a strategy with more than one was carried out, and why. */
  method?: RunMethod;
}

/** The run record of a demo: its data checks, probe summary and verdict, from what it measured. */
export function buildRunRecord(m: Measurements): RunRecord {
  const dataChecks = checkData(m.counters.before, m.counters.after, m.samples);
  const probe = summarizeProbe(m.samples, m.options.intervalMs);
  const broken = brokenPromise({
    strategy: m.strategy,
    options: { replicas: m.replicas, maxUnavailable: m.options.maxUnavailable },
    probe,
    controlPlane: m.controlPlane,
    samples: m.samples,
  });
  const { verdict, reason } = decideVerdict(m.stop, dataChecks, m.outcome, m.versions, broken);
  return {
    schema: 1,
    id: `${m.startedAt.toISOString().replace(/[:.]/g, '-')}-${m.strategy}`,
    strategy: m.strategy,
    release: m.release,
    namespace: m.namespace,
    ...(m.cluster && { cluster: m.cluster }),
    versions: m.versions,
    options: {
      replicas: m.replicas,
      intervalMs: m.options.intervalMs,
      checkMs: m.options.checkMs,
      ...(m.strategy === 'canary' && { canaryPercent: m.options.canaryPercent, keepCanaryPvcs: m.options.keepCanaryPvcs, broken: m.options.broken }),
      ...(m.strategy === 'rolling' && m.options.maxUnavailable !== undefined && { maxUnavailable: m.options.maxUnavailable }),
      ...(m.method && m.recreate && { recreate: m.recreate }),
    },
    environment: m.environment,
    startedAt: m.startedAt.toISOString(),
    endedAt: m.endedAt.toISOString(),
    durationMs: m.endedAt.getTime() - m.startedAt.getTime(),
    phases: m.phases,
    podEvents: m.podEvents,
    maxPodsDown: maxPodsDown(m.initiallyReady, m.podEvents),
    probe,
    samples: m.samples,
    ...(m.probeVia && { probeVia: m.probeVia }),
    ...(m.controlPlane && { controlPlane: m.controlPlane }),
    counters: m.counters,
    dataChecks,
    dataPreserved: dataChecks.every((c) => c.preserved),
    verdict,
    reason,
    notes: m.notes,
    ...(m.method && { method: m.method }),
  };
}
