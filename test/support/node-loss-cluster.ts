// A small stateful fake of a three-node cluster for demo-node-loss's command tests: the node stop
// and start commands, the taint and the reads act on its state as a real cluster would, in
// milliseconds instead of the controller manager's 50 s. Every call is recorded; a call it does not
// know fails the test. (A scripted list of calls, as fake-cluster.ts has, cannot say how often a
// poll reads.)
import type { Pod } from '../../src/adapters/kube-objects.js';
import type { Runner, ToolCall, ToolResult, ToolStream } from '../../src/process/runner.js';
import { claim, CLUSTER, pod, statefulSet } from './cluster-objects.js';

export const WORKERS = ['k8s-lab-worker', 'k8s-lab-worker2'];
export const OOS = 'node.kubernetes.io/out-of-service';

interface SimNode {
  name: string;
  powered: boolean;
  ready: 'True' | 'Unknown';
  taints: { key: string; value?: string; effect: string }[];
}

interface SimPod {
  ordinal: number;
  uid: string;
  node: string | null;
  ready: 'True' | 'False';
  deleting: boolean;
  counter: number;
}

export interface SimOptions {
  /** How long after the stop the node turns NotReady (the grace period, shortened). */
  notReadyAfterMs?: number;
  /** Called with each call's words before it is answered (a test's Ctrl-C at that moment). */
  onCall?: (words: string[]) => void;
  /** The stop command's path (the project's script under the test's state dir). */
  script: string;
  /** Node names (the project's by default). */
  names?: { control: string; workers: string[] };
}

export class NodeLossCluster implements Runner {
  readonly calls: string[][] = [];
  readonly unknown: string[] = [];
  readonly nodes: SimNode[];
  readonly pods: SimPod[];
  private readonly timers = new Set<NodeJS.Timeout>();
  private watchers: ((chunk: string) => void)[] = [];

  constructor(private readonly options: SimOptions) {
    const names = options.names ?? { control: 'k8s-lab-node', workers: WORKERS };
    this.nodes = [
      { name: names.control, powered: true, ready: 'True', taints: [{ key: 'node-role.kubernetes.io/control-plane', effect: 'NoSchedule' }] },
      ...names.workers.map((name): SimNode => ({ name, powered: true, ready: 'True', taints: [] })),
    ];
    this.pods = [0, 1].map((ordinal) => ({
      ordinal,
      uid: `pod-uid-${ordinal}`,
      node: names.workers[ordinal % names.workers.length]!,
      ready: 'True',
      deleting: false,
      counter: 10 * (ordinal + 1),
    }));
  }

  node(name: string): SimNode {
    return this.nodes.find((n) => n.name === name)!;
  }

