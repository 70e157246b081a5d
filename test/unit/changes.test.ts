import { describe, expect, it } from 'vitest';
import { createApply, helmChanges, kubectlChanges, type ChangeFault } from '../../src/adapters/changes.js';
import type { ToolCall, ToolResult } from '../../src/process/runner.js';
import { isTransient } from '../../src/adapters/transient.js';
import { LabError } from '../../src/errors.js';
import { FakeRunner } from '../support/fake-runner.js';

// Every expected array, limit and message below is written out by hand from helm's and kubectl's
// documented flags: 120 000 ms is helm's `--timeout 120s`, and the process gets 30 s more.
describe('helmChanges', () => {
  const helm = { bin: '/opt/helm', target: { kubeconfig: '/tmp/kc', context: 'kind-lab', namespace: 'lab' } };
  const values = { release: 'helm-python', chart: '/pkg/chart', valuesFiles: ['a.yaml'], sets: ['replicaCount=3'], setStrings: ['app.version=1.10'] };

  it('upgrade --install, Helm 4: its own timeout from the ms limit, the process 30 s longer', () => {
    expect(helmChanges.upgradeInstall(helm, 4, values, 120_000)).toEqual({
      bin: '/opt/helm',
      args: [
        '--kubeconfig',
        '/tmp/kc',
        '--kube-context',
        'kind-lab',
        '--namespace',
        'lab',
        'upgrade',
        '--install',
        'helm-python',
        '/pkg/chart',
        '--values',
        'a.yaml',
        '--set',
        'replicaCount=3',
        '--set-string',
        'app.version=1.10',
        '--timeout',
        '120s',
        '--wait=hookOnly',
        '--output',
        'json',
      ],
      timeoutMs: 150_000,
      doing: 'helm upgrade --install helm-python',
      repeat: 'fault',
      // What frees the release when an interrupted attempt of ours left it pending: no revision, helm's "the one before".
      unlock: {
        bin: '/opt/helm',
        args: [
          '--kubeconfig',
          '/tmp/kc',
          '--kube-context',
          'kind-lab',
          '--namespace',
          'lab',
          'rollback',
          'helm-python',
          '--timeout',
          '120s',
          '--wait=hookOnly',
        ],
        timeoutMs: 150_000,
        doing: 'helm rollback helm-python (to the revision before the latest)',
        repeat: 'fault',
      },
    });
  });

  it('upgrade --reuse-values, Helm 3 (no wait flag)', () => {
    const reusing = { release: 'helm-python', chart: '/pkg/chart', sets: ['replicaCount=3'], setStrings: ['app.version=1.10'] };
    expect(helmChanges.upgradeReusing({ bin: 'helm', target: { namespace: 'lab' } }, 3, reusing, 300_000)).toEqual({
      bin: 'helm',
      args: [
        '--namespace',
        'lab',
        'upgrade',
        'helm-python',
        '/pkg/chart',
        '--reuse-values',
        '--set',
        'replicaCount=3',
        '--set-string',
        'app.version=1.10',
        '--timeout',
        '300s',
        '--output',
        'json',
      ],
      timeoutMs: 330_000,
      doing: 'helm upgrade helm-python',
      repeat: 'fault',
      unlock: {
        bin: 'helm',
        args: ['--namespace', 'lab', 'rollback', 'helm-python', '--timeout', '300s'],
        timeoutMs: 330_000,
        doing: 'helm rollback helm-python (to the revision before the latest)',
        repeat: 'fault',
      },
    });
  });

  it('rollback to a revision', () => {
    expect(helmChanges.rollback({ bin: 'helm', target: { namespace: 'lab' } }, 4, 'helm-python', 7, 300_000)).toEqual({
      bin: 'helm',
      args: ['--namespace', 'lab', 'rollback', 'helm-python', '7', '--timeout', '300s', '--wait=hookOnly'],
      timeoutMs: 330_000,
      doing: 'helm rollback helm-python 7',
      repeat: 'fault',
      unlock: {
        bin: 'helm',
        args: ['--namespace', 'lab', 'rollback', 'helm-python', '--timeout', '300s', '--wait=hookOnly'],
        timeoutMs: 330_000,
        doing: 'helm rollback helm-python (to the revision before the latest)',
        repeat: 'fault',
      },
    });
  });

  it('uninstall waits for the resources to go: --wait (Helm 3), --wait=watcher (Helm 4); a part second rounds up', () => {
    expect(helmChanges.uninstall({ bin: 'helm', target: {} }, 3, 'helm-python', 60_000)).toEqual({
      bin: 'helm',
      args: ['uninstall', 'helm-python', '--timeout', '60s', '--wait'],
      timeoutMs: 90_000,
      doing: 'helm uninstall helm-python',
      repeat: 'never',
    });
    expect(helmChanges.uninstall({ bin: 'helm', target: { namespace: 'lab' } }, 4, 'helm-python', 90_500)).toEqual({
      bin: 'helm',
      args: ['--namespace', 'lab', 'uninstall', 'helm-python', '--timeout', '91s', '--wait=watcher'],
      timeoutMs: 120_500,
      doing: 'helm uninstall helm-python',
      repeat: 'never',
    });
  });
});

