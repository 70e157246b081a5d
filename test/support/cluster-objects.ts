// Small Kubernetes objects and the calls that read them, for command tests against the fake
// cluster: release helm-python in namespace lab, two pods.
import type { PersistentVolumeClaim, Pod, Service, StatefulSet } from '../../src/adapters/kube-objects.js';
import { helm, kubectl, type Expected } from './fake-cluster.js';

/** The fake clock of the command tests: every object was created 7 s before it. */
export const NOW = Date.parse('2026-11-24T03:20:00Z');
export const CREATED = '2026-11-24T03:19:53Z';

export const SELECTOR = 'app.kubernetes.io/name=k8s-lab-counter,app.kubernetes.io/instance=helm-python';
export const POD_SELECTOR = 'app.kubernetes.io/instance=helm-python,app.kubernetes.io/name=k8s-lab-counter';
export const NS = ['--namespace', 'lab'];

export function pod(ordinal: number, { ready = true, revision = 'helm-python-7bd8486ccf', version = 'v1', phase = 'Running' } = {}): Pod {
  const name = `helm-python-${ordinal}`;
  return {
    kind: 'Pod',
    metadata: { name, namespace: 'lab', creationTimestamp: CREATED, labels: { 'controller-revision-hash': revision, 'app.kubernetes.io/version': version } },
    spec: { volumes: [{ name: 'counter-data-py', persistentVolumeClaim: { claimName: `counter-data-py-${name}` } }] },
    status: {
      phase,
      conditions: [{ type: 'Ready', status: ready ? 'True' : 'False' }],
      containerStatuses: [{ name: 'app', ready, restartCount: 0, state: { running: {} } }],
    },
  };
}

export function statefulSet(replicas = 2, revision = 'helm-python-7bd8486ccf'): StatefulSet {
  return {
    kind: 'StatefulSet',
    metadata: { name: 'helm-python', namespace: 'lab', generation: 1, creationTimestamp: CREATED },
    spec: {
      replicas,
      serviceName: 'helm-python-headless',
      podManagementPolicy: 'OrderedReady',
      selector: { matchLabels: { 'app.kubernetes.io/instance': 'helm-python', 'app.kubernetes.io/name': 'k8s-lab-counter' } },
    },
    status: { replicas, readyReplicas: replicas, observedGeneration: 1, currentRevision: revision, updateRevision: revision },
  };
}

export function service(nodePort = 31987): Service {
  return {
    kind: 'Service',
    metadata: { name: 'helm-python', namespace: 'lab', creationTimestamp: CREATED },
    spec: { type: 'NodePort', clusterIP: '10.96.47.189', ports: [{ name: 'http', port: 8000, nodePort, protocol: 'TCP' }] },
  };
}

export function claim(ordinal: number): PersistentVolumeClaim {
  return {
    kind: 'PersistentVolumeClaim',
    metadata: { name: `counter-data-py-helm-python-${ordinal}`, namespace: 'lab', uid: `uid-${ordinal}`, creationTimestamp: CREATED },
    spec: { volumeName: `pvc-${ordinal}`, storageClassName: 'standard' },
    status: { phase: 'Bound', capacity: { storage: '10Mi' }, accessModes: ['ReadWriteOnce'] },
  };
}

/** What `kubectl get po,sts,svc,pvc` prints for the objects above at NOW. */
export const OVERVIEW_TEXT = [
  'NAME                READY   STATUS    RESTARTS   AGE',
  'pod/helm-python-0   1/1     Running   0          7s',
  'pod/helm-python-1   1/1     Running   0          7s',
  '',
  'NAME                           READY   AGE',
  'statefulset.apps/helm-python   2/2     7s',
  '',
  'NAME                  TYPE       CLUSTER-IP     EXTERNAL-IP   PORT(S)          AGE',
  'service/helm-python   NodePort   10.96.47.189   <none>        8000:31987/TCP   7s',
  '',
  'NAME                                                  STATUS   VOLUME   CAPACITY   ACCESS MODES   STORAGECLASS   AGE',
  'persistentvolumeclaim/counter-data-py-helm-python-0   Bound    pvc-0    10Mi       RWO            standard       7s',
  'persistentvolumeclaim/counter-data-py-helm-python-1   Bound    pvc-1    10Mi       RWO            standard       7s',
].join('\n');

const get = (resource: string, ...rest: string[]) => [...NS, 'get', resource, ...rest, '--output', 'json', '--request-timeout=10s'];

