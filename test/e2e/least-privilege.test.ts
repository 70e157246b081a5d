// The whole lab run by an account that has only the Role k8s-lab documents (rbac/k8s-lab-user.yaml,
// docs/least-privilege.md), in one namespace that an admin made and labelled for the
// `restricted` Pod Security Standard. The Role is read from that file, so what is documented is what is tested.
// Also: no credential ever reaches the output, the report or the run records. Namespaces here are
// k8s-lab-e2e-rbac*; `lab` has no --set, so it takes NodePort 31987 and waits until it is free.
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
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
  repoRoot,
  requireCluster,
  serviceAccountKubeconfig,
  type CliRun,
} from './cluster.js';

const NS = 'k8s-lab-e2e-rbac';
const NS_HELM3 = 'k8s-lab-e2e-rbac-h3';
/** Never created, and the account has no rights there. */
const ELSEWHERE = 'k8s-lab-e2e-rbac-elsewhere';
const ACCOUNT = 'k8s-lab-user';
const LAB_NODE_PORT = 31987;
const helm4 = HELM_BINARIES.find((h) => h.major === 4)!.path;
const helm3 = HELM_BINARIES.find((h) => h.major === 3)!.path;

const work = mkdtempSync(join(tmpdir(), 'k8s-lab-rbac-'));
const output = join(work, 'report', 'README.md');
const recordDir = join(work, 'runs');

interface K8sObject {
  kind: string;
  metadata: { name: string; namespace?: string };
  subjects?: { kind: string; name: string; namespace?: string }[];
}

/** The namespace RBAC users apply (rbac/k8s-lab-user.yaml, shown in docs/least-privilege.md), as objects. */
function documentedRbac(): K8sObject[] {
  return parseAllDocuments(readFileSync(join(repoRoot, 'rbac', 'k8s-lab-user.yaml'), 'utf8')).map((doc) => doc.toJS() as K8sObject);
}

/** The documented objects moved into `namespace`: nothing else is changed. */
function rbacFor(namespace: string): string {
  return documentedRbac()
    .map((object) => {
      object.metadata.namespace = namespace;
      for (const subject of object.subjects ?? []) if (subject.kind === 'ServiceAccount') subject.namespace = namespace;
      return stringify(object);
    })
    .join('---\n');
}

/** As an admin: a namespace labelled for restricted enforcement, the README's RBAC in it, and a kubeconfig with the account's token. */
async function restrictedNamespace(namespace: string): Promise<{ kubeconfig: string; token: string }> {
  await deleteNamespace(namespace);
  await kubectl(['create', 'namespace', namespace]);
  await kubectl(['label', 'namespace', namespace, 'pod-security.kubernetes.io/enforce=restricted', 'pod-security.kubernetes.io/enforce-version=latest']);
  await execa(kubectlBin, ['apply', '-f', '-'], { input: rbacFor(namespace), timeout: 60_000 });
  const kubeconfig = join(work, `${namespace}.kubeconfig`);
  const token = await serviceAccountKubeconfig(namespace, ACCOUNT, kubeconfig, { create: false });
  return { kubeconfig, token };
}

/** Waits until no Service in the cluster holds `port` (another suite's lab may have it). */
async function nodePortFree(port: number): Promise<void> {
  await eventually(
    `NodePort ${port} to be free`,
    async () => {
      const services = await kubectlJson<{ items: { spec: { ports?: { nodePort?: number }[] } }[] }>(['get', 'services', '--all-namespaces']);
      return services.items.some((s) => s.spec.ports?.some((p) => p.nodePort === port)) ? undefined : true;
    },
    15 * 60_000,
  );
}

/** Secret strings that must never be printed or written. */
function expectNoSecret(where: string, text: string, secrets: string[]): void {
  for (const secret of secrets) {
    // The whole value, and a long piece of it (a token cut in two would still leak).
    expect(text.includes(secret), `${where} contains a credential`).toBe(false);
    expect(text.includes(secret.slice(-40)), `${where} contains part of a credential`).toBe(false);
  }
}

const outputOf = (run: CliRun) => `${run.stdout}\n${run.stderr}`;

beforeAll(() => {
  requireCluster();
});

afterAll(async () => {
  await Promise.all([NS, NS_HELM3].map(deleteNamespace));
});

describe('the documented Role', () => {
  it('is namespaced only: a ServiceAccount, one Role and its RoleBinding, no cluster-wide rule', () => {
    const objects = documentedRbac();
    expect(objects.map((o) => o.kind)).toEqual(['ServiceAccount', 'Role', 'RoleBinding']);
    const role = objects[1] as K8sObject & { rules: { resources: string[] }[] };
    const resources = role.rules.flatMap((r) => r.resources);
    for (const clusterScoped of ['nodes', 'namespaces', 'storageclasses', 'persistentvolumes', '*']) expect(resources).not.toContain(clusterScoped);
  });
});