describe('kubectlChanges', () => {
  const kubectl = { bin: 'kubectl', target: { context: 'kind-lab', namespace: 'lab' } };

  it('creates and deletes a namespace with no --namespace of its own', () => {
    expect(kubectlChanges.createNamespace(kubectl, 'seal-new')).toEqual({
      bin: 'kubectl',
      args: ['--context', 'kind-lab', 'create', 'namespace', 'seal-new', '--request-timeout=10s'],
      timeoutMs: 20_000,
      doing: 'creating namespace seal-new',
      repeat: 'unsent',
    });
    expect(kubectlChanges.deleteNamespace(kubectl, 'seal-new', 120_000)).toEqual({
      bin: 'kubectl',
      args: ['--context', 'kind-lab', 'delete', 'namespace', 'seal-new', '--ignore-not-found', '--wait=true', '--timeout=120s'],
      timeoutMs: 150_000,
      doing: 'deleting namespace seal-new',
      repeat: 'unsent',
    });
  });

  it('cordons and uncordons a node, cluster-scoped (no --namespace)', () => {
    expect(kubectlChanges.cordon(kubectl, 'k8s-lab-worker2')).toEqual({
      bin: 'kubectl',
      args: ['--context', 'kind-lab', 'cordon', 'k8s-lab-worker2', '--request-timeout=10s'],
      timeoutMs: 20_000,
      doing: 'cordoning node k8s-lab-worker2',
      repeat: 'fault',
    });
    expect(kubectlChanges.uncordon(kubectl, 'k8s-lab-worker2').args).toEqual(['--context', 'kind-lab', 'uncordon', 'k8s-lab-worker2', '--request-timeout=10s']);
    // Declarative (spec.unschedulable set or unset): safe to send again after any fault of the API server.
    expect(kubectlChanges.uncordon(kubectl, 'k8s-lab-worker2').repeat).toBe('fault');
  });

  it('deletes pods without waiting, with a grace period when given', () => {
    expect(kubectlChanges.deletePods(kubectl, ['helm-python-0', 'helm-python-1'], 0)).toEqual({
      bin: 'kubectl',
      args: [
        '--context',
        'kind-lab',
        '--namespace',
        'lab',
        'delete',
        'pods',
        'helm-python-0',
        'helm-python-1',
        '--grace-period=0',
        '--wait=false',
        '--request-timeout=10s',
      ],
      timeoutMs: 20_000,
      doing: 'deleting pods helm-python-0, helm-python-1',
      repeat: 'never',
    });
    expect(kubectlChanges.deletePods(kubectl, ['helm-python-2'])).toEqual({
      bin: 'kubectl',
      args: ['--context', 'kind-lab', '--namespace', 'lab', 'delete', 'pods', 'helm-python-2', '--wait=false', '--request-timeout=10s'],
      timeoutMs: 20_000,
      doing: 'deleting pod helm-python-2',
      repeat: 'unsent',
    });
  });

  it('deletes PVCs and waits until they are gone; named by what they are, else by their names', () => {
    expect(kubectlChanges.deletePvcs(kubectl, ['data-helm-python-0', 'data-helm-python-1'], 120_000, 'the PVCs')).toEqual({
      bin: 'kubectl',
      args: [
        '--context',
        'kind-lab',
        '--namespace',
        'lab',
        'delete',
        'persistentvolumeclaims',
        'data-helm-python-0',
        'data-helm-python-1',
        '--wait=true',
        '--timeout=120s',
      ],
      timeoutMs: 150_000,
      doing: 'deleting the PVCs',
      repeat: 'unsent',
    });
    expect(kubectlChanges.deletePvcs(kubectl, ['data-helm-python-3'], 60_000).doing).toBe('deleting data-helm-python-3');
  });
});

