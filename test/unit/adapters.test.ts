import { describe, expect, it } from 'vitest';
import { Helm } from '../../src/adapters/helm.js';
import { Kubectl, kubectlArgs, parseSignalled } from '../../src/adapters/kubectl.js';
import type { Node, Service } from '../../src/adapters/kube-objects.js';
import { nodeCandidates, serviceAddressCandidates } from '../../src/probe/target.js';
import { FakeRunner } from '../support/fake-runner.js';
import { fixture, fixtureJson } from '../support/fixtures.js';

describe('kubectlArgs', () => {
  const target = { kubeconfig: '/k', context: 'c', namespace: 'lab' };
  it('puts the scope first and asks for JSON with a request timeout', () => {
    expect(kubectlArgs.get(target, 'pods', { selector: 'a=b' }).join(' ')).toBe(
      '--kubeconfig /k --context c --namespace lab get pods --selector a=b --output json --request-timeout=10s',
    );
  });
  it('leaves the namespace out of cluster-scoped reads', () => {
    expect(kubectlArgs.getClusterScoped(target, 'nodes')).not.toContain('--namespace');
    expect(kubectlArgs.version({ namespace: 'lab' })).toEqual(['version', '--output', 'json', '--request-timeout=10s']);
  });
  it('execs the command as separate arguments after --', () => {
    expect(kubectlArgs.exec({}, 'helm-python-0', 'app', ['cat', '/data/counter.json'])).toEqual([
      'exec',
      'helm-python-0',
      '--container',
      'app',
      '--request-timeout=10s',
      '--',
      'cat',
      '/data/counter.json',
    ]);
  });
});

describe('Kubectl adapter on recorded output', () => {
  it('reads client and server versions', async () => {
    const kubectl = new Kubectl(new FakeRunner([{ match: /^version --output json/, stdout: fixture('kubectl-version.json') }]), 'kubectl', {});
    expect(await kubectl.version()).toEqual({ client: 'v1.32.4-dispatcher', server: 'v1.20.2' });
  });
  it('reads kubectl 1.35 client version', async () => {
    const kubectl = new Kubectl(new FakeRunner([{ match: /^version --client/, stdout: fixture('kubectl135-version.json') }]), 'kubectl', {});
    expect(await kubectl.clientVersion()).toMatch(/^v1\.35\./);
  });
  it('treats NotFound as absent and other errors as failures', async () => {
    const runner = new FakeRunner([
      { match: /statefulset gone/, exitCode: 1, stderr: 'Error from server (NotFound): statefulsets.apps "gone" not found\n' },
      { match: /statefulset broken/, exitCode: 1, stderr: 'Error from server (Forbidden): statefulsets.apps "broken" is forbidden\n' },
    ]);
    const kubectl = new Kubectl(runner, 'kubectl', {});
    expect(await kubectl.statefulSet('gone')).toBeUndefined();
    await expect(kubectl.statefulSet('broken')).rejects.toThrow(/not allowed/);
  });
  it('falls back to the kubeconfig namespace, then "default"', async () => {
    const withNs = new Kubectl(new FakeRunner([{ match: /config view/, stdout: '{"contexts":[{"name":"x","context":{"namespace":"team"}}]}' }]), 'kubectl', {});
    expect(await withNs.namespace()).toBe('team');
    const without = new Kubectl(new FakeRunner([{ match: /config view/, stdout: '{"contexts":[{"name":"x","context":{}}]}' }]), 'kubectl', {});
    expect(await without.namespace()).toBe('default');
    expect(await new Kubectl(new FakeRunner([]), 'kubectl', { namespace: 'given' }).namespace()).toBe('given');
  });
});

describe('Helm adapter on recorded output', () => {
  it.each([3, 4] as const)('finds the release in `helm list` of Helm %d', async (major) => {
    const runner = new FakeRunner([
      { match: /^version/, stdout: major === 3 ? 'v3.17.3+ge4da497' : 'v4.1.4+g05fa379' },
      { match: /list/, stdout: fixture(`helm${major}-list.json`) },
    ]);
    const helm = new Helm(runner, 'helm', { namespace: 'try' });
    expect(await helm.find('helm-python')).toMatchObject({
      name: 'helm-python',
      status: 'deployed',
      chart: 'k8s-lab-counter-0.1.0',
      app_version: 'v1',
      revision: '1',
    });
    expect(await helm.find('other')).toBeUndefined();
    expect(runner.lines()[1]).toBe(`--namespace try list --filter ^helm-python$ ${major === 3 ? '--all ' : ''}--output json`);
  });
  it.each([3, 4] as const)('reads `helm status -o json` of Helm %d', async (major) => {
    const helm = new Helm(
      new FakeRunner([
        { match: /^version/, stdout: `v${major}.17.0\n` },
        { match: /status/, stdout: fixture(`helm${major}-status.json`) },
      ]),
      'helm',
      {},
    );
    expect(await helm.status('helm-python')).toMatchObject({ name: 'helm-python', namespace: 'try', version: 1, info: { status: 'deployed' } });
  });
});

