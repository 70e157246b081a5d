// The calls of one `demo-identity` against the fake cluster, up to a Ctrl-C in a given phase, and
// the undo that must follow: helm-python-1 on worker2 with a node-local volume (PV affinity:
// hostname In [worker2]), the DNS name resolved from helm-python-0.
import type { Pod } from '../../src/adapters/kube-objects.js';
import { kubectl, type Expected } from './fake-cluster.js';
import { CLAIMS, HARNESS_READS, lessonRelease, claim, NS, pod, POD_SELECTOR, PROXY_FAILS, readCounter, SELECTOR, statefulSet } from './cluster-objects.js';

const get = (resource: string, ...rest: string[]) => [...NS, 'get', resource, ...rest, '--output', 'json', '--request-timeout=10s'];
const ready = [{ type: 'Ready', status: 'True' }];

/** helm-python-N with a UID, an IP and a node (none: Pending, not scheduled). */
export function podAt(ordinal: number, uid: string, node: string | undefined, isReady = true): Pod {
  const p = pod(ordinal, { ready: isReady, phase: isReady ? 'Running' : 'Pending' });
  return {
    ...p,
    metadata: { ...p.metadata, uid } as Pod['metadata'],
    spec: { ...p.spec, ...(node && { nodeName: node }) },
    status: { ...p.status, ...(node && { podIP: `10.244.${node === 'worker' ? 1 : 2}.${uid.length}` }) },
  };
}

const NODES = kubectl(['get', 'nodes', '--output', 'json', '--request-timeout=10s'], {
  stdout: {
    items: [
      {
        metadata: { name: 'cp', labels: { 'kubernetes.io/hostname': 'cp' } },
        spec: { taints: [{ key: 'cp', effect: 'NoSchedule' }] },
        status: { conditions: ready },
      },
      { metadata: { name: 'worker', labels: { 'kubernetes.io/hostname': 'worker' } }, spec: {}, status: { conditions: ready } },
      { metadata: { name: 'worker2', labels: { 'kubernetes.io/hostname': 'worker2' } }, spec: {}, status: { conditions: ready } },
    ],
  },
});

export type IdentityPhase = 'cordon' | 'delete' | 'pending';

export const CORDON = (on: boolean, onCall?: () => void): Expected => kubectl([on ? 'cordon' : 'uncordon', 'worker2', '--request-timeout=10s'], { onCall });

/** The script of a run interrupted in `phase` (Ctrl-C sent by `interrupt`), with its undo and the read after. */
export function interruptedScript(phase: IdentityPhase, interrupt: () => void): Expected[] {
  const STS = kubectl(get('statefulset', 'helm-python'), { stdout: statefulSet() });
  const before = [podAt(0, 'pod-uid-0', 'worker'), podAt(1, 'pod-uid-1', 'worker2')];
  const replaced = [podAt(0, 'pod-uid-0', 'worker'), podAt(1, 'pod-uid-1b', 'worker2')];
  const pending = [podAt(0, 'pod-uid-0', 'worker'), podAt(1, 'pod-uid-1b', undefined, false)];
  const podsBy = (selector: string, items: Pod[]) => kubectl(get('pods', '--selector', selector), { stdout: { items } });
  const hostname = kubectl([...NS, 'exec', 'helm-python-1', '--container', 'app', '--request-timeout=10s', '--', 'cat', '/etc/hostname'], {
    stdout: 'helm-python-1\n',
  });
  const read = (pods: Pod[]) => [STS, podsBy(POD_SELECTOR, pods), CLAIMS, readCounter(0, 10), readCounter(1, 20), podsBy(SELECTOR, pods), CLAIMS, hostname];
  const changed = phase !== 'cordon';
  return [
    ...lessonRelease(),
    STS,
    NODES,
    PROXY_FAILS,
    // The pods settled before the lesson, the cluster, the first read.
    STS,
    podsBy(POD_SELECTOR, before),
    ...HARNESS_READS,
    ...read(before),
    // Where the volume lets the pod go: node-local, worker2 only.
    kubectl(get('persistentvolumeclaim', 'counter-data-py-helm-python-1'), { stdout: claim(1) }),
    kubectl(get('persistentvolume', 'pvc-1'), {
      stdout: {
        metadata: { name: 'pvc-1' },
        spec: {
          storageClassName: 'standard',
          nodeAffinity: { required: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'kubernetes.io/hostname', operator: 'In', values: ['worker2'] }] }] } },
        },
      },
    }),
    NODES,
    // The resolver in helm-python-0: one answer, then it ends.
    kubectl(
      [
        ...NS,
        'exec',
        'helm-python-0',
        '--container',
        'app',
        '--',
        'python3',
        '-c',
        /socket\.getaddrinfo/,
        'helm-python-1.helm-python-headless.lab.svc.cluster.local',
        '0.2',
        /^\d+$/,
      ],
      {
        stdout: '{"addresses": ["10.244.2.9"], "error": null}\n',
        exitCode: 0,
      },
    ),
    podsBy(SELECTOR, before),
    kubectl([...NS, 'get', 'pods', '--selector', SELECTOR, '--watch', '--output-watch-events', '--output', 'json'], {
      stdout: before.map((object) => JSON.stringify({ type: 'ADDED', object })).join('\n'),
      exitCode: 0,
    }),
    CORDON(true, phase === 'cordon' ? interrupt : undefined),
    ...(changed
      ? [kubectl([...NS, 'delete', 'pods', 'helm-python-1', '--wait=false', '--request-timeout=10s'], { onCall: phase === 'delete' ? interrupt : undefined })]
      : []),
    // pending: the replacement is there, not scheduled; Ctrl-C while it is held Pending.
    ...(phase === 'pending' ? [STS, { ...podsBy(POD_SELECTOR, pending), onCall: interrupt }] : []),
    // The undo: uncordon, and once the pod was deleted, wait until it is back.
    CORDON(false),
    ...(changed ? [STS, podsBy(POD_SELECTOR, replaced)] : []),
    ...read(changed ? replaced : before),
  ];
}
