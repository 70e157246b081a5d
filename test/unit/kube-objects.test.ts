import { describe, expect, it } from 'vitest';
import {
  byOrdinal,
  defaultStorageClass,
  isStatefulSetSettled,
  nodeIsReady,
  podClaim,
  podOrdinal,
  podNode,
  podStatus,
  schedulableNodes,
  type List,
  type Node,
  type Pod,
  type StatefulSet,
  type StorageClass,
} from '../../src/adapters/kube-objects.js';
import { parseCounterFile } from '../../src/counters.js';
import { readOverview, renderOverview } from '../../src/overview.js';
import { Kubectl } from '../../src/adapters/kubectl.js';
import { FakeRunner } from '../support/fake-runner.js';
import { fixture, fixtureJson } from '../support/fixtures.js';

// Recorded with kubectl 1.32 against Kubernetes 1.20.2 (../shared/cluster), release helm-python.
const overview = fixtureJson<List<Pod | StatefulSet>>('kubectl-overview.json');
const pods = overview.items.filter((i): i is Pod => i.kind === 'Pod');
const sts = overview.items.find((i): i is StatefulSet => i.kind === 'StatefulSet')!;

describe('pods of the recorded release', () => {
  it('are Running, with their own PVC and ordinal', () => {
    expect(pods.map((p) => [p.metadata.name, podOrdinal(p.metadata.name), podStatus(p), podClaim(p)])).toEqual([
      ['helm-python-0', 0, 'Running', 'counter-data-py-helm-python-0'],
      ['helm-python-1', 1, 'Running', 'counter-data-py-helm-python-1'],
    ]);
  });

  it('show Terminating once deleted, whatever the phase', () => {
    const pod = { ...pods[0]!, metadata: { ...pods[0]!.metadata, deletionTimestamp: '2026-11-24T03:10:00Z' } };
    expect(podStatus(pod)).toBe('Terminating');
  });

  it('show a waiting reason like kubectl does', () => {
    const pod: Pod = {
      metadata: { name: 'x-0' },
      status: { phase: 'Pending', containerStatuses: [{ name: 'app', ready: false, restartCount: 3, state: { waiting: { reason: 'CrashLoopBackOff' } } }] },
    };
    expect(podStatus(pod)).toBe('CrashLoopBackOff');
  });

  it('sort by ordinal numerically', () => {
    const names = ['p-10', 'p-2', 'p-0'].map((name) => ({ metadata: { name } }));
    expect(byOrdinal(names).map((p) => p.metadata.name)).toEqual(['p-0', 'p-2', 'p-10']);
  });
});

describe('isStatefulSetSettled', () => {
  it('is true for the recorded, fully rolled-out StatefulSet', () => {
    expect(isStatefulSetSettled(sts, pods)).toBe(true);
  });
  it('is false while a pod is missing, not Ready, terminating, or on an older revision', () => {
    expect(isStatefulSetSettled(sts, pods.slice(0, 1))).toBe(false);
    const notReady = pods.map((p, i) => (i === 1 ? { ...p, status: { ...p.status, conditions: [{ type: 'Ready', status: 'False' }] } } : p));
    expect(isStatefulSetSettled(sts, notReady)).toBe(false);
    const terminating = pods.map((p, i) => (i === 0 ? { ...p, metadata: { ...p.metadata, deletionTimestamp: 'now' } } : p));
    expect(isStatefulSetSettled(sts, terminating)).toBe(false);
    const newer = { ...sts, status: { ...sts.status, updateRevision: 'helm-python-new' } };
    expect(isStatefulSetSettled(newer, pods)).toBe(false);
  });
  it('accepts older revisions while a partition holds them back on purpose', () => {
    const partitioned: StatefulSet = {
      ...sts,
      spec: { ...sts.spec, updateStrategy: { type: 'RollingUpdate', rollingUpdate: { partition: 2 } } },
      status: { ...sts.status, updateRevision: 'helm-python-new' },
    };
    expect(isStatefulSetSettled(partitioned, pods)).toBe(true);
  });
  it('waits for the controller to observe the latest generation', () => {
    const unobserved = { ...sts, metadata: { ...sts.metadata, generation: (sts.status?.observedGeneration ?? 1) + 1 } };
    expect(isStatefulSetSettled(unobserved, pods)).toBe(false);
  });
});

