import { describe, expect, it } from 'vitest';
import { callsOf, kubectl, runCommand } from '../../support/fake-cluster.js';
import { NS, pod, PODS, PROXY_FAILS, readCounter, STATEFULSET, STATEFULSET_MISSING, POD_SELECTOR } from '../../support/cluster-objects.js';

describe('k8s-lab counters', () => {
  it("reads every pod's counter file with kubectl exec when the proxy does not start", async () => {
    const script = [PROXY_FAILS, STATEFULSET, PODS, readCounter(0, 16), readCounter(1, 14)];
    const run = await runCommand(['-n', 'lab', 'counters'], script);
    expect(run).toEqual({
      code: 0,
      stdout: [
        'POD             COUNTER   PVC                             REVISION                 VERSION   READY',
        'helm-python-0   16        counter-data-py-helm-python-0   helm-python-7bd8486ccf   v1        true',
        'helm-python-1   14        counter-data-py-helm-python-1   helm-python-7bd8486ccf   v1        true',
        '',
      ].join('\n'),
      stderr: '',
      calls: callsOf(script),
    });
  });

  it('prints the readings as JSON with --json', async () => {
    const script = [PROXY_FAILS, STATEFULSET, PODS, readCounter(0, 3), readCounter(1, 4)];
    const run = await runCommand(['-n', 'lab', '--json', 'counters'], script);
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout)).toEqual([
      { pod: 'helm-python-0', ordinal: 0, counter: 3, pvc: 'counter-data-py-helm-python-0', revision: 'helm-python-7bd8486ccf', version: 'v1', ready: true },
      { pod: 'helm-python-1', ordinal: 1, counter: 4, pvc: 'counter-data-py-helm-python-1', revision: 'helm-python-7bd8486ccf', version: 'v1', ready: true },
    ]);
  });

  it('shows a pod that is not running and exits 1 naming it', async () => {
    const pending = pod(1, { ready: false, phase: 'Pending' });
    const script = [
      PROXY_FAILS,
      STATEFULSET,
      kubectl([...NS, 'get', 'pods', '--selector', POD_SELECTOR, '--output', 'json', '--request-timeout=10s'], { stdout: { items: [pod(0), pending] } }),
      readCounter(0, 5),
    ];
    const run = await runCommand(['-n', 'lab', 'counters'], script);
    expect(run.code).toBe(1);
    expect(run.stdout).toContain('helm-python-1   ? (pod is Pending)   counter-data-py-helm-python-1');
    expect(run.stderr).toBe(
      '✖ could not read the counter of helm-python-1: pod is Pending — wait until the pods are Running (`k8s-lab status`) and try again\n',
    );
    expect(run.calls).toEqual(callsOf(script));
  });

  it('fails with one line when the release is not deployed', async () => {
    const script = [PROXY_FAILS, STATEFULSET_MISSING];
    const run = await runCommand(['-n', 'lab', 'counters'], script);
    expect(run).toEqual({
      code: 1,
      stdout: '',
      stderr: '✖ release helm-python is not deployed in namespace lab (no StatefulSet helm-python) — deploy it first: `k8s-lab deploy`\n',
      calls: callsOf(script),
    });
  });
});