describe('service address and node candidates', () => {
  const service: Service = { metadata: { name: 'helm-python' }, spec: { type: 'NodePort', ports: [{ port: 8000, nodePort: 31987 }] } };
  it('tries loopback (no node list needed), then node addresses', () => {
    const nodes = fixtureJson<{ items: Node[] }>('kubectl-nodes.json').items;
    expect(serviceAddressCandidates(service).map((c) => c.url)).toEqual(['http://127.0.0.1:31987']);
    expect(nodeCandidates(service, nodes).map((c) => c.url)).toEqual(['http://192.0.2.2:31987']);
  });
  it('puts LoadBalancer addresses with loopback and has nothing for a ClusterIP Service', () => {
    const lb: Service = { ...service, spec: { ...service.spec, type: 'LoadBalancer' }, status: { loadBalancer: { ingress: [{ ip: '203.0.113.9' }] } } };
    expect(serviceAddressCandidates(lb).map((c) => c.url)).toEqual(['http://127.0.0.1:31987', 'http://203.0.113.9:8000']);
    const clusterIp: Service = { metadata: { name: 'x' }, spec: { type: 'ClusterIP', ports: [{ port: 8000 }] } };
    expect([...serviceAddressCandidates(clusterIp), ...nodeCandidates(clusterIp, [])]).toEqual([]);
  });
});

describe('Kubectl.namespaceExists', () => {
  const kubectl = (answer: { exitCode?: number; stderr?: string }) =>
    new Kubectl(new FakeRunner([{ match: /get namespace lab/, ...answer }]), 'kubectl', { namespace: 'lab' });
  it('is true, false, or unknown when the user may not read namespaces', async () => {
    expect(await kubectl({}).namespaceExists('lab')).toBe(true);
    expect(await kubectl({ exitCode: 1, stderr: 'Error from server (NotFound): namespaces "lab" not found\n' }).namespaceExists('lab')).toBe(false);
    expect(
      await kubectl({
        exitCode: 1,
        stderr:
          'Error from server (Forbidden): namespaces "lab" is forbidden: User "u" cannot get resource "namespaces" in API group "" in the namespace "lab"\n',
      }).namespaceExists('lab'),
    ).toBeUndefined();
  });
  it('reads the namespace as a cluster-scoped object', () => {
    expect(kubectlArgs.getClusterScoped({ namespace: 'other' }, 'namespace', 'lab')).toEqual([
      'get',
      'namespace',
      'lab',
      '--output',
      'json',
      '--request-timeout=10s',
    ]);
  });
});

