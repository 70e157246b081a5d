// A small simulated cluster for demo-drain's command tests: two workers and a tainted control
// plane, the release's two pods (helm-python-0 on worker-a, helm-python-1 on worker-b), cordon and
// uncordon that change the node, evictions that replace the pod (a new UID, on the same node once
// it is schedulable), refused with 429 as many times as asked first. Reads answer from that state
// however often they are made (the lesson polls), so the test asserts on the changes made and the
// state left, not on the number of reads. Each call can fire a hook (a test's Ctrl-C).
import type { Node, Pod } from '../../src/adapters/kube-objects.js';
import type { Runner, ToolCall, ToolResult, ToolStream } from '../../src/process/runner.js';
import { claim, CLUSTER, pod, statefulSet } from './cluster-objects.js';

export const WORKER_A = 'worker-a';
export const WORKER_B = 'worker-b';

export interface DrainClusterOptions {
  /** Refuse this many evictions (429) before accepting one. */
  refusals?: number;
  /** Nodes cordoned from the start. */
  cordoned?: string[];
  /** Called at each call, before it is answered. */
  onCall?: (call: ToolCall, cluster: DrainCluster) => void;
}

const ok = (call: ToolCall, stdout: unknown): ToolResult => ({
  call,
  exitCode: 0,
  stdout: typeof stdout === 'string' ? stdout : JSON.stringify(stdout),
  stderr: '',
  timedOut: false,
  notFound: false,
  durationMs: 1,
});
const fail = (call: ToolCall, stderr: string): ToolResult => ({ ...ok(call, ''), exitCode: 1, stderr });

export class DrainCluster implements Runner {
  /** The calls that changed something, in order: `cordon worker-b`, `evict helm-python-1`, … */
  readonly changes: string[] = [];
  readonly unschedulable = new Set<string>();
  private readonly pods = new Map<string, { node: string; uid: string; generation: number }>([
    ['helm-python-0', { node: WORKER_A, uid: 'pod-uid-0', generation: 0 }],
    ['helm-python-1', { node: WORKER_B, uid: 'pod-uid-1', generation: 0 }],
  ]);
  private refusalsLeft: number;

  constructor(private readonly options: DrainClusterOptions = {}) {
    this.refusalsLeft = options.refusals ?? 0;
    for (const node of options.cordoned ?? []) this.unschedulable.add(node);
  }

  nodeOf(name: string): string | undefined {
    return this.pods.get(name)?.node;
  }

  private podObjects(): Pod[] {
    return [...this.pods].map(([name, p]) => {
      const base = pod(Number(name.split('-').at(-1)));
      return { ...base, metadata: { ...base.metadata, uid: p.uid } as Pod['metadata'], spec: { ...base.spec, nodeName: p.node } };
    });
  }

  private nodes(): Node[] {
    const node = (name: string, taint: boolean): Node => ({
      metadata: { name } as Node['metadata'],
      spec: { unschedulable: this.unschedulable.has(name), ...(taint && { taints: [{ key: 'node-role.kubernetes.io/control-plane', effect: 'NoSchedule' }] }) },
      status: { conditions: [{ type: 'Ready', status: 'True' }] },
    });
    return [node('control-plane', true), node(WORKER_A, false), node(WORKER_B, false)];
  }

  async run(call: ToolCall): Promise<ToolResult> {
    this.options.onCall?.(call, this);
    const a = call.args;
    const has = (...words: string[]) => words.every((w) => a.includes(w));
    if (call.bin === 'helm') {
      if (has('version')) return ok(call, 'v4.1.4+g05fa379\n');
      if (has('list'))
        return ok(call, [
          { name: 'helm-python', namespace: 'lab', revision: '3', updated: '', status: 'deployed', chart: 'k8s-lab-counter-0.1.0', app_version: 'v1' },
        ]);
      if (has('get', 'values')) return ok(call, { replicaCount: 2 });
    }
    if (has('version', '--client')) return ok(call, { clientVersion: { gitVersion: 'v1.35.0' } });
    if (has('version')) return ok(call, { clientVersion: { gitVersion: 'v1.35.0' }, serverVersion: { gitVersion: 'v1.34.2' } });
    if (has('config', 'view'))
      return ok(call, {
        'current-context': CLUSTER.context,
        clusters: [{ cluster: { server: CLUSTER.server } }],
        contexts: [{ context: { namespace: 'lab' } }],
      });
    if (has('get', 'namespace', 'kube-system')) return ok(call, { metadata: { name: 'kube-system', uid: CLUSTER.uid } });
    if (has('get', 'nodes')) return ok(call, { items: this.nodes() });
    if (has('get', 'statefulset')) return ok(call, statefulSet());
    if (has('get', 'pods')) return ok(call, { items: this.podObjects() });
    if (has('get', 'persistentvolumeclaims')) return ok(call, { items: [claim(0), claim(1)] });
    if (has('get', 'poddisruptionbudget'))
      return ok(call, { metadata: { name: 'helm-python' }, spec: { maxUnavailable: 1 }, status: { disruptionsAllowed: 1 } });
    // Every counter 5 before any change, then far above what the probe can have acknowledged.
    if (has('exec')) return ok(call, `{"counter": ${this.changes.length ? 100_000 : 5}}`);
    if (has('cordon') || has('uncordon')) return this.cordon(call, has('cordon'));
    if (has('create', '--raw')) return this.evict(call);
    return fail(call, `error: the simulated cluster does not answer ${a.join(' ')}`);
  }

  private cordon(call: ToolCall, on: boolean): ToolResult {
    const node = call.args[call.args.indexOf(on ? 'cordon' : 'uncordon') + 1]!;
    this.changes.push(`${on ? 'cordon' : 'uncordon'} ${node}`);
    if (on) this.unschedulable.add(node);
    else this.unschedulable.delete(node);
    return ok(call, `node/${node} ${on ? 'cordoned' : 'uncordoned'}\n`);
  }

  private evict(call: ToolCall): ToolResult {
    const name = /\/pods\/([^/]+)\/eviction$/.exec(call.args.find((x) => x.endsWith('/eviction')) ?? '')?.[1] ?? '';
    const body = JSON.parse(call.input ?? '{}') as { kind?: string; apiVersion?: string; metadata?: { name?: string } };
    this.changes.push(`evict ${name} (${body.apiVersion} ${body.kind} ${body.metadata?.name})`);
    if (this.refusalsLeft > 0) {
      this.refusalsLeft--;
      return fail(call, "Error from server (TooManyRequests): Cannot evict pod as it would violate the pod's disruption budget.\n");
    }
    const p = this.pods.get(name);
    if (!p) return fail(call, `Error from server (NotFound): pods "${name}" not found\n`);
    p.generation++;
    p.uid = `${p.uid.replace(/-new\d+$/, '')}-new${p.generation}`;
    return ok(call, '');
  }

  stream(call: ToolCall, onStdout: (chunk: string) => void): ToolStream {
    this.options.onCall?.(call, this);
    if (call.args.includes('proxy')) return { exited: Promise.resolve({ exitCode: 1, stderr: 'error: no proxy here\n' }), stop: async () => {} };
    // A watch: the pods as they are, then open until stopped.
    let stop: () => void = () => {};
    const exited = new Promise<{ exitCode: number; stderr: string }>((resolve) => (stop = () => resolve({ exitCode: 0, stderr: '' })));
    setImmediate(() =>
      onStdout(
        this.podObjects()
          .map((object) => JSON.stringify({ type: 'ADDED', object }))
          .join('\n'),
      ),
    );
    return {
      exited,
      stop: async () => {
        stop();
        await exited;
      },
    };
  }
}
