// The headless Service and the PodDisruptionBudget on a real cluster, and a release installed by
// the chart before them (its StatefulSet governed by the NodePort Service, serviceName immutable):
// `deploy` refuses it untouched, `deploy --migrate` moves it with nothing lost. Checked with kubectl
// and helm, apart from k8s-lab's own output: serviceName, the Services, the budget's status, PVC
// UIDs, every counter file, the pods' subdomain and the EndpointSlice hostnames DNS is served from.
// With Helm 4 the whole story runs as a ServiceAccount with only the documented RBAC (rbac/).
// Namespaces: $K8S_LAB_E2E_NAMESPACE_PREFIX-h3/-h4 (default k8s-lab-gov); NodePort $K8S_LAB_E2E_NODEPORT.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseAllDocuments, stringify } from 'yaml';
import { HELM_BINARIES } from '../support/tools.js';
import {
  cli,
  deleteNamespace,
  eventually,
  expectOneLineFailure,
  kubectl,
  kubectlBin,
  kubectlJson,
  LOCAL_IMAGE,
  readCounterFile,
  repoRoot,
  requireCluster,
  serviceAccountKubeconfig,
} from './cluster.js';

const NODE_PORT = Number(process.env.K8S_LAB_E2E_NODEPORT ?? 31942);
const NS_PREFIX = process.env.K8S_LAB_E2E_NAMESPACE_PREFIX ?? 'k8s-lab-gov';
/** The last commit whose chart had no headless Service: what "a release installed before" ran. */
const PREVIOUS_CHART_COMMIT = 'bdc359e6982b932de3e6a948105fc5e3d40a7296';
const IMAGE_VALUES = ['--set', `image.repository=${LOCAL_IMAGE.split(':')[0]}`, '--set-string', `image.tag=${LOCAL_IMAGE.split(':')[1]}`];
const PODS = ['helm-python-0', 'helm-python-1'];

interface Meta {
  name: string;
  uid: string;
}
interface StatefulSet {
  metadata: Meta;
  spec: { serviceName: string; template: { spec: { containers: { image: string }[] } } };
}
interface Pod {
  metadata: Meta;
  spec: { hostname?: string; subdomain?: string; nodeName: string };
}

const work = mkdtempSync(join(tmpdir(), 'k8s-lab-gov-'));
const previousChart = join(work, 'chart');

