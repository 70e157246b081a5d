// Option values of the right type that the cluster or the app cannot take (issue 22), on a live
// release: each is refused with exit 2 and one line before anything changes. What "nothing changed"
// means is read with helm and kubectl directly: the release's revision and status, the helm releases
// of the namespace (no temporary one), the StatefulSet's generation and replicas, the pods' UIDs and
// the PVCs.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HELM_BINARIES } from '../support/tools.js';
import { cli, deleteNamespace, expectOneLineFailure, kubectl, kubectlJson, LOCAL_IMAGE, requireCluster, serviceAccountKubeconfig } from './cluster.js';

// Cluster-wide NodePorts: the release's, and one held by a Service in another namespace.
const NODE_PORT = Number(process.env.K8S_LAB_E2E_NODEPORT ?? 31982);
const HELD_PORT = Number(process.env.K8S_LAB_E2E_NODEPORT_2 ?? NODE_PORT + 1);
const NS_PREFIX = process.env.K8S_LAB_E2E_NAMESPACE_PREFIX ?? 'k8s-lab-limits';
const ns = `${NS_PREFIX}-limits`;
const other = `${NS_PREFIX}-limits-other`;
// Helm 4: `helm list` shows releases in every state (Helm 3 needed --all).
const helm = HELM_BINARIES.find((h) => h.major === 4)!.path;
const records = mkdtempSync(join(tmpdir(), 'k8s-lab-limits-'));
const NAMESPACE_ADMIN = join(records, 'namespace-admin.kubeconfig');

interface Objects {
  items: { kind: string; metadata: { name: string; uid: string; generation?: number }; spec?: { replicas?: number } }[];
}

/** Everything a refused command must leave as it was. */
async function releaseState(): Promise<unknown> {
  const [releases, objects] = await Promise.all([
    execa(helm, ['list', '--namespace', ns, '--output', 'json']),
    kubectlJson<Objects>(['-n', ns, 'get', 'statefulsets,pods,persistentvolumeclaims,services']),
  ]);
  return {
    releases: (JSON.parse(releases.stdout) as { name: string; revision: string; status: string }[]).map((r) => `${r.name} ${r.revision} ${r.status}`),
    objects: objects.items.map((o) => `${o.kind}/${o.metadata.name} ${o.metadata.uid} ${o.metadata.generation ?? ''} ${o.spec?.replicas ?? ''}`).sort(),
  };
}

describe('option values the cluster or the app cannot take: refused before the first change', () => {
  let before: unknown;
  const run = (args: string[], kubeconfig?: string) =>
    cli([...args, '--namespace', ns, ...(kubeconfig ? ['--kubeconfig', kubeconfig] : [])], { helm, timeoutMs: 120_000 });

  beforeAll(async () => {
    requireCluster();
    await Promise.all([deleteNamespace(ns), deleteNamespace(other)]);
    const deployed = await cli(['deploy', '--namespace', ns, '--image', LOCAL_IMAGE, '--set', `service.nodePort=${NODE_PORT}`], { helm });
    expect(deployed.exitCode, deployed.stderr).toBe(0);
    // Another namespace's Service holds HELD_PORT.
    await kubectl(['create', 'namespace', other]);
    await kubectl(['-n', other, 'create', 'service', 'nodeport', 'blocker', '--tcp=80:80', `--node-port=${HELD_PORT}`]);
    // A user who administers the release's namespace only: may not list Services elsewhere.
    await serviceAccountKubeconfig(ns, 'namespace-admin', NAMESPACE_ADMIN);
    await kubectl(['-n', ns, 'create', 'rolebinding', 'namespace-admin', '--clusterrole=admin', `--serviceaccount=${ns}:namespace-admin`]);
    before = await releaseState();
  }, 600_000);

  afterAll(async () => {
    await cli(['teardown', '--namespace', ns, '--delete-data', '--yes'], { helm });
    await Promise.all([deleteNamespace(ns), deleteNamespace(other)]);
  }, 600_000);

  it("demo-scale --node-port equal to the release's own NodePort", async () => {
    const result = await run(['demo-scale', '--node-port', String(NODE_PORT), '--record-dir', records]);
    expectOneLineFailure(result, 2, new RegExp(`--node-port ${NODE_PORT} is the NodePort of release helm-python's own Service: .*nothing was changed`));
    expect(await releaseState()).toEqual(before);
  });

  it('demo-scale --node-port held by a Service in another namespace: named', async () => {
    const result = await run(['demo-scale', '--node-port', String(HELD_PORT), '--record-dir', records]);
    expectOneLineFailure(result, 2, new RegExp(`--node-port ${HELD_PORT} is taken by Service ${other}/blocker; nothing was changed`));
    expect(await releaseState()).toEqual(before);
  });

  it('the same, by a user who may not list Services outside the namespace: the server-side dry-run finds it taken', async () => {
    const result = await run(['demo-scale', '--node-port', String(HELD_PORT), '--record-dir', records], NAMESPACE_ADMIN);
    expectOneLineFailure(
      result,
      2,
      new RegExp(`--node-port ${HELD_PORT}: the API server refuses it \\(provided port is already allocated\\); nothing was changed`),
    );
    expect(await releaseState()).toEqual(before);
  });

  it('demo-update --interval 0 and watch --traffic --interval 1ms', async () => {
    for (const args of [
      ['demo-update', '--strategy', 'rolling', '--interval', '0', '--record-dir', records],
      ['watch', '--traffic', '--interval', '1ms'],
    ]) {
      const result = await run(args);
      expectOneLineFailure(result, 2, /--interval "(0|1ms)" is invalid: expected 50ms or more/);
    }
    expect(await releaseState()).toEqual(before);
  });

  it('a --url answered by no pod of the release', async () => {
    // The blocker Service's NodePort has no endpoints: nothing answers there.
    const result = await run(['demo-update', '--strategy', 'rolling', '--url', `http://127.0.0.1:${HELD_PORT}`, '--record-dir', records]);
    expectOneLineFailure(result, 2, new RegExp(`--url http://127.0.0.1:${HELD_PORT} does not answer .*; nothing was changed`));
    expect(await releaseState()).toEqual(before);
  });
});
