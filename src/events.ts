// The event vocabulary: what the pod watch saw (PodEvent, kept in run records) and what a demo or
// `k8s-lab watch` tells the live view (LiveEvent). It sits below both demos/ and live/, so each
// speaks it without importing the other.

import type { ProbeSample } from './probe/sample.js';

export type PodEventType = 'created' | 'scheduled' | 'ready' | 'not-ready' | 'deleting' | 'deleted';

/** What the pod watch saw. `t` is ms since the run started. */
export interface PodEvent {
  t: number;
  pod: string;
  type: PodEventType;
  revision?: string;
  version?: string;
  /** scheduled: the node the pod was bound to. */
  node?: string;
}

export type LiveEvent =
  /**
   * The run starts: what it is (the panel's header: `title`, then `from → to` when both are given).
   * `epochMs` is Date.now() at t = 0 (the driver's clock). A later start (another release measured)
   * forgets the pods and the probe, keeping the event list.
   */
  | { kind: 'start'; t: number; epochMs: number; title: string; release: string; from?: string; to?: string; replicas?: number; strategy?: string }
  | { kind: 'phase'; t: number; name: string; detail: string }
  /** A pod changed (from the pod watch); `baseline` for the pods there when the watch began. */
  | { kind: 'pod'; t: number; pod: string; change: PodEventType; revision?: string; version?: string; node?: string; baseline?: boolean }
  | { kind: 'sample'; sample: ProbeSample }
  /** The StatefulSet as its watch saw it (`k8s-lab watch`). */
  | { kind: 'statefulset'; t: number; replicas?: number; partition?: number; currentRevision?: string; updateRevision?: string; readyReplicas?: number }
  /** A line to show among the events (an undo step, an interruption). */
  | { kind: 'note'; t: number; text: string; warn?: boolean }
  /** --step: the demo waits for Enter before this phase. `undefined` name clears it. */
  | { kind: 'paused'; t: number; next?: { name: string; detail: string; why: string } };