// The calls, each with its answer.
export const HELM_VERSION = helm(['version', '--short'], { stdout: 'v4.1.4+g05fa379\n' });
export const KUBECTL_CLIENT = kubectl(['version', '--client', '--output', 'json'], { stdout: { clientVersion: { gitVersion: 'v1.35.0' } } });
export const KUBECTL_SERVER = kubectl(['version', '--output', 'json', '--request-timeout=10s'], {
  stdout: { clientVersion: { gitVersion: 'v1.35.0' }, serverVersion: { gitVersion: 'v1.34.2' } },
});
/** The cluster the fixtures' run records were measured on (test/fixtures/runs/make-fixtures.mjs). */
export const CLUSTER = { uid: '3f0a5c1e-8b2d-4e6f-9a71-0c4d2b8e5f13', server: 'https://127.0.0.1:6443', context: 'kind-lab' };
/** The kubeconfig's current context and server (`kubectl config view --minify`). */
export const KUBECONFIG_VIEW = kubectl(['config', 'view', '--minify', '--output', 'json'], {
  stdout: {
    'current-context': CLUSTER.context,
    clusters: [{ name: 'kind-lab', cluster: { server: CLUSTER.server } }],
    contexts: [{ name: 'kind-lab', context: {} }],
  },
});
/** The kube-system namespace, whose UID identifies the cluster. */
export const KUBE_SYSTEM = kubectl(['get', 'namespace', 'kube-system', '--output', 'json', '--request-timeout=10s'], {
  stdout: { kind: 'Namespace', metadata: { name: 'kube-system', uid: CLUSTER.uid } },
});
export const OVERVIEW = kubectl(get('pods,statefulsets,services,persistentvolumeclaims', '--selector', SELECTOR), {
  stdout: { items: [pod(0), pod(1), statefulSet(), service(), claim(0), claim(1)] },
});
export const STATEFULSET = kubectl(get('statefulset', 'helm-python'), { stdout: statefulSet() });
export const STATEFULSET_MISSING = kubectl(get('statefulset', 'helm-python'), {
  exitCode: 1,
  stderr: 'Error from server (NotFound): statefulsets.apps "helm-python" not found\n',
});
export const PODS = kubectl(get('pods', '--selector', POD_SELECTOR), { stdout: { items: [pod(0), pod(1)] } });
export const CLAIMS = kubectl(get('persistentvolumeclaims', '--selector', SELECTOR), { stdout: { items: [claim(0), claim(1)] } });
/** `kubectl proxy` does not start on the fake cluster: every read falls back to kubectl. */
export const PROXY_FAILS = kubectl(['proxy', '--unix-socket', /k8s-lab-proxy-.*\/sock$/, '--reject-paths=^/api/.*/pods/.*/attach'], {
  exitCode: 1,
  stderr: 'error: fake cluster has no proxy\n',
});
export const readCounter = (ordinal: number, counter: number): Expected =>
  kubectl([...NS, 'exec', `helm-python-${ordinal}`, '--container', 'app', '--request-timeout=10s', '--', 'cat', '/data/counter.json'], {
    stdout: `{"counter": ${counter}}`,
  });
export const helmStatus = (answer: Omit<Expected, 'bin' | 'args'>) => helm([...NS, 'status', 'helm-python', '--output', 'json'], answer);
export const NOT_INSTALLED = helmStatus({ exitCode: 1, stderr: 'Error: release: not found\n' });
export const release = (revision: number, status = 'deployed') => ({ name: 'helm-python', namespace: 'lab', version: revision, info: { status } });
export const HELM_LIST = helm([...NS, 'list', '--filter', '^helm-python$', '--output', 'json'], {
  stdout: [
    {
      name: 'helm-python',
      namespace: 'lab',
      revision: '3',
      updated: '2026-11-24 03:13:42 +0000 UTC',
      status: 'deployed',
      chart: 'k8s-lab-counter-0.1.0',
      app_version: 'v1',
    },
  ],
});

// doctor's feature checks on KUBECTL_SERVER's v1.34.2: native Recreate is not offered by version (no
// call); maxUnavailable 2 is asked with a server-side dry-run of the release's StatefulSet (a patch),
// or with none yet of a throw-away one (a create, its object on stdin), and a 1.34 server without
// MaxUnavailableStatefulSet drops the field.
const MAX_UNAVAILABLE_DROPPED = {
  kind: 'StatefulSet',
  metadata: { name: 'helm-python' },
  spec: { updateStrategy: { type: 'RollingUpdate', rollingUpdate: { partition: 0 } } },
};
export const DRY_RUN_MAX_UNAVAILABLE_PATCH = kubectl(
  [
    ...NS,
    'patch',
    'statefulset',
    'helm-python',
    '--type',
    'merge',
    '--patch',
    '{"spec":{"updateStrategy":{"type":"RollingUpdate","rollingUpdate":{"maxUnavailable":2}}}}',
    '--dry-run=server',
    '--output',
    'json',
    '--request-timeout=10s',
  ],
  { stdout: MAX_UNAVAILABLE_DROPPED },
);
export const DRY_RUN_MAX_UNAVAILABLE_CREATE = kubectl([...NS, 'create', '--filename', '-', '--dry-run=server', '--output', 'json', '--request-timeout=10s'], {
  input: /"name":"k8s-lab-feature-check".*"rollingUpdate":\{"maxUnavailable":2\}/,
  stdout: { ...MAX_UNAVAILABLE_DROPPED, metadata: { name: 'k8s-lab-feature-check' } },
});
/** doctor's feature checks with the release's StatefulSet there. */
export const FEATURES_DEPLOYED = [STATEFULSET, DRY_RUN_MAX_UNAVAILABLE_PATCH];
/** doctor's feature checks before the first deploy. */
export const FEATURES_NOT_DEPLOYED = [STATEFULSET_MISSING, DRY_RUN_MAX_UNAVAILABLE_CREATE];

/** How every lesson's check begins: the tools' versions (asked by the demo's reader), the release deployed at revision 3, its values. */
export const lessonRelease = (values: object = { replicaCount: 2 }): Expected[] => [
  HELM_VERSION,
  KUBECTL_CLIENT,
  helm([...NS, 'list', '--filter', '^helm-python$', '--output', 'json'], {
    stdout: [{ name: 'helm-python', namespace: 'lab', revision: '3', updated: '', status: 'deployed', chart: 'k8s-lab-counter-0.1.0', app_version: 'v1' }],
  }),
  helm([...NS, 'get', 'values', 'helm-python', '--all', '--output', 'json'], { stdout: values }),
];

/** What the harness reads of the cluster before a demo, for its record: the server's version, the kubeconfig, kube-system's UID. */
export const HARNESS_READS: Expected[] = [KUBECTL_SERVER, KUBECONFIG_VIEW, KUBE_SYSTEM];
