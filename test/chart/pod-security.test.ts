// The chart's pods against every control of the `restricted` Pod Security Standard (v1.25 profile,
// which includes all of `baseline`), checked on what the real Helm 3 and Helm 4 render. The local
// cluster (Kubernetes 1.20) has no Pod Security admission to enforce them, so this is where they
// are enforced; the e2e suite (test/e2e/least-privilege.test.ts) labels its namespace for
// `restricted` enforcement and checks admission where the server has it (1.23+).
// https://kubernetes.io/docs/concepts/security/pod-security-standards/
import { describe, expect, it } from 'vitest';
import { HELM_BINARIES } from '../support/tools.js';
import { helmTemplate } from './helm.js';

interface SecurityContext {
  privileged?: boolean;
  allowPrivilegeEscalation?: boolean;
  runAsNonRoot?: boolean;
  runAsUser?: number;
  readOnlyRootFilesystem?: boolean;
  procMount?: string;
  capabilities?: { add?: string[]; drop?: string[] };
  seccompProfile?: { type?: string };
  seLinuxOptions?: { type?: string; user?: string; role?: string };
  windowsOptions?: { hostProcess?: boolean };
  appArmorProfile?: { type?: string };
  sysctls?: { name: string }[];
}

interface Container {
  name: string;
  securityContext?: SecurityContext;
  ports?: { hostPort?: number }[];
}

interface PodSpec {
  hostNetwork?: boolean;
  hostPID?: boolean;
  hostIPC?: boolean;
  securityContext?: SecurityContext;
  containers: Container[];
  initContainers?: Container[];
  ephemeralContainers?: Container[];
  volumes?: Record<string, unknown>[];
}

/** Volume sources the restricted profile allows. */
const ALLOWED_VOLUMES = new Set(['configMap', 'csi', 'downwardAPI', 'emptyDir', 'ephemeral', 'persistentVolumeClaim', 'projected', 'secret']);
/** The baseline profile's safe sysctls (v1.25). */
const SAFE_SYSCTLS = new Set([
  'kernel.shm_rmid_forced',
  'net.ipv4.ip_local_port_range',
  'net.ipv4.ip_unprivileged_port_start',
  'net.ipv4.tcp_syncookies',
  'net.ipv4.ping_group_range',
]);
const SELINUX_TYPES = new Set(['', 'container_t', 'container_init_t', 'container_kvm_t']);

/** Every way a pod breaks the restricted profile (baseline included), as readable lines; [] when none. */
function restrictedViolations(spec: PodSpec, annotations: Record<string, string> = {}): string[] {
  const violations: string[] = [];
  const pod = spec.securityContext ?? {};
  const containers = [...spec.containers, ...(spec.initContainers ?? []), ...(spec.ephemeralContainers ?? [])];
  const both = (c: Container) => [pod, c.securityContext ?? {}];

  // Baseline.
  for (const field of ['hostNetwork', 'hostPID', 'hostIPC'] as const) if (spec[field]) violations.push(`${field}: true`);
  for (const volume of spec.volumes ?? []) {
    const types = Object.keys(volume).filter((k) => k !== 'name');
    if ('hostPath' in volume) violations.push(`volume ${String(volume.name)}: hostPath`);
    for (const type of types.filter((t) => !ALLOWED_VOLUMES.has(t))) violations.push(`volume ${String(volume.name)}: type ${type} is not allowed`);
  }
  for (const sysctl of pod.sysctls ?? []) if (!SAFE_SYSCTLS.has(sysctl.name)) violations.push(`sysctl ${sysctl.name} is not safe`);
  for (const [key, value] of Object.entries(annotations)) {
    if (key.startsWith('container.apparmor.security.beta.kubernetes.io/') && value !== 'runtime/default' && !value.startsWith('localhost/'))
      violations.push(`AppArmor ${key}: ${value}`);
  }
  for (const c of containers) {
    const sc = c.securityContext ?? {};
    if (sc.privileged) violations.push(`${c.name}: privileged`);
    for (const port of c.ports ?? []) if (port.hostPort) violations.push(`${c.name}: hostPort ${port.hostPort}`);
    if (sc.procMount && sc.procMount !== 'Default') violations.push(`${c.name}: procMount ${sc.procMount}`);
    for (const context of both(c)) {
      if (context.windowsOptions?.hostProcess) violations.push(`${c.name}: hostProcess`);
      if (context.seLinuxOptions && (!SELINUX_TYPES.has(context.seLinuxOptions.type ?? '') || context.seLinuxOptions.user || context.seLinuxOptions.role))
        violations.push(`${c.name}: seLinuxOptions`);
      if (context.appArmorProfile && !['RuntimeDefault', 'Localhost'].includes(context.appArmorProfile.type ?? ''))
        violations.push(`${c.name}: appArmorProfile ${context.appArmorProfile.type}`);
    }
  }

  // Restricted.
  for (const c of containers) {
    const sc = c.securityContext ?? {};
    if (sc.allowPrivilegeEscalation !== false) violations.push(`${c.name}: allowPrivilegeEscalation is not false`);
    if (sc.runAsNonRoot === false || (sc.runAsNonRoot !== true && pod.runAsNonRoot !== true)) violations.push(`${c.name}: runAsNonRoot is not true`);
    for (const context of both(c)) if (context.runAsUser === 0) violations.push(`${c.name}: runAsUser 0`);
    const seccomp = sc.seccompProfile?.type ?? pod.seccompProfile?.type;
    if (seccomp !== 'RuntimeDefault' && seccomp !== 'Localhost') violations.push(`${c.name}: seccompProfile ${seccomp ?? 'unset'}`);
    if (!(sc.capabilities?.drop ?? []).includes('ALL')) violations.push(`${c.name}: capabilities.drop lacks ALL`);
    for (const added of sc.capabilities?.add ?? []) if (added !== 'NET_BIND_SERVICE') violations.push(`${c.name}: adds capability ${added}`);
  }
  return violations;
}