describe('k8s-lab lab with Helm 4 and only the documented Role', () => {
  let kubeconfig: string;
  let token: string;
  let lab: CliRun;

  beforeAll(async () => {
    ({ kubeconfig, token } = await restrictedNamespace(NS));
    const run = () =>
      cli(['lab', '--kubeconfig', kubeconfig, '--namespace', NS, '--image', LOCAL_IMAGE, '--output', output, '--record-dir', recordDir], {
        helm: helm4,
        timeoutMs: 1_200_000,
      });
    for (let attempt = 1; ; attempt += 1) {
      await nodePortFree(LAB_NODE_PORT);
      lab = await run();
      // Another suite's lab took the port between the check and the install: wait for it again.
      if (attempt < 3 && /port is already allocated/.test(lab.stderr)) {
        await cli(['teardown', '--kubeconfig', kubeconfig, '--namespace', NS, '--delete-data', '--yes'], { helm: helm4 });
        continue;
      }
      break;
    }
  });

  it('runs every step, doctor skipping what a namespace-bound account may not read', () => {
    expect(lab.exitCode, lab.stderr.slice(-3000)).toBe(0);
    for (const step of [
      'doctor',
      'deploy',
      'traffic',
      'counters',
      'demo-update --strategy rolling',
      'demo-update --strategy recreate',
      'demo-update --strategy canary',
      'demo-update --strategy partition',
      'report',
    ]) {
      expect(lab.stderr).toContain(`] ${step}\n`);
    }
    expect(lab.stdout).toMatch(/^– storage\s+skipped: not allowed to list StorageClasses/m);
    expect(lab.stdout).toMatch(/^– nodes\s+skipped: not allowed to list nodes/m);
    // Without rbac/k8s-lab-nodes.yaml the node lessons skip themselves, one line each; nothing was cordoned.
    for (const lesson of ['demo-identity', 'demo-drain', 'demo-node-loss'])
      expect(`${lab.stdout}${lab.stderr}`).toMatch(
        new RegExp(`^${lesson} skipped: the nodes cannot be read \\(.*\\); rbac/k8s-lab-nodes.yaml grants it$`, 'm'),
      );
    // The probe target was found without reading the nodes.
    expect(lab.stderr).toContain(`http://127.0.0.1:${LAB_NODE_PORT} (NodePort ${LAB_NODE_PORT} on 127.0.0.1)`);
    expect(lab.stdout.trim().split('\n').at(-1)).toBe(output);
    expect(readdirSync(recordDir)).toHaveLength(4);
  });

  it('the pods meet the restricted profile as they run, read-only root filesystem included', async () => {
    const pods = await kubectlJson<{
      items: { metadata: { name: string }; spec: { securityContext?: Record<string, unknown>; containers: { securityContext?: Record<string, unknown> }[] } }[];
    }>(['-n', NS, 'get', 'pods', '-l', 'app.kubernetes.io/instance=helm-python']);
    expect(pods.items.length).toBeGreaterThan(0);
    for (const pod of pods.items) {
      expect(pod.spec.securityContext, pod.metadata.name).toMatchObject({ runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } });
      for (const container of pod.spec.containers) {
        expect(container.securityContext).toMatchObject({ allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] } });
      }
    }
  });

  it('the namespace labelled for restricted enforcement admits the pods (Kubernetes 1.23+)', async (ctx) => {
    const { serverVersion } = await kubectlJson<{ serverVersion: { gitVersion: string; minor: string } }>(['version']);
    const labels = (await kubectlJson<{ metadata: { labels: Record<string, string> } }>(['get', 'namespace', NS])).metadata.labels;
    expect(labels['pod-security.kubernetes.io/enforce']).toBe('restricted');
    if (Number.parseInt(serverVersion.minor, 10) < 23) {
      ctx.skip(
        `Kubernetes ${serverVersion.gitVersion} has no Pod Security admission (alpha in 1.22, on by default in 1.23): the label is there but not enforced; test/chart/pod-security.test.ts checks every restricted control instead`,
      );
    }
    // Pod Security admission rejects a pod at creation: the StatefulSet would report FailedCreate.
    const events = await kubectlJson<{ items: { reason: string; message: string }[] }>(['-n', NS, 'get', 'events', '--field-selector', 'reason=FailedCreate']);
    expect(events.items.map((e) => e.message)).toEqual([]);
    const sts = await kubectlJson<{ spec: { replicas: number }; status: { readyReplicas?: number } }>(['-n', NS, 'get', 'statefulset', 'helm-python']);
    expect(sts.status.readyReplicas).toBe(sts.spec.replicas);
  });

  it('refuses a call outside the namespace in one line, creating nothing', async () => {
    const notAllowed = new RegExp(
      `not allowed: system:serviceaccount:${NS}:${ACCOUNT} may not list secrets in namespace ${ELSEWHERE} — ask for access to namespace ${ELSEWHERE}`,
    );
    for (const command of [['status'], ['deploy', '--image', LOCAL_IMAGE, '--set', 'service.nodePort=null']]) {
      const result = await cli([...command, '--kubeconfig', kubeconfig, '--namespace', ELSEWHERE], { helm: helm4, timeoutMs: 60_000 });
      expectOneLineFailure(result, 1, notAllowed);
    }
    const counters = await cli(['counters', '--kubeconfig', kubeconfig, '--namespace', ELSEWHERE], { helm: helm4, timeoutMs: 60_000 });
    expectOneLineFailure(counters, 1, new RegExp(`not allowed: system:serviceaccount:${NS}:${ACCOUNT} may not (get|list) \\w+ in namespace ${ELSEWHERE}`));
    expect((await kubectl(['get', 'namespace', ELSEWHERE], { reject: false })).exitCode).not.toBe(0);
  });

  it('prints no credential with --verbose, and writes none into the report or the run records', async () => {
    const admin = readFileSync(process.env.KUBECONFIG!, 'utf8');
    const adminSecrets = [...admin.matchAll(/client-(?:key|certificate)-data: (\S+)/g)].map((m) => m[1]!);
    const pem = adminSecrets.flatMap((data) =>
      Buffer.from(data, 'base64')
        .toString()
        .split('\n')
        .filter((line) => line.length >= 60),
    );
    const secrets = [token, ...adminSecrets, ...pem];
    expect(secrets.length).toBeGreaterThan(1);
    const runs: [string, CliRun][] = [];
    for (const args of [
      ['status'],
      ['counters'],
      ['traffic', '--requests', '5'],
      ['demo-update', '--strategy', 'rolling', '--settle', '0', '--check', '1s', '--record-dir', recordDir],
      ['report', '--output', output, '--record-dir', recordDir],
      // A failure keeps the tool's stderr with --verbose.
      ['status', '--namespace', ELSEWHERE],
    ]) {
      // A --namespace in `args` comes last, so it wins.
      const [command, ...rest] = args;
      runs.push([
        `${args.join(' ')} (token)`,
        await cli([command!, '--namespace', NS, ...rest, '--verbose', '--kubeconfig', kubeconfig], { helm: helm4, timeoutMs: 300_000 }),
      ]);
    }
    runs.push(['status (admin kubeconfig)', await cli(['status', '--verbose', '--namespace', NS], { helm: helm4 })]);
    runs.push(['counters --json (admin kubeconfig)', await cli(['counters', '--json', '--verbose', '--namespace', NS], { helm: helm4 })]);
    for (const [name, run] of runs) {
      expect(run.stderr.length, name).toBeGreaterThan(0); // --verbose echoed the calls
      expectNoSecret(name, outputOf(run), secrets);
    }
    expect(runs.slice(0, 5).map(([name, run]) => [name, run.exitCode])).toEqual(runs.slice(0, 5).map(([name]) => [name, 0]));
    expectNoSecret('the report', readFileSync(output, 'utf8'), secrets);
    for (const file of readdirSync(recordDir)) expectNoSecret(`run record ${file}`, readFileSync(join(recordDir, file), 'utf8'), secrets);
  });

  it('tears down, data included, with the same Role', async () => {
    const result = await cli(['teardown', '--kubeconfig', kubeconfig, '--namespace', NS, '--delete-data', '--yes'], { helm: helm4, timeoutMs: 300_000 });
    expect(result.exitCode, result.stderr).toBe(0);
    expect(String((await kubectl(['-n', NS, 'get', 'statefulsets,services,persistentvolumeclaims', '-o', 'name'])).stdout).trim()).toBe('');
  });
});

