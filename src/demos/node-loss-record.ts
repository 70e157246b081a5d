// demo-node-loss's run record: one JSON file per run in the lessons' record folder.

import type { ProbedLessonRecord } from './lessons.js';
import type { FailedRequests } from './failover-analysis.js';
import type { NodeLossFigures, NodeLossMoments, NodeLossRecovery, NodeLossVerdict, NodeObservation, PodObservation } from './node-loss-analysis.js';

/** The pod of the identity at one end of the run. */
export interface NodeLossIdentity {
  pod: string;
  uid: string | null;
  node: string | null;
  ready: boolean;
  pvc: string | null;
  pvcUid: string | null;
  counter: number | null;
}

export interface NodeLossRecord extends ProbedLessonRecord<'node-loss'> {
  recover: NodeLossRecovery;
  pod: string;
  /** The node that was stopped: the pod's node at the start. */
  node: string;
  /** The commands that powered it off and on, as run (argument arrays), and where they came from. */
  commands: { stop: string[]; start: string[]; source: 'options' | 'project-cluster' };
  options: { replicas: number; intervalMs: number; settleMs: number; timeoutMs: number };
  /** The stopped node as read during the run (on change), and every pod of the release likewise. */
  nodes: NodeObservation[];
  pods: PodObservation[];
  moments: NodeLossMoments;
  /** The pod's volume: its PV and the node its affinity ties it to (null: none, it can follow the pod; absent: the PV could not be read). */
  volume: { pvc: string; pvcUid: string | null; pv: string | null; node?: string | null } | null;
  /** What the recovery means for the data, given where the volume lives. */
  dataMeaning: string;
  identity: { before: NodeLossIdentity; after: NodeLossIdentity | null };
  nodeAfter: { ready: boolean; outOfService: boolean } | null;
  readyReplicas: number;
  figures: NodeLossFigures | null;
  failedRequests: FailedRequests;
  /** What was put back after an error or Ctrl-C, one line each. */
  cleanup: string[];
  verdict: NodeLossVerdict;
}