describe('the restricted checker itself', () => {
  it('finds every kind of violation in a pod that breaks them all', () => {
    const bad: PodSpec = {
      hostNetwork: true,
      hostPID: true,
      hostIPC: true,
      securityContext: { runAsUser: 0, sysctls: [{ name: 'kernel.msgmax' }], seccompProfile: { type: 'Unconfined' } },
      volumes: [
        { name: 'host', hostPath: { path: '/' } },
        { name: 'nfs', nfs: { server: 'x', path: '/' } },
      ],
      containers: [
        {
          name: 'app',
          ports: [{ hostPort: 80 }],
          securityContext: {
            privileged: true,
            procMount: 'Unmasked',
            capabilities: { add: ['SYS_ADMIN'] },
            seLinuxOptions: { user: 'root' },
            windowsOptions: { hostProcess: true },
          },
        },
      ],
    };
    const found = restrictedViolations(bad, { 'container.apparmor.security.beta.kubernetes.io/app': 'unconfined' }).join('\n');
    for (const expected of [
      'hostNetwork',
      'hostPID',
      'hostIPC',
      'hostPath',
      'type nfs',
      'sysctl kernel.msgmax',
      'AppArmor',
      'privileged',
      'hostPort 80',
      'procMount',
      'hostProcess',
      'seLinuxOptions',
      'allowPrivilegeEscalation',
      'runAsNonRoot',
      'runAsUser 0',
      'seccompProfile Unconfined',
      'capabilities.drop lacks ALL',
      'adds capability SYS_ADMIN',
    ]) {
      expect(found).toContain(expected);
    }
  });

  it('accepts a minimal restricted pod, NET_BIND_SERVICE added', () => {
    const good: PodSpec = {
      securityContext: { runAsNonRoot: true, seccompProfile: { type: 'Localhost' } },
      volumes: [{ name: 'data', persistentVolumeClaim: { claimName: 'x' } }],
      containers: [{ name: 'app', securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'], add: ['NET_BIND_SERVICE'] } } }],
    };
    expect(restrictedViolations(good)).toEqual([]);
  });
});

describe.each(HELM_BINARIES)('the chart under the restricted Pod Security Standard, rendered by Helm $major', (helm) => {
  it.each([
    ['default values', []],
    [
      'the local-cluster image, 3 replicas, OnDelete',
      [
        '--set',
        'image.repository=localhost/k8s-lab/python',
        '--set',
        'image.tag=3-bookworm',
        '--set',
        'replicaCount=3',
        '--set',
        'updateStrategy.type=OnDelete',
      ],
    ],
  ])('the StatefulSet and the helm-test pod break no control (%s)', async (_, args) => {
    const rendered = await helmTemplate(helm, args);
    const template = rendered.statefulSet.spec.template;
    expect(restrictedViolations(template.spec as PodSpec, template.metadata.annotations)).toEqual([]);
    expect(restrictedViolations(rendered.testPod.spec as PodSpec, rendered.testPod.metadata.annotations)).toEqual([]);
  });

  it('checks every object that makes pods: the StatefulSet and the test pod (the Services and the PodDisruptionBudget make none)', async () => {
    const rendered = await helmTemplate(helm);
    expect(rendered.manifests.map((m) => m.kind).sort()).toEqual(['ConfigMap', 'Pod', 'PodDisruptionBudget', 'Service', 'Service', 'StatefulSet']);
  });

  it('runs every container with a read-only root filesystem (asked for beyond the profile)', async () => {
    const rendered = await helmTemplate(helm);
    const containers = [...rendered.statefulSet.spec.template.spec.containers, ...rendered.testPod.spec.containers];
    expect(containers.length).toBeGreaterThanOrEqual(2);
    for (const container of containers) expect(container.securityContext?.readOnlyRootFilesystem, container.name).toBe(true);
  });

  it('stores its data only on the PersistentVolumeClaim, an allowed volume type', async () => {
    const { statefulSet } = await helmTemplate(helm);
    expect(statefulSet.spec.volumeClaimTemplates.map((t) => t.metadata.name)).toEqual(['counter-data-py']);
    expect(statefulSet.spec.template.spec.volumes?.every((v) => Object.keys(v).every((k) => k === 'name' || ALLOWED_VOLUMES.has(k)))).toBe(true);
  });
});