describe('createApply', () => {
  const uninstall = {
    bin: 'helm',
    args: ['--namespace', 'lab', 'uninstall', 'helm-python', '--timeout', '60s', '--wait'],
    timeoutMs: 90_000,
    doing: 'helm uninstall helm-python',
    repeat: 'never' as const,
  };
  const upgrade = {
    bin: 'helm',
    args: ['upgrade', 'helm-python', '/pkg/chart', '--reuse-values', '--set-string', 'app.version=a b'],
    timeoutMs: 90_000,
    doing: 'helm upgrade helm-python',
    repeat: 'fault' as const,
  };

  it('--dry-run prints each call, copy-pasteable, and runs nothing', async () => {
    const runner = new FakeRunner([]);
    const printed: string[] = [];
    const apply = createApply({ runner, dryRun: true, print: (line) => printed.push(line) });
    expect(await apply(uninstall)).toBeUndefined();
    expect(await apply(upgrade)).toBeUndefined();
    expect(printed).toEqual([
      'helm --namespace lab uninstall helm-python --timeout 60s --wait',
      "helm upgrade helm-python /pkg/chart --reuse-values --set-string 'app.version=a b'",
    ]);
    expect(runner.calls).toEqual([]);
  });

  it('a real run runs the call as built, prints nothing and returns its result', async () => {
    const runner = new FakeRunner([{ match: /uninstall/, stdout: 'release "helm-python" uninstalled\n' }]);
    const printed: string[] = [];
    const result = await createApply({ runner, dryRun: false, print: (line) => printed.push(line) })(uninstall);
    expect(runner.calls).toEqual([uninstall]);
    expect(result?.stdout).toBe('release "helm-python" uninstalled\n');
    expect(printed).toEqual([]);
  });

  it('a failed call throws one line saying what it was doing', async () => {
    const runner = new FakeRunner([{ match: /uninstall/, exitCode: 1, stderr: 'Error: uninstall: Release not loaded: helm-python: release: not found\n' }]);
    const apply = createApply({ runner, dryRun: false, print: () => {} });
    const failure = await apply(uninstall).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(LabError);
    expect((failure as LabError).message).toBe('helm uninstall helm-python: helm failed: uninstall: Release not loaded: helm-python: release: not found');
  });

  it('a call killed at its limit says how long it was given', async () => {
    const runner = new FakeRunner([{ match: /delete persistentvolumeclaims/, exitCode: 1, timedOut: true }]);
    const apply = createApply({ runner, dryRun: false, print: () => {} });
    const call = {
      bin: 'kubectl',
      args: ['--namespace', 'lab', 'delete', 'persistentvolumeclaims', 'data-helm-python-0', '--wait=true', '--timeout=120s'],
      timeoutMs: 150_000,
      doing: 'deleting the PVCs',
      repeat: 'unsent' as const,
    };
    await expect(apply(call)).rejects.toThrow('deleting the PVCs: kubectl did not answer within 150 s');
  });
});