describe('stopping and resuming the app (demo-failover --mode hang): the script run here on a process of our own', () => {
  // The script kubectl would run in the pod, run by this machine's python3 against a sleeping
  // python3 whose command line is unique; /proc read independently of the script.
  const linux = process.platform === 'linux';
  it.runIf(linux)('SIGSTOP leaves the process stopped (T), SIGCONT running again; each line says when and the state', async () => {
    const { spawn, execFileSync } = await import('node:child_process');
    const { readFileSync } = await import('node:fs');
    // The interpreter itself, not a wrapper that would exec it under another command line (pyenv's shims).
    const python = execFileSync('python3', ['-c', 'import sys; print(sys.executable)'], { encoding: 'utf8' }).trim();
    const argv = [python, '-c', `import time; time.sleep(30) # k8s-lab test ${process.pid}`];
    const child = spawn(argv[0]!, argv.slice(1), { stdio: 'ignore' });
    const state = () => readFileSync(`/proc/${child.pid}/stat`, 'utf8').split(') ')[1]!.split(' ')[0];
    try {
      await new Promise((resolve) => setTimeout(resolve, 200));
      const script = (signal: 'SIGSTOP' | 'SIGCONT') => kubectlArgs.signalProcess({ namespace: 'lab' }, 'p', 'app', argv, signal).at(-1)!;
      const before = Date.now();
      const stopped = parseSignalled(execFileSync('python3', ['-c', script('SIGSTOP')], { encoding: 'utf8' }));
      expect(stopped).toMatchObject({ found: true, pids: [child.pid], states: ['T'] });
      expect(stopped.atEpochMs).toBeGreaterThanOrEqual(before - 5);
      expect(stopped.atEpochMs).toBeLessThanOrEqual(Date.now());
      expect(state()).toBe('T');
      const resumed = parseSignalled(execFileSync('python3', ['-c', script('SIGCONT')], { encoding: 'utf8' }));
      expect(resumed.states).toEqual(['S']);
      expect(state()).toBe('S');
    } finally {
      child.kill('SIGKILL');
    }
  });
  it('finds nothing when no process has that command line', async () => {
    const kubectl = new Kubectl(new FakeRunner([{ match: /exec helm-python-1 .*SIGCONT/s, stdout: '' }]), 'kubectl', {});
    await expect(kubectl.signalProcess('helm-python-1', 'app', ['python3', '/app/server.py'], 'SIGCONT')).resolves.toEqual({
      found: false,
      pids: [],
      atEpochMs: null,
      states: [],
    });
  });
  it('an exit 137 is a failure for SIGSTOP (only a SIGKILL takes the exec down with the container)', async () => {
    const kubectl = new Kubectl(new FakeRunner([{ match: /exec/, exitCode: 137, stderr: 'command terminated with exit code 137\n' }]), 'kubectl', {});
    await expect(kubectl.signalProcess('helm-python-1', 'app', ['python3', '/app/server.py'], 'SIGSTOP')).rejects.toThrow(/SIGSTOP/);
  });
});

describe('killing the app in a pod (demo-failover --mode kill)', () => {
  it('looks for the exact command line, NUL-separated as /proc/PID/cmdline has it', async () => {
    const args = kubectlArgs.killProcess({ namespace: 'lab' }, 'helm-python-1', 'app', ['python3', '/app/server.py']);
    expect(args.slice(0, 9)).toEqual(['--namespace', 'lab', 'exec', 'helm-python-1', '--container', 'app', '--request-timeout=10s', '--', 'python3']);
    expect(args[9]).toBe('-c');
    const wantLine = args[10]!.split('\n').find((line) => line.startsWith('want = '))!;
    // Evaluated by Python itself (only the assignment, nothing is killed).
    const { execFileSync } = await import('node:child_process');
    const bytes = execFileSync('python3', ['-c', `${wantLine}\nimport sys; sys.stdout.write(repr(want))`], { encoding: 'utf8' });
    expect(bytes).toBe("b'python3\\x00/app/server.py\\x00'");
  });
  it.each([
    [{ stdout: '7 1764752400123 -\n' }, { killed: true, pids: [7], atEpochMs: 1764752400123 }],
    [{ stdout: '' }, { killed: false, pids: [], atEpochMs: null }],
    // The container stopped with its main process and took the exec with it.
    [
      { exitCode: 137, stderr: 'command terminated with exit code 137\n' },
      { killed: true, pids: [], atEpochMs: null },
    ],
    // ... after the line it printed before the kill came through.
    [
      { exitCode: 137, stdout: '7 1764752400123 -\n', stderr: 'command terminated with exit code 137\n' },
      { killed: true, pids: [7], atEpochMs: 1764752400123 },
    ],
  ])('answers %j as %j', async (answer, expected) => {
    const kubectl = new Kubectl(new FakeRunner([{ match: /exec helm-python-1/, ...answer }]), 'kubectl', {});
    await expect(kubectl.killProcess('helm-python-1', 'app', ['python3', '/app/server.py'])).resolves.toEqual(expected);
  });
  it('any other failure is an error', async () => {
    const kubectl = new Kubectl(
      new FakeRunner([{ match: /exec/, exitCode: 1, stderr: 'Error from server (NotFound): pods "helm-python-1" not found\n' }]),
      'kubectl',
      {},
    );
    await expect(kubectl.killProcess('helm-python-1', 'app', ['python3', '/app/server.py'])).rejects.toThrow(/helm-python-1/);
  });
});