beforeAll(async () => {
  requireCluster();
  await execa('sh', ['-c', `git -C "$1" archive "$2" chart | tar -x -C "$3"`, 'sh', repoRoot, PREVIOUS_CHART_COMMIT, work]);
  expect(readFileSync(join(previousChart, 'templates', 'statefulset.yaml'), 'utf8')).toContain('serviceName: {{ include "k8s-lab-counter.fullname" . }}');
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

interface RbacObject {
  kind: string;
  metadata: { name: string; namespace?: string };
  subjects?: { namespace?: string }[];
  roleRef?: { kind: string; name: string };
}

/** The documented RBAC files as objects, moved into `namespace`; cluster-scoped names made unique to it. */
function rbacFor(namespace: string): string {
  return ['k8s-lab-user.yaml', 'k8s-lab-nodes.yaml']
    .flatMap((file) => parseAllDocuments(readFileSync(join(repoRoot, 'rbac', file), 'utf8')).map((doc) => doc.toJS() as RbacObject))
    .map((object) => {
      if (object.metadata.namespace) object.metadata.namespace = namespace;
      if (object.kind.startsWith('Cluster')) object.metadata.name = `${object.metadata.name}-${namespace}`;
      if (object.roleRef?.kind === 'ClusterRole') object.roleRef.name = `${object.roleRef.name}-${namespace}`;
      for (const subject of object.subjects ?? []) subject.namespace = namespace;
      return stringify(object);
    })
    .join('---\n');
}

const uidsOf = async (ns: string, resource: string): Promise<Record<string, string>> =>
  Object.fromEntries((await kubectlJson<{ items: { metadata: Meta }[] }>(['-n', ns, 'get', resource])).items.map((i) => [i.metadata.name, i.metadata.uid]));
const countersOf = async (ns: string) => Object.fromEntries(await Promise.all(PODS.map(async (pod) => [pod, await readCounterFile(ns, pod)] as const)));

describe.each(HELM_BINARIES)('a release of the previous chart, Helm $major', ({ major, path: helm }) => {
  const ns = `${NS_PREFIX}-h${major}`;
  /** Helm 4: a ServiceAccount bound to the documented RBAC only. Helm 3: the admin. */
  let kubeconfig: string | undefined;
  const as = () => (kubeconfig ? ['--kubeconfig', kubeconfig] : []);
  const k8sLab = (args: string[]) => cli([...args, '--namespace', ns, ...as()], { helm, timeoutMs: 400_000 });
  const helmAs = (args: string[]) => execa(helm, [...args, '--namespace', ns, ...as()], { reject: false, timeout: 400_000 });
  const before: { counters: Record<string, number>; claims: Record<string, string>; pods: Record<string, string>; sts: string } = {
    counters: {},
    claims: {},
    pods: {},
    sts: '',
  };
  let migratedPods: Record<string, string> = {};

  beforeAll(async () => {
    await deleteNamespace(ns);
    await kubectl(['create', 'namespace', ns]);
    await kubectl(['label', 'namespace', ns, 'pod-security.kubernetes.io/enforce=restricted', 'pod-security.kubernetes.io/enforce-version=latest']);
    if (major === 4) {
      await execa(kubectlBin, ['apply', '-f', '-'], { input: rbacFor(ns), timeout: 60_000 });
      kubeconfig = join(work, `${ns}.kubeconfig`);
      await serviceAccountKubeconfig(ns, 'k8s-lab-user', kubeconfig, { create: false });
    }
  }, 300_000);
  afterAll(async () => {
    await k8sLab(['teardown', '--delete-data', '--yes']);
    await deleteNamespace(ns);
    await kubectl(['delete', 'clusterrolebinding', `k8s-lab-user-nodes-k8s-lab-${ns}`, `--ignore-not-found`], { reject: false });
    await kubectl(['delete', 'clusterrole', `k8s-lab-nodes-${ns}`, '--ignore-not-found'], { reject: false });
  }, 300_000);

  it('installs with the previous chart: the NodePort Service governs the StatefulSet; traffic counts', async () => {
    const installed = await helmAs([
      'install',
      'helm-python',
      previousChart,
      ...IMAGE_VALUES,
      '--set',
      `service.nodePort=${NODE_PORT}`,
      major === 4 ? '--wait=watcher' : '--wait',
      '--timeout',
      '5m',
    ]);
    expect(installed.exitCode, String(installed.stderr)).toBe(0);
    const traffic = await k8sLab(['traffic', '--requests', '30']);
    expect(traffic.exitCode, traffic.stderr).toBe(0);
    const sts = await kubectlJson<StatefulSet>(['-n', ns, 'get', 'statefulset', 'helm-python']);
    expect(sts.spec.serviceName).toBe('helm-python');
    before.sts = sts.metadata.uid;
    before.claims = await uidsOf(ns, 'persistentvolumeclaims');
    before.pods = await uidsOf(ns, 'pods');
    before.counters = await countersOf(ns);
    expect(Object.keys(before.claims).sort()).toEqual(['counter-data-py-helm-python-0', 'counter-data-py-helm-python-1']);
    expect(before.counters['helm-python-0']! + before.counters['helm-python-1']!).toBe(30);
  });

  it('deploy refuses it in one line naming --migrate (exit 2), and nothing changes', async () => {
    const result = await k8sLab(['deploy', '--image', LOCAL_IMAGE, '--set', `service.nodePort=${NODE_PORT}`]);
    expectOneLineFailure(
      result,
      2,
      /StatefulSet helm-python was deployed by an older k8s-lab chart: its serviceName is helm-python.* — run the same deploy with --migrate/,
    );
    const status = JSON.parse(String((await helmAs(['status', 'helm-python', '--output', 'json'])).stdout)) as { version: number; info: { status: string } };
    expect([status.version, status.info.status]).toEqual([1, 'deployed']);
    expect((await kubectlJson<StatefulSet>(['-n', ns, 'get', 'statefulset', 'helm-python'])).metadata.uid).toBe(before.sts);
    const names = String((await kubectl(['-n', ns, 'get', 'services,poddisruptionbudgets', '-o', 'name'])).stdout)
      .trim()
      .split('\n');
    expect(names).toEqual(['service/helm-python']);
  });

  it('demo-update refuses it too, naming the command that migrates', async () => {
    const result = await k8sLab(['demo-update', '--strategy', 'rolling', '--record-dir', join(work, `runs-${major}`)]);
    expectOneLineFailure(result, 2, new RegExp(`migrate it first \\(its pods, PVCs and values are kept\\): k8s-lab deploy --migrate --namespace ${ns}$`, 'm'));
    expect((await kubectlJson<StatefulSet>(['-n', ns, 'get', 'statefulset', 'helm-python'])).metadata.uid).toBe(before.sts);
  });

  it('deploy --migrate re-creates the StatefulSet under the headless Service; PVCs, counters and values kept; the pods rolled once onto it', async () => {
    // No --image, no --set: the release's own values are kept (the local image, the NodePort).
    const result = await k8sLab(['deploy', '--migrate']);
    expect(result.exitCode, result.stderr.slice(-3000)).toBe(0);
    expect(result.stderr).toContain('migrated: StatefulSet helm-python re-created, governed by helm-python-headless; its pods and PVCs kept');
    expect(result.stdout).toMatch(/^service\/helm-python-headless\s+ClusterIP\s+None\s+<none>\s+8000\/TCP/m);

    const sts = await kubectlJson<StatefulSet>(['-n', ns, 'get', 'statefulset', 'helm-python']);
    expect(String((await kubectl(['-n', ns, 'get', 'sts', 'helm-python', '-o', 'jsonpath={.spec.serviceName}'])).stdout)).toBe('helm-python-headless');
    expect(sts.metadata.uid).not.toBe(before.sts);
    expect(sts.spec.template.spec.containers[0]!.image).toBe(LOCAL_IMAGE);
    const headless = await kubectlJson<{ spec: { clusterIP: string; selector: Record<string, string> } }>(['-n', ns, 'get', 'service', 'helm-python-headless']);
    expect(headless.spec.clusterIP).toBe('None');
    const nodePort = await kubectlJson<{ spec: { type: string; ports: { nodePort: number }[] } }>(['-n', ns, 'get', 'service', 'helm-python']);
    expect([nodePort.spec.type, nodePort.spec.ports[0]!.nodePort]).toEqual(['NodePort', NODE_PORT]);

    expect(await uidsOf(ns, 'persistentvolumeclaims')).toEqual(before.claims);
    expect(await countersOf(ns)).toEqual(before.counters);
    const pods = (await kubectlJson<{ items: Pod[] }>(['-n', ns, 'get', 'pods', '-l', 'app.kubernetes.io/instance=helm-python'])).items;
    expect(pods.map((p) => [p.metadata.name, p.spec.hostname, p.spec.subdomain]).sort()).toEqual(PODS.map((p) => [p, p, 'helm-python-headless']));
    for (const pod of pods) expect(pod.metadata.uid, pod.metadata.name).not.toBe(before.pods[pod.metadata.name]);
    migratedPods = Object.fromEntries(pods.map((p) => [p.metadata.name, p.metadata.uid]));

    // What cluster DNS serves the per-pod names from: the headless Service's endpoints, each with its pod's hostname.
    const hostnames = await eventually(
      'both pods in the headless EndpointSlice',
      async () => {
        const slices = await kubectlJson<{ items: { endpoints?: { hostname?: string; conditions?: { ready?: boolean } }[] }[] }>([
          '-n',
          ns,
          'get',
          'endpointslices',
          '-l',
          'kubernetes.io/service-name=helm-python-headless',
        ]);
        const ready = slices.items.flatMap((s) => s.endpoints ?? []).filter((e) => e.conditions?.ready);
        return ready.length === 2 ? ready.map((e) => e.hostname).sort() : undefined;
      },
      60_000,
    );
    expect(hostnames).toEqual(PODS);

    const status = JSON.parse(String((await helmAs(['status', 'helm-python', '--output', 'json'])).stdout)) as { version: number; info: { status: string } };
    expect([status.version, status.info.status]).toEqual([2, 'deployed']);
  });

  it('the PodDisruptionBudget allows one disruption of two Ready pods', async () => {
    const pdb = await eventually(
      'the budget to count both pods',
      async () => {
        const read = await kubectlJson<{
          spec: { maxUnavailable: number };
          status: { disruptionsAllowed: number; currentHealthy: number; desiredHealthy: number; expectedPods: number };
        }>(['-n', ns, 'get', 'poddisruptionbudget', 'helm-python']);
        return read.status?.expectedPods === 2 && read.status.currentHealthy === 2 ? read : undefined;
      },
      60_000,
    );
    expect(pdb.spec.maxUnavailable).toBe(1);
    expect(pdb.status).toMatchObject({ disruptionsAllowed: 1, currentHealthy: 2, desiredHealthy: 1, expectedPods: 2 });
  });

  it.runIf(major === 4)('the documented RBAC lets the account evict a pod and cordon a node (server dry-runs), but not delete a node', async () => {
    const node = (await kubectlJson<Pod>(['-n', ns, 'get', 'pod', 'helm-python-1'])).spec.nodeName;
    const asAccount = (args: string[], input?: string) => execa(kubectlBin, ['--kubeconfig', kubeconfig!, ...args], { reject: false, timeout: 60_000, input });
    const eviction = JSON.stringify({ apiVersion: 'policy/v1', kind: 'Eviction', metadata: { name: 'helm-python-1', namespace: ns } });
    const evicted = await asAccount(['create', '--raw', `/api/v1/namespaces/${ns}/pods/helm-python-1/eviction?dryRun=All`, '-f', '-'], eviction);
    expect(evicted.exitCode, String(evicted.stderr)).toBe(0);
    const cordoned = await asAccount(['cordon', node, '--dry-run=server']);
    expect(cordoned.exitCode, String(cordoned.stderr)).toBe(0);
    const deleted = await asAccount(['delete', 'node', node, '--dry-run=server']);
    expect(String(deleted.stderr)).toMatch(/forbidden/);
    // Dry runs only: the node is as it was, the pod still there.
    expect((await kubectlJson<{ spec: { unschedulable?: boolean } }>(['get', 'node', node])).spec.unschedulable ?? false).toBe(false);
    expect((await uidsOf(ns, 'pods'))['helm-python-1']).toBe(migratedPods['helm-python-1']);
  });

  it('podDisruptionBudget.enabled=false removes the budget without touching the pods; a plain deploy brings it back', async () => {
    const off = await k8sLab(['deploy', '--image', LOCAL_IMAGE, '--set', `service.nodePort=${NODE_PORT}`, '--set', 'podDisruptionBudget.enabled=false']);
    expect(off.exitCode, off.stderr.slice(-3000)).toBe(0);
    expect((await kubectl(['-n', ns, 'get', 'poddisruptionbudget', 'helm-python'], { reject: false })).exitCode).not.toBe(0);
    expect(await uidsOf(ns, 'pods')).toEqual(migratedPods);
    const on = await k8sLab(['deploy', '--image', LOCAL_IMAGE, '--set', `service.nodePort=${NODE_PORT}`]);
    expect(on.exitCode, on.stderr.slice(-3000)).toBe(0);
    expect(String((await kubectl(['-n', ns, 'get', 'poddisruptionbudget', 'helm-python', '-o', 'jsonpath={.spec.maxUnavailable}'])).stdout)).toBe('1');
    expect(await countersOf(ns)).toEqual(before.counters);
  });

  it('teardown removes both Services, the budget and the StatefulSet', async () => {
    const down = await k8sLab(['teardown', '--delete-data', '--yes']);
    expect(down.exitCode, down.stderr.slice(-3000)).toBe(0);
    expect(String((await kubectl(['-n', ns, 'get', 'statefulsets,services,poddisruptionbudgets,persistentvolumeclaims', '-o', 'name'])).stdout).trim()).toBe(
      '',
    );
  });
});