describe('createApply when the API server is briefly away', () => {
  /** Answers each run with the next scripted result. */
  const queue = (answers: { exitCode: number; stderr?: string }[]) => {
    const calls: string[] = [];
    const runner = {
      run: async (call: ToolCall): Promise<ToolResult> => {
        calls.push(call.args.join(' '));
        const a = answers.shift()!;
        return { call, exitCode: a.exitCode, stdout: '', stderr: a.stderr ?? '', timedOut: false, notFound: false, durationMs: 1 };
      },
      stream: () => {
        throw new Error('no stream');
      },
    };
    return { runner, calls };
  };
  const kubectl = { bin: 'kubectl', target: { namespace: 'lab' } };
  const upgrade = helmChanges.upgradeReusing(
    { bin: 'helm', target: { namespace: 'lab' } },
    4,
    { release: 'helm-python', chart: '/c', sets: [], setStrings: ['app.version=v2'] },
    3000,
  );
  const E503 = 'Error: UPGRADE FAILED: the server is currently unable to handle the request (get statefulsets.apps helm-python)';
  const ETCD = 'Error from server (InternalError): Internal error occurred: etcdserver: request timed out';
  const REFUSED = 'The connection to the server 127.0.0.1:6443 was refused - did you specify the right host or port?';

  it('a helm upgrade (same values: repeatable) is run again after a 5xx and an etcd timeout, waiting 1 s then 2 s; the faults are told', async () => {
    const { runner, calls } = queue([{ exitCode: 1, stderr: E503 }, { exitCode: 1, stderr: ETCD }, { exitCode: 0 }]);
    const slept: number[] = [];
    const faults: ChangeFault[] = [];
    const apply = createApply({ runner, dryRun: false, print: () => {}, onFault: (f) => faults.push(f), sleep: async (ms) => void slept.push(ms) });
    expect((await apply(upgrade))?.exitCode).toBe(0);
    expect(calls).toHaveLength(3);
    expect(slept).toEqual([1000, 2000]);
    expect(faults.map((f) => [f.fault, f.retried, f.ok])).toEqual([
      ['API server 5xx', true, true],
      ['etcd timeout', true, true],
    ]);
  });

  it('past its limit (a pod delete: 20 s; waits of 1, 2, 4, 4, 4, 4 s fit, the next does not) it fails after 7 attempts, naming the fault', async () => {
    const { runner, calls } = queue(Array.from({ length: 7 }, () => ({ exitCode: 1, stderr: REFUSED })));
    let clock = 0;
    const apply = createApply({ runner, dryRun: false, print: () => {}, now: () => clock, sleep: async (ms) => void (clock += ms) });
    await expect(apply(kubectlChanges.deletePods(kubectl, ['helm-python-0']))).rejects.toThrow(
      'deleting pod helm-python-0: the control plane failed (API server refused connections); still failing after 7 attempts within its limit of 20 s',
    );
    expect(calls).toHaveLength(7);
    expect(clock).toBe(19_000);
  });

  it('a pod delete is run again only when it never reached the server (connection refused), not after an etcd timeout', async () => {
    const refused = queue([{ exitCode: 1, stderr: REFUSED }, { exitCode: 0 }]);
    const del = kubectlChanges.deletePods(kubectl, ['helm-python-0']);
    expect((await createApply({ runner: refused.runner, dryRun: false, print: () => {}, sleep: async () => {} })(del))?.exitCode).toBe(0);
    expect(refused.calls).toHaveLength(2);

    const timedOut = queue([{ exitCode: 1, stderr: ETCD }]);
    const faults: ChangeFault[] = [];
    const apply = createApply({ runner: timedOut.runner, dryRun: false, print: () => {}, onFault: (f) => faults.push(f), sleep: async () => {} });
    await expect(apply(del)).rejects.toThrow(
      'deleting pod helm-python-0: the control plane failed (etcd timeout); not run again: it may have gone through, and a second one would do more',
    );
    expect(timedOut.calls).toHaveLength(1);
    expect(faults.map((f) => [f.doing, f.fault, f.retried])).toEqual([['deleting pod helm-python-0', 'etcd timeout', false]]);
  });

  it('two pods in one delete are never run again; a failure that is no fault of the API server is thrown as before', async () => {
    const two = queue([{ exitCode: 1, stderr: REFUSED }]);
    const apply = createApply({ runner: two.runner, dryRun: false, print: () => {}, sleep: async () => {} });
    await expect(apply(kubectlChanges.deletePods(kubectl, ['helm-python-0', 'helm-python-1']))).rejects.toThrow(/not run again/);
    expect(two.calls).toHaveLength(1);
    const forbidden = queue([{ exitCode: 1, stderr: 'Error from server (Forbidden): pods "helm-python-0" is forbidden' }]);
    await expect(
      createApply({ runner: forbidden.runner, dryRun: false, print: () => {} })(kubectlChanges.deletePods(kubectl, ['helm-python-0'])),
    ).rejects.not.toThrow(/control plane/);
    expect(forbidden.calls).toHaveLength(1);
  });
});