describe('deploy, counters and teardown with Helm 3 and only the documented Role', () => {
  let kubeconfig: string;
  let token: string;
  beforeAll(async () => {
    ({ kubeconfig, token } = await restrictedNamespace(NS_HELM3));
  });

  it('deploys (no fixed NodePort), reads every counter, updates, and tears down, printing no credential', async () => {
    const as = (args: string[]) => cli([...args, '--kubeconfig', kubeconfig, '--namespace', NS_HELM3, '--verbose'], { helm: helm3, timeoutMs: 300_000 });
    const deployed = await as(['deploy', '--image', LOCAL_IMAGE, '--set', 'service.nodePort=null', '--timeout', '3m']);
    expect(deployed.exitCode, deployed.stderr.slice(-3000)).toBe(0);
    const counters = await as(['counters', '--json']);
    expect(counters.exitCode, counters.stderr.slice(-3000)).toBe(0);
    expect(counters.json<{ pod: string; counter: number }[]>().map((c) => c.pod)).toEqual(['helm-python-0', 'helm-python-1']);
    // Helm 3's upgrade (three-way merge patch) under the Role; the probe finds the NodePort itself.
    const updated = await as(['demo-update', '--strategy', 'rolling', '--settle', '0', '--check', '1s', '--record-dir', join(work, 'runs-h3')]);
    expect(updated.exitCode, updated.stderr.slice(-3000)).toBe(0);
    const down = await as(['teardown', '--delete-data', '--yes']);
    expect(down.exitCode, down.stderr.slice(-3000)).toBe(0);
    for (const [name, run] of [
      ['deploy', deployed],
      ['counters', counters],
      ['demo-update', updated],
      ['teardown', down],
    ] as const)
      expectNoSecret(name, outputOf(run), [token]);
  });
});
