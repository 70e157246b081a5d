// The bundled chart, rendered by the real Helm 3 and Helm 4 binaries.
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { CHART_DIR, HELM_BINARIES } from '../support/tools.js';
import { governingServiceName } from '../../src/adapters/kube-objects.js';
import { envOf, helmTemplate, runHelm, type Labels, type PodSpec, type Rendered } from './helm.js';

const SERVER_PY = readFileSync(`${CHART_DIR}/files/server.py`, 'utf8');
const LOCAL_CLUSTER_IMAGE = ['--set', 'image.repository=localhost/k8s-lab/python', '--set', 'image.tag=3-bookworm'];
const SELECTOR_LABELS: Labels = { 'app.kubernetes.io/name': 'k8s-lab-counter', 'app.kubernetes.io/instance': 'helm-python' };

function expectRestricted(spec: PodSpec): void {
  expect(spec.securityContext).toMatchObject({
    runAsNonRoot: true,
    runAsUser: 65534,
    runAsGroup: 65534,
    fsGroup: 65534,
    seccompProfile: { type: 'RuntimeDefault' },
  });
  for (const container of spec.containers) {
    expect(container.securityContext, container.name).toMatchObject({
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
      runAsNonRoot: true,
      capabilities: { drop: ['ALL'] },
    });
    expect(container.securityContext?.privileged ?? false).toBe(false);
    expect(container.securityContext?.capabilities?.add ?? []).toEqual([]);
  }
}

