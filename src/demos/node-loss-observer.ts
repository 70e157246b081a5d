// demo-node-loss: reads the stopped node and the release's pods about once a second while the run
// lasts, and keeps what changed (NodeObservation, PodObservation): what the API showed, when.

import { setTimeout as sleep } from 'node:timers/promises';
import type { Node, Pod } from '../adapters/kube-objects.js';
import type { Kubectl } from '../adapters/kubectl.js';
import { OUT_OF_SERVICE_TAINT, type ConditionStatus, type NodeObservation, type PodObservation } from './node-loss-analysis.js';

/** A node with what the demo reads of its spec (unschedulable, taints). */
export type NodeObject = Node;

export function conditionOf(conditions: { type: string; status: string }[] | undefined, type: string): ConditionStatus {
  const status = conditions?.find((c) => c.type === type)?.status;
  return status === 'True' || status === 'False' || status === 'Unknown' ? status : null;
}

export function hasOutOfServiceTaint(node: NodeObject): boolean {
  return node.spec?.taints?.some((t) => t.key === OUT_OF_SERVICE_TAINT.key && t.effect === OUT_OF_SERVICE_TAINT.effect) ?? false;
}

export function observeNode(node: NodeObject, t: number): NodeObservation {
  return { t, node: node.metadata.name, ready: conditionOf(node.status?.conditions, 'Ready'), outOfService: hasOutOfServiceTaint(node) };
}

export function observePod(name: string, pod: Pod | undefined, t: number): PodObservation {
  if (!pod) return { t, pod: name, uid: null, node: null, phase: null, ready: null, deleting: false, reason: null };
  return {
    t,
    pod: name,
    uid: (pod.metadata as { uid?: string }).uid ?? null,
    node: pod.spec?.nodeName ?? null,
    phase: pod.status?.phase ?? null,
    ready: conditionOf(pod.status?.conditions, 'Ready'),
    deleting: Boolean(pod.metadata.deletionTimestamp),
    reason: pod.status?.reason ?? null,
  };
}

const sameNode = (a: NodeObservation, b: NodeObservation) => a.ready === b.ready && a.outOfService === b.outOfService;
const samePod = (a: PodObservation, b: PodObservation) =>
  a.uid === b.uid && a.node === b.node && a.phase === b.phase && a.ready === b.ready && a.deleting === b.deleting && a.reason === b.reason;

/** One node read: through the demo's API connection when it has one (a GET, no process), else kubectl. */
export async function readNode(kubectl: Kubectl, name: string): Promise<NodeObject | undefined> {
  const reply = await kubectl.proxyGet(`/api/v1/nodes/${encodeURIComponent(name)}`)?.catch(() => undefined);
  if (reply?.statusCode === 200) return JSON.parse(reply.body) as NodeObject;
  return (await kubectl.nodes()).find((n) => n.metadata.name === name) as NodeObject | undefined;
}

/** Reads on a loop and records the changes; `latest` is what the last read saw. */
export class NodeLossObserver {
  readonly nodes: NodeObservation[] = [];
  readonly pods: PodObservation[] = [];
  latest: { node?: NodeObservation; pods: Map<string, PodObservation> } = { pods: new Map() };
  private running = false;
  private loop?: Promise<void>;
  /** The last read's failure, kept for --verbose; a read that fails is tried again. */
  lastError?: string;

  constructor(
    private readonly kubectl: Kubectl,
    private readonly node: string,
    private readonly selector: string,
    /** The pod names of the release (its ordinals): a name not read is recorded as gone. */
    private readonly names: string[],
    private readonly clock: () => number,
    private readonly pollMs: number,
  ) {}

  /** One read, recorded; also what the waits use. */
  async read(): Promise<void> {
    const [node, pods] = await Promise.all([readNode(this.kubectl, this.node), this.kubectl.pods(this.selector)]);
    const t = this.clock();
    if (node) {
      const o = observeNode(node, t);
      if (!this.latest.node || !sameNode(this.latest.node, o)) this.nodes.push(o);
      this.latest.node = o;
    }
    const names = [...new Set([...this.names, ...pods.map((p) => p.metadata.name)])];
    for (const name of names) {
      const o = observePod(
        name,
        pods.find((p) => p.metadata.name === name),
        t,
      );
      const before = this.latest.pods.get(name);
      if (!before || !samePod(before, o)) this.pods.push(o);
      this.latest.pods.set(name, o);
    }
  }

  async start(): Promise<void> {
    await this.read();
    this.running = true;
    this.loop = (async () => {
      while (this.running) {
        await sleep(this.pollMs);
        if (!this.running) break;
        await this.read().catch((error: Error) => (this.lastError = error.message));
      }
    })();
  }

  async stop(): Promise<void> {
    this.running = false;
    await this.loop;
  }
}
