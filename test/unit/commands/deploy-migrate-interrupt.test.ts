// Ctrl-C while `deploy --migrate` has deleted the StatefulSet (--cascade=orphan): the upgrade that
// re-creates it still runs, so the release is never left without its StatefulSet; then exit 130.
// A file of its own: the signal aborts the process-wide interrupt controller for good.
import { Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';
import { main } from '../../../src/cli.js';
import type { ToolCall, ToolResult } from '../../../src/process/runner.js';
import { callsOf, FakeCluster, helm, kubectl } from '../../support/fake-cluster.js';
import { helmStatus, KUBECTL_CLIENT, NS, release, statefulSet } from '../../support/cluster-objects.js';

const CHART = fileURLToPath(new URL('../../../chart', import.meta.url));

/** The fake cluster, with a Ctrl-C arriving while the StatefulSet is being deleted. */
class InterruptedDuringDelete extends FakeCluster {
  override async run(call: ToolCall): Promise<ToolResult> {
    if (call.args.includes('--cascade=orphan')) process.emit('SIGINT', 'SIGINT');
    return super.run(call);
  }
}

it('Ctrl-C during the orphaning delete: the upgrade still re-creates the StatefulSet, then exit 130 without waiting for the pods', async () => {
  const old = { ...statefulSet(), spec: { ...statefulSet().spec, serviceName: 'helm-python' } };
  const script = [
    helm(['version', '--short'], { stdout: 'v4.1.4+g05fa379\n' }),
    helm([...NS, 'template', 'helm-python', CHART]),
    helmStatus({ stdout: release(4) }),
    KUBECTL_CLIENT,
    kubectl([...NS, 'get', 'statefulset', 'helm-python', '--output', 'json', '--request-timeout=10s'], { stdout: old }),
    kubectl([...NS, 'delete', 'statefulset', 'helm-python', '--cascade=orphan', '--wait=true', '--timeout=120s']),
    helm([...NS, 'upgrade', '--install', 'helm-python', CHART, '--reset-then-reuse-values', '--timeout', '300s', '--wait=hookOnly', '--output', 'json'], {
      stdout: release(5),
    }),
  ];
  const cluster = new InterruptedDuringDelete(script);
  let stderr = '';
  const sink = new Writable({ write: (chunk: Buffer, _encoding, done) => void ((stderr += String(chunk)), done()) });
  const code = await main(['-n', 'lab', 'deploy', '--migrate'], {
    runner: cluster,
    env: { PATH: '', K8S_LAB_HELM: 'helm', K8S_LAB_KUBECTL: 'kubectl' },
    stdout: sink,
    stderr: sink,
  });
  await new Promise((resolve) => setImmediate(resolve));
  expect(cluster.unscripted).toEqual([]);
  expect(cluster.unused).toEqual([]);
  expect(cluster.calls).toEqual(callsOf(script));
  expect(code).toBe(130);
  expect(stderr).toBe(
    [
      '⚠ interrupted: finishing the migration first, so the StatefulSet is not left deleted (Ctrl-C again stops at once)',
      '✖ interrupted: the migration was finished first (StatefulSet helm-python re-created, governed by helm-python-headless; its pods and PVCs kept) — the pods roll once onto the new Service: `k8s-lab status` shows them',
      '',
    ].join('\n'),
  );
});