describe.each(HELM_BINARIES)('chart with helm $major', (helm) => {
  it('passes helm lint --strict, with the defaults and with the local-cluster image', async () => {
    for (const extra of [[], LOCAL_CLUSTER_IMAGE]) {
      const result = await runHelm(helm, ['lint', '--strict', CHART_DIR, ...extra]);
      expect(result.exitCode, result.stdout + result.stderr).toBe(0);
      expect(result.stdout).toContain('0 chart(s) failed');
      expect(result.stdout).not.toMatch(/\[(WARNING|ERROR)\]/);
    }
  });

  it('renders persistentVolumeClaimRetentionPolicy when one of its fields is set, the other Retain', async () => {
    const scaled = await helmTemplate(helm, ['--set', 'persistentVolumeClaimRetentionPolicy.whenScaled=Delete']);
    expect(scaled.statefulSet.spec.persistentVolumeClaimRetentionPolicy).toEqual({ whenDeleted: 'Retain', whenScaled: 'Delete' });
    const deleted = await helmTemplate(helm, ['--set', 'persistentVolumeClaimRetentionPolicy.whenDeleted=Delete', '--set', 'shareProcessNamespace=false']);
    expect(deleted.statefulSet.spec.persistentVolumeClaimRetentionPolicy).toEqual({ whenDeleted: 'Delete', whenScaled: 'Retain' });
    expect(deleted.statefulSet.spec.template.spec).not.toHaveProperty('shareProcessNamespace');
  });

  describe('default values', () => {
    let r: Rendered;
    beforeAll(async () => {
      r = await helmTemplate(helm);
    });

    it('renders a StatefulSet, its NodePort and headless Services, a PodDisruptionBudget, the app ConfigMap and a test hook, named after the release', () => {
      const names = r.manifests.map((m) => `${m.kind}/${m.metadata.name}`).sort();
      expect(names).toEqual([
        'ConfigMap/helm-python-app',
        'Pod/helm-python-test-connection',
        'PodDisruptionBudget/helm-python',
        'Service/helm-python',
        'Service/helm-python-headless',
        'StatefulSet/helm-python',
      ]);
      expect(r.statefulSet.apiVersion).toBe('apps/v1');
      expect(r.service.apiVersion).toBe('v1');
      expect(r.headless.apiVersion).toBe('v1');
      expect(r.configMap.apiVersion).toBe('v1');
      expect(r.pdb?.apiVersion).toBe('policy/v1');
    });

    it('runs 2 replicas in parallel with a RollingUpdate at partition 0, governed by the headless Service', () => {
      const spec = r.statefulSet.spec;
      expect(spec.replicas).toBe(2);
      expect(spec.podManagementPolicy).toBe('Parallel');
      expect(spec.updateStrategy).toEqual({ type: 'RollingUpdate', rollingUpdate: { partition: 0 } });
      expect(spec.serviceName).toBe('helm-python-headless');
      expect(spec.serviceName).toBe(r.headless.metadata.name);
    });

    it("sets no PVC retention policy (the server keeps every PVC) and shares the pod's process namespace (the app is not PID 1)", () => {
      expect(r.statefulSet.spec).not.toHaveProperty('persistentVolumeClaimRetentionPolicy');
      expect((r.statefulSet.spec.template.spec as { shareProcessNamespace?: boolean }).shareProcessNamespace).toBe(true);
    });

    it('exposes port 8000 on NodePort 31987 with an explicit TCP protocol', () => {
      expect(r.service.spec.type).toBe('NodePort');
      expect(r.service.spec.ports).toEqual([{ name: 'http', port: 8000, targetPort: 'http', protocol: 'TCP', nodePort: 31987 }]);
      expect(r.service.spec.selector).toEqual(SELECTOR_LABELS);
      expect(r.app.ports).toEqual([{ name: 'http', containerPort: 8000, protocol: 'TCP' }]);
    });

    it('claims one 10Mi ReadWriteOnce volume counter-data-py per pod on the default StorageClass, mounted at /data', () => {
      const claims = r.statefulSet.spec.volumeClaimTemplates;
      expect(claims).toHaveLength(1);
      const claim = claims[0]!;
      expect(claim.metadata.name).toBe('counter-data-py');
      expect(claim.spec.accessModes).toEqual(['ReadWriteOnce']);
      expect(claim.spec.resources.requests.storage).toBe('10Mi');
      expect(claim.spec).not.toHaveProperty('storageClassName');
      expect(r.app.volumeMounts).toContainEqual({ name: 'counter-data-py', mountPath: '/data' });
    });

    it('keeps the immutable selector and claim template to the selector labels only', () => {
      const selector = r.statefulSet.spec.selector.matchLabels;
      expect(selector).toEqual(SELECTOR_LABELS);
      expect(r.statefulSet.spec.volumeClaimTemplates[0]!.metadata.labels).toEqual(SELECTOR_LABELS);
      const podLabels = r.statefulSet.spec.template.metadata.labels ?? {};
      expect(podLabels).toMatchObject(selector);
      expect(podLabels).toEqual({ ...SELECTOR_LABELS, 'app.kubernetes.io/version': 'v1' });
      for (const labels of [selector, r.statefulSet.spec.volumeClaimTemplates[0]!.metadata.labels ?? {}]) {
        expect(Object.keys(labels)).not.toContain('helm.sh/chart');
        expect(Object.keys(labels)).not.toContain('app.kubernetes.io/version');
      }
    });

    it('puts the common app.kubernetes.io labels on every object', () => {
      for (const m of [r.statefulSet, r.service, r.headless, r.pdb!, r.configMap]) {
        expect(m.metadata.labels, m.kind).toEqual({
          ...SELECTOR_LABELS,
          'helm.sh/chart': 'k8s-lab-counter-0.1.0',
          'app.kubernetes.io/version': 'v1',
          'app.kubernetes.io/managed-by': 'Helm',
          'app.kubernetes.io/part-of': 'k8s-lab',
        });
      }
    });

    it('runs server.py from the ConfigMap with the documented environment', () => {
      expect(r.app.name).toBe('app');
      expect(r.app.image).toBe('docker.io/library/python:3.12-slim');
      expect(r.app.imagePullPolicy).toBe('IfNotPresent');
      expect(r.app.command).toEqual(['python3', '/app/server.py']);
      expect(r.app.volumeMounts).toContainEqual({ name: 'app', mountPath: '/app', readOnly: true });
      expect(r.statefulSet.spec.template.spec.volumes).toContainEqual({ name: 'app', configMap: { name: 'helm-python-app' } });
      expect(envOf(r.app)).toEqual({
        POD_NAME: 'fieldRef:metadata.name',
        APP_VERSION: 'v1',
        APP_BROKEN: 'false',
        DATA_DIR: '/data',
        PORT: '8000',
        PYTHONDONTWRITEBYTECODE: '1',
        PYTHONUNBUFFERED: '1',
      });
    });

    it('is tuned for rolling updates without dropped requests: fast readiness, a preStop hook, grace period', () => {
      expect(r.app.readinessProbe).toMatchObject({ httpGet: { path: '/healthz', port: 'http' }, periodSeconds: 1, failureThreshold: 2 });
      // Which form depends on the Kubernetes version Helm assumes offline (see 'the preStop drain' below).
      expect(Object.keys(r.app.lifecycle?.preStop ?? {})).toHaveLength(1);
      expect(r.statefulSet.spec.template.spec.terminationGracePeriodSeconds).toBe(30);
      expect(r.app.resources).toEqual({ requests: { cpu: '10m', memory: '32Mi' }, limits: { memory: '128Mi' } });
    });

    it('satisfies the restricted Pod Security Standard, in the app pods and in the test pod', () => {
      expectRestricted(r.statefulSet.spec.template.spec);
      expectRestricted(r.testPod.spec);
      expect(r.statefulSet.spec.template.spec.automountServiceAccountToken).toBe(false);
    });

    it('ships server.py byte for byte in the ConfigMap, and its sha256 in the pod template', () => {
      expect(Object.keys(r.configMap.data)).toEqual(['server.py']);
      expect(r.configMap.data['server.py']).toBe(SERVER_PY);
      const sha256 = createHash('sha256').update(SERVER_PY).digest('hex');
      expect(r.statefulSet.spec.template.metadata.annotations?.['checksum/app']).toBe(sha256);
    });

    it('has a helm test hook that GETs /healthz through the Service env vars, without DNS', () => {
      const pod = r.testPod;
      expect(pod.metadata.annotations).toMatchObject({
        'helm.sh/hook': 'test',
        'helm.sh/hook-delete-policy': 'before-hook-creation,hook-succeeded',
      });
      expect(pod.spec.restartPolicy).toBe('Never');
      const container = pod.spec.containers[0]!;
      expect(container.image).toBe(r.app.image);
      const script = [...(container.command ?? []), ...(container.args ?? [])].join('\n');
      expect(script).toContain('HELM_PYTHON_SERVICE_HOST');
      expect(script).toContain('HELM_PYTHON_SERVICE_PORT');
      expect(script).toContain('/healthz');
      expect(script).toContain('urllib');
      // The Service must not select the test pod.
      const labels = pod.metadata.labels ?? {};
      const selected = Object.entries(r.service.spec.selector).every(([k, v]) => labels[k] === v);
      expect(selected).toBe(false);
    });
  });

  describe('overrides', () => {
    it('--set replicaCount=3', async () => {
      const r = await helmTemplate(helm, ['--set', 'replicaCount=3']);
      expect(r.statefulSet.spec.replicas).toBe(3);
    });

    it('--set service.nodePort=null (or 0) leaves the NodePort to the cluster', async () => {
      for (const value of ['null', '0']) {
        const r = await helmTemplate(helm, ['--set', `service.nodePort=${value}`]);
        expect(r.service.spec.type).toBe('NodePort');
        expect(r.service.spec.ports[0]).not.toHaveProperty('nodePort');
        expect(r.service.spec.ports[0]).toMatchObject({ port: 8000, protocol: 'TCP' });
      }
    });

    it('--set service.nodePort=30080 and --set service.type=ClusterIP', async () => {
      expect((await helmTemplate(helm, ['--set', 'service.nodePort=30080'])).service.spec.ports[0]?.nodePort).toBe(30080);
      const clusterIp = await helmTemplate(helm, ['--set', 'service.type=ClusterIP']);
      expect(clusterIp.service.spec.type).toBe('ClusterIP');
      expect(clusterIp.service.spec.ports[0]).not.toHaveProperty('nodePort');
    });

    it('--set updateStrategy.type=OnDelete renders no rollingUpdate; partition is passed through', async () => {
      const onDelete = await helmTemplate(helm, ['--set', 'updateStrategy.type=OnDelete']);
      expect(onDelete.statefulSet.spec.updateStrategy).toEqual({ type: 'OnDelete' });
      const partitioned = await helmTemplate(helm, ['--set', 'updateStrategy.partition=2']);
      expect(partitioned.statefulSet.spec.updateStrategy).toEqual({ type: 'RollingUpdate', rollingUpdate: { partition: 2 } });
    });

    it('--set app.version=v2 changes the env and the pod label, never the selector or the claim template', async () => {
      const v1 = await helmTemplate(helm);
      const v2 = await helmTemplate(helm, ['--set', 'app.version=v2']);
      expect(envOf(v2.app).APP_VERSION).toBe('v2');
      expect(v2.statefulSet.spec.template.metadata.labels?.['app.kubernetes.io/version']).toBe('v2');
      expect(v2.statefulSet.spec.selector).toEqual(v1.statefulSet.spec.selector);
      expect(v2.statefulSet.spec.volumeClaimTemplates).toEqual(v1.statefulSet.spec.volumeClaimTemplates);
    });

    it('--set app.broken=true sets APP_BROKEN', async () => {
      const r = await helmTemplate(helm, ['--set', 'app.broken=true']);
      expect(envOf(r.app).APP_BROKEN).toBe('true');
    });

    it('--set persistence.storageClass=standard --set persistence.size=1Gi', async () => {
      const r = await helmTemplate(helm, ['--set', 'persistence.storageClass=standard', '--set', 'persistence.size=1Gi']);
      expect(r.statefulSet.spec.volumeClaimTemplates[0]!.spec).toMatchObject({
        storageClassName: 'standard',
        resources: { requests: { storage: '1Gi' } },
      });
    });

    it('accepts the local cluster image', async () => {
      const r = await helmTemplate(helm, LOCAL_CLUSTER_IMAGE);
      expect(r.app.image).toBe('localhost/k8s-lab/python:3-bookworm');
      expect(r.testPod.spec.containers[0]!.image).toBe('localhost/k8s-lab/python:3-bookworm');
    });

    it('--set preStopSleepSeconds=0 drops the preStop hook, on old and new servers', async () => {
      for (const version of ['1.33.0', '1.37.0']) {
        const r = await helmTemplate(helm, ['--kube-version', version, '--set', 'preStopSleepSeconds=0']);
        expect(r.app.lifecycle, version).toBeUndefined();
      }
    });

    it('fullnameOverride renames every object and the service env vars of the test hook', async () => {
      const r = await helmTemplate(helm, ['--set', 'fullnameOverride=my-counter']);
      const names = r.manifests.map((m) => `${m.kind}/${m.metadata.name}`).sort();
      expect(names).toEqual([
        'ConfigMap/my-counter-app',
        'Pod/my-counter-test-connection',
        'PodDisruptionBudget/my-counter',
        'Service/my-counter',
        'Service/my-counter-headless',
        'StatefulSet/my-counter',
      ]);
      expect(r.statefulSet.spec.serviceName).toBe('my-counter-headless');
      expect(r.testPod.spec.containers[0]!.command?.join('\n')).toContain('MY_COUNTER_SERVICE_HOST');
      expect(r.statefulSet.spec.selector.matchLabels['app.kubernetes.io/instance']).toBe('helm-python');
    });
  });

  describe('the headless Service that governs the StatefulSet', () => {
    let r: Rendered;
    beforeAll(async () => {
      r = await helmTemplate(helm);
    });

    it('has no cluster IP and selects exactly the pods the NodePort Service selects, on their port 8000', () => {
      expect(r.headless.metadata.name).toBe('helm-python-headless');
      expect(r.headless.spec.clusterIP).toBe('None');
      expect(r.headless.spec.type ?? 'ClusterIP').toBe('ClusterIP');
      expect(r.headless.spec.selector).toEqual(SELECTOR_LABELS);
      expect(r.headless.spec.selector).toEqual(r.service.spec.selector);
      expect(r.headless.spec.ports).toEqual([{ name: 'http', port: 8000, targetPort: 'http', protocol: 'TCP' }]);
      expect(r.app.ports?.[0]?.containerPort).toBe(8000);
    });

    it('leaves the NodePort Service as in the write-up: helm-python, NodePort 8000:31987', () => {
      expect(r.service.metadata.name).toBe('helm-python');
      expect(r.service.spec.type).toBe('NodePort');
      expect(r.service.spec.ports[0]).toMatchObject({ port: 8000, nodePort: 31987 });
      expect(r.service.spec.clusterIP).toBeUndefined();
    });

    it('names itself in the pod template, so pods created under another governing Service roll once', () => {
      expect(r.statefulSet.spec.template.metadata.annotations?.['k8s-lab/governing-service']).toBe('helm-python-headless');
    });

    it('does not select the helm-test pod', () => {
      const labels = r.testPod.metadata.labels ?? {};
      expect(Object.entries(r.headless.spec.selector).every(([k, v]) => labels[k] === v)).toBe(false);
    });

    it('is named as k8s-lab expects (governingServiceName), within 63 characters, for short and 53-character release names', async () => {
      for (const release of ['helm-python', 'a', `r${'x'.repeat(52)}`]) {
        const rendered = await helmTemplate(helm, [], release);
        expect(rendered.statefulSet.spec.serviceName, release).toBe(governingServiceName(release));
        expect(rendered.headless.metadata.name).toBe(rendered.statefulSet.spec.serviceName);
        expect(rendered.headless.metadata.name.length).toBeLessThanOrEqual(63);
      }
      // A 63-character fullnameOverride is cut to fit, as governingServiceName cuts it.
      const long = `f${'y'.repeat(62)}`;
      const overridden = await helmTemplate(helm, ['--set', `fullnameOverride=${long}`]);
      expect(overridden.statefulSet.spec.serviceName).toBe(governingServiceName(long));
      expect(overridden.headless.metadata.name).toBe(`f${'y'.repeat(53)}-headless`);
    });

    it("demo-scale's temporary release <release>-ordered gets objects of its own: no name shared, no pod of the other selected", async () => {
      const own = await helmTemplate(helm);
      const temporary = await helmTemplate(
        helm,
        ['--set-string', 'fullnameOverride=', '--set-string', 'podManagementPolicy=OrderedReady'],
        'helm-python-ordered',
      );
      const names = (x: Rendered) => x.manifests.map((m) => `${m.kind}/${m.metadata.name}`);
      expect(names(temporary)).toEqual(
        expect.arrayContaining(['Service/helm-python-ordered', 'Service/helm-python-ordered-headless', 'PodDisruptionBudget/helm-python-ordered']),
      );
      expect(names(temporary).filter((n) => names(own).includes(n))).toEqual([]);
      const podLabels = own.statefulSet.spec.template.metadata.labels ?? {};
      for (const selector of [temporary.headless.spec.selector, temporary.pdb!.spec.selector.matchLabels]) {
        expect(Object.entries(selector).every(([k, v]) => podLabels[k] === v)).toBe(false);
      }
    });
  });

  describe('the PodDisruptionBudget', () => {
    it('by default: policy/v1, maxUnavailable 1 over exactly the StatefulSet pods, unhealthy pods always evictable', async () => {
      const r = await helmTemplate(helm, ['--kube-version', '1.35.0']);
      expect(r.pdb).toEqual({
        apiVersion: 'policy/v1',
        kind: 'PodDisruptionBudget',
        metadata: expect.objectContaining({ name: 'helm-python' }),
        spec: { maxUnavailable: 1, selector: { matchLabels: SELECTOR_LABELS }, unhealthyPodEvictionPolicy: 'AlwaysAllow' },
      });
      const podLabels = r.statefulSet.spec.template.metadata.labels ?? {};
      expect(Object.entries(r.pdb!.spec.selector.matchLabels).every(([k, v]) => podLabels[k] === v)).toBe(true);
      const testLabels = r.testPod.metadata.labels ?? {};
      expect(Object.entries(r.pdb!.spec.selector.matchLabels).every(([k, v]) => testLabels[k] === v)).toBe(false);
    });

    it('--set podDisruptionBudget.enabled=false renders none', async () => {
      const r = await helmTemplate(helm, ['--set', 'podDisruptionBudget.enabled=false']);
      expect(r.pdb).toBeUndefined();
      expect(r.manifests.map((m) => m.kind)).not.toContain('PodDisruptionBudget');
    });

    it('maxUnavailable 2 (an integer), "50%" (a string), and 3 from a values file (an integer)', async () => {
      expect((await helmTemplate(helm, ['--set', 'podDisruptionBudget.maxUnavailable=2'])).pdb?.spec.maxUnavailable).toBe(2);
      expect((await helmTemplate(helm, ['--set', 'podDisruptionBudget.maxUnavailable=50%'])).pdb?.spec.maxUnavailable).toBe('50%');
      const dir = mkdtempSync(join(tmpdir(), 'k8s-lab-chart-'));
      const file = join(dir, 'values.yaml');
      writeFileSync(file, 'podDisruptionBudget:\n  maxUnavailable: 3\n');
      try {
        expect((await helmTemplate(helm, ['-f', file])).pdb?.spec.maxUnavailable).toBe(3);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });

    it('unhealthyPodEvictionPolicy: left out before Kubernetes 1.27 and when set to "", IfHealthyBudget when asked', async () => {
      expect((await helmTemplate(helm, ['--kube-version', '1.26.0'])).pdb?.spec).not.toHaveProperty('unhealthyPodEvictionPolicy');
      expect((await helmTemplate(helm, ['--kube-version', '1.27.0'])).pdb?.spec.unhealthyPodEvictionPolicy).toBe('AlwaysAllow');
      const unset = await helmTemplate(helm, ['--kube-version', '1.35.0', '--set-string', 'podDisruptionBudget.unhealthyPodEvictionPolicy=']);
      expect(unset.pdb?.spec).not.toHaveProperty('unhealthyPodEvictionPolicy');
      const ifHealthy = await helmTemplate(helm, ['--kube-version', '1.35.0', '--set', 'podDisruptionBudget.unhealthyPodEvictionPolicy=IfHealthyBudget']);
      expect(ifHealthy.pdb?.spec.unhealthyPodEvictionPolicy).toBe('IfHealthyBudget');
    });
  });

  describe('the preStop drain follows the server version', () => {
    it('Kubernetes 1.33: an exec of python3 that sleeps (no sleep action before 1.34)', async () => {
      const r = await helmTemplate(helm, ['--kube-version', '1.33.0']);
      expect(r.app.lifecycle).toEqual({ preStop: { exec: { command: ['python3', '-c', 'import time; time.sleep(5)'] } } });
    });

    it('Kubernetes 1.37 (and 1.34, where it went GA): the native sleep action, no process in the container', async () => {
      for (const version of ['1.34.0', '1.37.0']) {
        const r = await helmTemplate(helm, ['--kube-version', version]);
        expect(r.app.lifecycle, version).toEqual({ preStop: { sleep: { seconds: 5 } } });
      }
    });

    it('a pre-release or vendor 1.34 counts as 1.34 (semver "-0"): 1.34.0-rc.1 gets the sleep action', async () => {
      const r = await helmTemplate(helm, ['--kube-version', '1.34.0-rc.1']);
      expect(r.app.lifecycle).toEqual({ preStop: { sleep: { seconds: 5 } } });
    });

    it('--set preStopSleepSeconds=8 sets the seconds of either form', async () => {
      const old = await helmTemplate(helm, ['--kube-version', '1.33.0', '--set', 'preStopSleepSeconds=8']);
      expect(old.app.lifecycle?.preStop?.exec?.command).toEqual(['python3', '-c', 'import time; time.sleep(8)']);
      const current = await helmTemplate(helm, ['--kube-version', '1.37.0', '--set', 'preStopSleepSeconds=8']);
      expect(current.app.lifecycle?.preStop).toEqual({ sleep: { seconds: 8 } });
    });
  });

  describe('updateStrategy on Kubernetes 1.37', () => {
    const on137 = (...args: string[]) => helmTemplate(helm, ['--kube-version', '1.37.0', ...args]);

    it('no maxUnavailable by default: the field is absent, the server default (1) applies', async () => {
      const r = await on137();
      expect(r.statefulSet.spec.updateStrategy).toEqual({ type: 'RollingUpdate', rollingUpdate: { partition: 0 } });
    });

    it('--set updateStrategy.maxUnavailable=2 renders an integer under rollingUpdate, next to the partition', async () => {
      const r = await on137('--set', 'updateStrategy.maxUnavailable=2', '--set', 'updateStrategy.partition=1');
      expect(r.statefulSet.spec.updateStrategy).toEqual({ type: 'RollingUpdate', rollingUpdate: { partition: 1, maxUnavailable: 2 } });
    });

    it('--set updateStrategy.maxUnavailable=50% renders the percentage as a string', async () => {
      const r = await on137('--set', 'updateStrategy.maxUnavailable=50%');
      expect(r.statefulSet.spec.updateStrategy.rollingUpdate?.maxUnavailable).toBe('50%');
    });

    it('maxUnavailable from a values file (a YAML number) renders as an integer', async () => {
      const dir = mkdtempSync(join(tmpdir(), 'k8s-lab-chart-'));
      const file = join(dir, 'values.yaml');
      writeFileSync(file, 'updateStrategy:\n  maxUnavailable: 3\n');
      try {
        const r = await on137('-f', file);
        expect(r.statefulSet.spec.updateStrategy.rollingUpdate?.maxUnavailable).toBe(3);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });

    it('Recreate renders no rollingUpdate block, even with a partition and maxUnavailable set', async () => {
      const r = await on137('--set', 'updateStrategy.type=Recreate', '--set', 'updateStrategy.partition=1', '--set', 'updateStrategy.maxUnavailable=2');
      expect(r.statefulSet.spec.updateStrategy).toEqual({ type: 'Recreate' });
    });

    it('OnDelete renders no rollingUpdate block, even with maxUnavailable set', async () => {
      const r = await on137('--set', 'updateStrategy.type=OnDelete', '--set', 'updateStrategy.maxUnavailable=2');
      expect(r.statefulSet.spec.updateStrategy).toEqual({ type: 'OnDelete' });
    });

    it('--set updateStrategy.maxUnavailable=null, or --set-string it to "" (how the demo restores it), leaves the field out', async () => {
      for (const unset of [
        ['--set', 'updateStrategy.maxUnavailable=null'],
        ['--set-string', 'updateStrategy.maxUnavailable='],
      ]) {
        const r = await on137('--set', 'updateStrategy.maxUnavailable=2', ...unset);
        expect(r.statefulSet.spec.updateStrategy, unset.join(' ')).toEqual({ type: 'RollingUpdate', rollingUpdate: { partition: 0 } });
      }
    });
  });

  // Helm 3 needs a reachable cluster even for `install --dry-run=client`; Helm 4 renders NOTES offline.
  it.runIf(helm.major === 4)('NOTES.txt says how to reach the service and read the counters', async () => {
    const result = await runHelm(helm, ['install', 'helm-python', CHART_DIR, '--dry-run=client', '--namespace', 'lab'], {
      KUBECONFIG: '/nonexistent/k8s-lab-test-kubeconfig',
    });
    expect(result.exitCode, result.stderr).toBe(0);
    const notes = result.stdout.slice(result.stdout.indexOf('NOTES:'));
    expect(notes).toContain('127.0.0.1');
    expect(notes).toContain('nodePort');
    expect(notes).toContain('kubectl --namespace lab exec helm-python-0 -- cat /data/counter.json');
    expect(notes).toContain('npx k8s-lab counters');
    expect(notes).toContain('helm-python-0.helm-python-headless.lab.svc.cluster.local:8000');
  });
});