describe('cluster facts', () => {
  it('finds the default StorageClass and Ready nodes', () => {
    expect(defaultStorageClass(fixtureJson<List<StorageClass>>('kubectl-storageclasses.json').items)?.metadata.name).toBe('standard');
    expect(
      fixtureJson<List<Node>>('kubectl-nodes.json')
        .items.filter(nodeIsReady)
        .map((n) => n.metadata.name),
    ).toEqual(['k8s-lab-node']);
    expect(defaultStorageClass([{ metadata: { name: 'slow' } }])).toBeUndefined();
  });
});

describe('renderOverview', () => {
  it('prints the recorded release like kubectl get po,sts,svc,pvc', async () => {
    const kubectl = new Kubectl(
      new FakeRunner([{ match: /get pods,statefulsets,services,persistentvolumeclaims/, stdout: fixture('kubectl-overview.json') }]),
      'kubectl',
      { namespace: 'try' },
    );
    const read = await readOverview(kubectl, 'app.kubernetes.io/instance=helm-python');
    expect(renderOverview(read, Date.parse('2026-11-24T03:16:43Z'))).toMatchInlineSnapshot(`
      "NAME                READY   STATUS    RESTARTS   AGE
      pod/helm-python-0   1/1     Running   0          9m55s
      pod/helm-python-1   1/1     Running   0          9m55s

      NAME                           READY   AGE
      statefulset.apps/helm-python   2/2     9m56s

      NAME                  TYPE       CLUSTER-IP     EXTERNAL-IP   PORT(S)          AGE
      service/helm-python   NodePort   10.96.47.189   <none>        8000:31987/TCP   9m56s

      NAME                                                  STATUS   VOLUME                                     CAPACITY   ACCESS MODES   STORAGECLASS   AGE
      persistentvolumeclaim/counter-data-py-helm-python-0   Bound    pvc-b0a188ff-516f-44f3-801f-02fae52362ea   10Mi       RWO            standard       9m56s
      persistentvolumeclaim/counter-data-py-helm-python-1   Bound    pvc-eac45a8d-94a4-42a1-818c-8abc4ff61190   10Mi       RWO            standard       9m55s"
    `);
  });
  it('says so when there is nothing', () => {
    expect(renderOverview({ pods: [], statefulSets: [], services: [], claims: [] })).toBe('No resources found.');
  });
});

describe('parseCounterFile', () => {
  it.each([
    ['{"counter": 12}', 12],
    ['{"counter": 0}\n', 0],
  ])('%j → %d', (text, n) => expect(parseCounterFile(text)).toBe(n));
  it.each(['', '{', '{"counter": -1}', '{"counter": 1.5}', '{"count": 3}', 'null', '{"counter": "3"}'])('rejects %j instead of reading it as 0', (text) => {
    expect(() => parseCounterFile(text)).toThrow(/counter\.json/);
  });
});

describe('schedulableNodes', () => {
  const node = (name: string, ready: string, spec: Node['spec'] = {}): Node => ({
    metadata: { name },
    spec,
    status: { conditions: [{ type: 'Ready', status: ready }] },
  });

  it('keeps Ready nodes that are neither cordoned nor tainted NoSchedule/NoExecute', () => {
    const nodes = [
      node('control-plane', 'True', { taints: [{ key: 'node-role.kubernetes.io/control-plane', effect: 'NoSchedule' }] }),
      node('worker', 'True'),
      node('worker2', 'True', { unschedulable: true }),
      node('worker3', 'Unknown'),
      node('worker4', 'True', { taints: [{ key: 'node.kubernetes.io/out-of-service', value: 'nodeshutdown', effect: 'NoExecute' }] }),
      node('worker5', 'True', { taints: [{ key: 'example.com/soft', effect: 'PreferNoSchedule' }] }),
    ];
    expect(schedulableNodes(nodes).map((n) => n.metadata.name)).toEqual(['worker', 'worker5']);
  });

  it('reads the node a pod is bound to', () => {
    expect(podNode({ metadata: { name: 'helm-python-1' }, spec: { nodeName: 'worker' } })).toBe('worker');
    expect(podNode({ metadata: { name: 'helm-python-1' } })).toBeUndefined();
  });
});
