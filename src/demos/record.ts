import type { ControlPlaneRecord } from './control-plane.js';
// The run record: one JSON file per demo run under lab-report/runs/.
// The report is rendered only from these and from live cluster reads.

import type { ClusterIdentity } from '../adapters/kubectl.js';
import type { CounterReading } from '../counters.js';
import type { PodEvent } from '../events.js';
import type { ProbeSample, ProbeSummary } from '../probe/sample.js';

// The probe's types live with the probe; the record keeps them.
export type { OutageWindow, ProbeSample, ProbeSummary } from '../probe/sample.js';
export type { ClusterIdentity } from '../adapters/kubectl.js';
// The pod watch's vocabulary lives below demos/ and live/ (src/events.ts); the record keeps it.
export type { PodEvent, PodEventType } from '../events.js';

export type Strategy = 'rolling' | 'recreate' | 'canary' | 'partition';
export const STRATEGIES: readonly Strategy[] = ['rolling', 'recreate', 'canary', 'partition'];

export interface Phase {
  name: string;
  /** ms since the run started. */
  start: number;
  end: number;
  detail?: string;
}

/** A pod's counter reading as a run record keeps it: without readiness or error, with the PVC's UID. */
export interface CounterSnapshot extends Pick<CounterReading, 'pod' | 'ordinal' | 'counter' | 'pvc' | 'revision' | 'version'> {
  /** The PVC's UID: a PVC deleted and re-created under the same name is new, empty storage. */
  pvcUid: string | null;
}

export interface DataCheck {
  pod: string;
  before: number | null;
  after: number | null;
  /** Probe requests this pod acknowledged during the run. */
  acknowledged: number;
  preserved: boolean;
  reason?: string;
}

/** `interrupted`: Ctrl-C or SIGTERM stopped the demo, which undid its half-done changes. */
export type Verdict = 'passed' | 'failed' | 'aborted' | 'interrupted';

export interface RunRecord {
  schema: 1;
  id: string;
  strategy: Strategy;
  release: string;
  namespace: string;
  /**
   * The cluster it was measured on: the report uses only the records of the cluster it reads.
   * Records written before k8s-lab kept it have none, and are left out of reports.
   */
  cluster?: ClusterIdentity;
  versions: { from: string; to: string };
  /** What the user asked for (replicas, canary percent, probe interval, ...). */
  options: Record<string, string | number | boolean>;
  environment: { kubernetes: string; helm: string; kubectl: string; k8sLab: string; node: string };
  startedAt: string;
  endedAt: string;
  durationMs: number;
  phases: Phase[];
  podEvents: PodEvent[];
  /** Most pods not Ready at the same time, as the pod watch saw it. */
  maxPodsDown: number;
  probe: ProbeSummary;
  samples: ProbeSample[];
  /**
   * Set when the probe reached the Service through the API server's service proxy (the last
   * fallback), not a NodePort, load balancer or --url: its figures include the API server's hop.
   */
  probeVia?: 'api-server-proxy';
  /** When the control plane was away during the run (absent when it never was). */
  controlPlane?: ControlPlaneRecord;
  counters: { before: CounterSnapshot[]; after: CounterSnapshot[] };
  dataChecks: DataCheck[];
  dataPreserved: boolean;
  verdict: Verdict;
  reason: string;
  /** How the strategy was carried out on this server (e.g. Recreate emulated with OnDelete). */
  notes: string[];
  /**
   * Where a strategy can be carried out in more than one way (recreate: natively or emulated), which
   * one this run used and why. Records from before it existed are emulated recreates.
   */
  method?: RunMethod;
}

export interface RunMethod {
  id: 'native-recreate' | 'emulated-recreate';
  /** As the report shows it: "native Recreate (StatefulSetRecreateStrategy)" or "emulated: OnDelete + delete". */
  label: string;
  /** Why this one: the server's answer to a dry-run, or --emulate-recreate. */
  why: string;
}