describe('createApply when an interrupted helm attempt left the release pending', () => {
  // helm writes revision N as pending-upgrade before it applies anything, and marks it deployed or
  // failed at the end; losing the API server (or being killed) in between leaves it pending, and every
  // later upgrade or rollback of the release is refused with this line (helm 3 and 4 alike).
  const PENDING = 'Error: UPGRADE FAILED: another operation (install/upgrade/rollback) is in progress';
  const REFUSED = 'Error: UPGRADE FAILED: Get "https://127.0.0.1:6443/api/v1/namespaces/lab/secrets": dial tcp 127.0.0.1:6443: connect: connection refused';
  const helm = { bin: 'helm', target: { namespace: 'lab' } };
  const upgrade = helmChanges.upgradeReusing(helm, 3, { release: 'helm-python', chart: '/c', sets: [], setStrings: ['app.version=v2'] }, 60_000);
  const ROLLBACK_BEFORE = '--namespace lab rollback helm-python --timeout 60s';

  it('a refused upgrade after its own failed attempt: helm rollback to the revision before, one line told, then the upgrade again', async () => {
    const runner = new FakeRunner([]);
    const answers = [
      { exitCode: 1, stderr: REFUSED },
      { exitCode: 1, stderr: PENDING },
      { exitCode: 0, stderr: '' },
      { exitCode: 0, stderr: '' },
    ];
    runner.run = async (call) => (runner.calls.push(call), { call, ...answers.shift()!, stdout: '', timedOut: false, notFound: false, durationMs: 1 });
    const warned: string[] = [];
    const apply = createApply({ runner, dryRun: false, print: () => {}, warn: (line) => warned.push(line), sleep: async () => {} });
    expect((await apply(upgrade))?.exitCode).toBe(0);
    expect(runner.lines()).toEqual([upgrade.args.join(' '), upgrade.args.join(' '), ROLLBACK_BEFORE, upgrade.args.join(' ')]);
    expect(warned).toEqual([
      'helm upgrade helm-python: an interrupted attempt left the release pending; helm rollback helm-python (to the revision before the latest), then again',
    ]);
  });

  it('the undo after a timed-out upgrade frees the release the same way (one process, two changes)', async () => {
    const runner = new FakeRunner([]);
    const answers = [
      { exitCode: 1, stderr: '', timedOut: true },
      { exitCode: 1, stderr: PENDING.replace('UPGRADE', 'ROLLBACK') },
      { exitCode: 0, stderr: '' },
      { exitCode: 0, stderr: '' },
    ];
    runner.run = async (call) => (runner.calls.push(call), { call, stdout: '', timedOut: false, notFound: false, durationMs: 1, ...answers.shift()! });
    const apply = createApply({ runner, dryRun: false, print: () => {} });
    await expect(apply(upgrade)).rejects.toThrow('helm upgrade helm-python: helm did not answer within 90 s');
    const back = helmChanges.rollback(helm, 3, 'helm-python', 4, 60_000);
    expect((await apply(back))?.exitCode).toBe(0);
    expect(runner.lines().slice(1)).toEqual([back.args.join(' '), ROLLBACK_BEFORE, back.args.join(' ')]);
  });

  it("a release found pending without a failed attempt of this process is someone else's operation: refused, nothing rolled back", async () => {
    const runner = new FakeRunner([{ match: /upgrade/, exitCode: 1, stderr: PENDING }]);
    const apply = createApply({ runner, dryRun: false, print: () => {} });
    await expect(apply(upgrade)).rejects.toThrow(/another operation \(install\/upgrade\/rollback\) is in progress/);
    expect(runner.lines()).toEqual([upgrade.args.join(' ')]);
  });

  it('freed once per attempt: refused again after the rollback, it fails instead of rolling back in a loop', async () => {
    const runner = new FakeRunner([]);
    const answers = [
      { exitCode: 1, stderr: REFUSED },
      { exitCode: 1, stderr: PENDING },
      { exitCode: 0, stderr: '' },
      { exitCode: 1, stderr: PENDING },
    ];
    runner.run = async (call) => (runner.calls.push(call), { call, ...answers.shift()!, stdout: '', timedOut: false, notFound: false, durationMs: 1 });
    const apply = createApply({ runner, dryRun: false, print: () => {}, sleep: async () => {} });
    await expect(apply(upgrade)).rejects.toThrow(/in progress/);
    expect(runner.calls).toHaveLength(4);
  });
});

describe('isTransient', () => {
  it('knows k8s-lab’s own unreachable line and Node’s socket errors, not a forbidden or a missing object', () => {
    expect(isTransient('reading statefulset helm-python: cannot reach the Kubernetes API server')).toBe(true);
    expect(isTransient('GET https://127.0.0.1:6443: ECONNRESET read ECONNRESET')).toBe(true);
    expect(isTransient('Client network socket disconnected before secure TLS connection was established')).toBe(true);
    expect(isTransient('Error from server (Forbidden): pods is forbidden')).toBe(false);
    expect(isTransient('Error from server (NotFound): statefulsets.apps "helm-python" not found')).toBe(false);
  });
});