  private later(ms: number, change: () => void): void {
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      change();
    }, ms);
    this.timers.add(timer);
  }

  stopTimers(): void {
    for (const t of this.timers) clearTimeout(t);
  }

  private podObject(p: SimPod): Pod {
    const base = pod(p.ordinal, { ready: p.ready === 'True', phase: p.node ? 'Running' : 'Pending' });
    return {
      ...base,
      metadata: { ...base.metadata, uid: p.uid, ...(p.deleting && { deletionTimestamp: '2026-11-24T03:21:00Z' }) },
      spec: { ...base.spec, ...(p.node && { nodeName: p.node }) },
      status: { ...base.status, conditions: [{ type: 'Ready', status: p.ready }] },
    };
  }

  private nodeObject(n: SimNode) {
    return { kind: 'Node', metadata: { name: n.name }, spec: { taints: n.taints }, status: { conditions: [{ type: 'Ready', status: n.ready }] } };
  }

  private changed(p: SimPod): void {
    for (const w of this.watchers) w(JSON.stringify({ type: 'MODIFIED', object: this.podObject(p) }));
  }

  /** The pod on a stopped node stops being Ready once its node is NotReady; the taint removes it and a replacement comes. */
  private stop(name: string): void {
    const n = this.node(name);
    n.powered = false;
    this.later(this.options.notReadyAfterMs ?? 150, () => {
      if (n.powered) return;
      n.ready = 'Unknown';
      for (const p of this.pods.filter((x) => x.node === name)) {
        p.ready = 'False';
        this.changed(p);
      }
    });
  }

  private start(name: string): void {
    const n = this.node(name);
    n.powered = true;
    n.ready = 'True';
    this.later(50, () => this.settle());
  }

  private taint(name: string, remove: boolean): void {
    const n = this.node(name);
    n.taints = n.taints.filter((t) => t.key !== OOS);
    if (remove) {
      this.later(50, () => this.settle());
      return;
    }
    n.taints.push({ key: OOS, value: 'nodeshutdown', effect: 'NoExecute' });
    // Pod GC force-deletes the pods of an out-of-service node; the StatefulSet re-creates them, Pending on their node-local volume.
    for (const p of this.pods.filter((x) => x.node === name && !n.powered)) {
      p.deleting = true;
      this.changed(p);
      this.later(50, () => {
        for (const w of this.watchers) w(JSON.stringify({ type: 'DELETED', object: this.podObject(p) }));
        Object.assign(p, { uid: `${p.uid}-b`, node: null, ready: 'False', deleting: false });
        for (const w of this.watchers) w(JSON.stringify({ type: 'ADDED', object: this.podObject(p) }));
      });
    }
  }

  /** Pods come back Ready where their node is up and untainted (a Pending replacement goes to its volume's node). */
  private settle(): void {
    for (const p of this.pods) {
      const home = p.node ?? WORKERS[p.ordinal % WORKERS.length]!;
      const n = this.node(home);
      if (n.powered && n.ready === 'True' && !n.taints.some((t) => t.key === OOS) && p.ready !== 'True') {
        p.node = home;
        p.ready = 'True';
        this.changed(p);
      }
    }
  }

  private answer(words: string[]): unknown {
    const line = words.join(' ');
    const scope = line.replace(/^--namespace lab /, '');
    if (words[0] === this.options.script) {
      if (words[1] === 'stop') this.stop(words[2]!);
      else this.start(words[2]!);
      return '';
    }
    let m: RegExpMatchArray | null;
    if ((m = /^taint nodes (\S+) (\S+?)(-)?( --overwrite)? --request-timeout=10s$/.exec(scope))) return (this.taint(m[1]!, m[3] === '-'), '');
    if (line === 'version --short') return 'v4.1.4+g05fa379\n';
    if (line === 'version --client --output json') return { clientVersion: { gitVersion: 'v1.37.2' } };
    if (line === 'version --output json --request-timeout=10s') return { serverVersion: { gitVersion: 'v1.37.2' } };
    if (line === 'config view --minify --output json') return { 'current-context': CLUSTER.context, clusters: [{ cluster: { server: CLUSTER.server } }] };
    if (line === 'get namespace kube-system --output json --request-timeout=10s') return { metadata: { name: 'kube-system', uid: CLUSTER.uid } };
    if (/^--namespace lab list --filter/.test(line))
      return [{ name: 'helm-python', namespace: 'lab', revision: '3', updated: '', status: 'deployed', chart: 'k8s-lab-counter-0.1.0', app_version: 'v1' }];
    if (/^--namespace lab get values helm-python/.test(line)) return { replicaCount: 2 };
    if (line === 'get nodes --output json --request-timeout=10s') return { items: this.nodes.map((n) => this.nodeObject(n)) };
    if (/^get statefulset helm-python /.test(scope)) {
      const ready = this.pods.filter((p) => p.ready === 'True' && !p.deleting).length;
      const sts = statefulSet(2);
      return { ...sts, status: { ...sts.status, readyReplicas: ready, availableReplicas: ready } };
    }
    if (/^get pods --selector \S+ --output json/.test(scope)) return { items: this.pods.map((p) => this.podObject(p)) };
    if (/^get persistentvolumeclaims --selector/.test(scope)) return { items: [claim(0), claim(1)] };
    if ((m = /^get persistentvolumeclaim counter-data-py-helm-python-(\d) /.exec(scope))) return claim(Number(m[1]));
    if ((m = /^get persistentvolume pvc-(\d) /.exec(scope)))
      return {
        spec: {
          nodeAffinity: { required: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'kubernetes.io/hostname', values: [WORKERS[Number(m[1])]] }] }] } },
        },
      };
    if ((m = /^exec helm-python-(\d) .* cat \/data\/counter\.json$/.exec(scope))) return `{"counter": ${this.pods[Number(m[1])]!.counter}}`;
    return undefined;
  }

  async run(call: ToolCall): Promise<ToolResult> {
    const words = [call.bin, ...call.args];
    this.calls.push(words);
    this.options.onCall?.(words);
    const result = (exitCode: number, stdout = '', stderr = ''): ToolResult => ({
      call,
      exitCode,
      stdout,
      stderr,
      timedOut: false,
      notFound: false,
      durationMs: 1,
    });
    if (call.args[0] === 'proxy') return result(1, '', 'error: no proxy in the fake\n');
    const answer = this.answer(call.bin === 'helm' || call.bin === 'kubectl' ? call.args : words);
    if (answer === undefined) {
      this.unknown.push(words.join(' '));
      return result(1, '', `fake: no answer for ${words.join(' ')}\n`);
    }
    return result(0, typeof answer === 'string' ? answer : JSON.stringify(answer));
  }

  stream(call: ToolCall, onStdout?: (chunk: string) => void): ToolStream {
    this.calls.push([call.bin, ...call.args]);
    let stop!: () => void;
    const exited = new Promise<{ exitCode: number; stderr: string }>((resolve) => (stop = () => resolve({ exitCode: 0, stderr: '' })));
    if (call.args.includes('proxy')) {
      setImmediate(() => stop());
      return { exited: exited.then(() => ({ exitCode: 1, stderr: 'error: no proxy in the fake\n' })), stop: async () => undefined };
    }
    const watcher = (chunk: string) => onStdout?.(chunk);
    setImmediate(() => {
      for (const p of this.pods) watcher(JSON.stringify({ type: 'ADDED', object: this.podObject(p) }));
      this.watchers.push(watcher);
    });
    return {
      exited,
      stop: async () => {
        this.watchers = this.watchers.filter((w) => w !== watcher);
        stop();
        await exited;
      },
    };
  }
}
