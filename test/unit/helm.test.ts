import { describe, expect, it } from 'vitest';
import { Helm, helmArgs, parseHelmVersion } from '../../src/adapters/helm.js';
import { LabError } from '../../src/errors.js';
import { FakeRunner } from '../support/fake-runner.js';

describe('parseHelmVersion', () => {
  it.each([
    ['v4.1.4+g05fa379\n', { major: 4, version: 'v4.1.4' }],
    ['v3.17.3+ge4da497', { major: 3, version: 'v3.17.3' }],
    ['v3.8.0+gd141386', { major: 3, version: 'v3.8.0' }],
  ])('%j', (output, expected) => expect(parseHelmVersion(output)).toEqual(expected));
  it('rejects Helm 2 with what to do', () => {
    expect(() => parseHelmVersion('Client: v2.17.0+ga690bad\n')).toThrow(/helm v2\.17\.0\+ga690bad is not supported: k8s-lab needs Helm 3 or Helm 4/);
  });
  it('rejects a Helm 3 older than 3.8', () => {
    expect(() => parseHelmVersion('v3.2.4+g0ad800e')).toThrow(/too old/);
  });
  it('rejects output with no version', () => {
    expect(() => parseHelmVersion('command not found')).toThrow(LabError);
  });
});

describe('helmArgs', () => {
  const target = { kubeconfig: '/tmp/kc', context: 'kind-lab', namespace: 'lab' };
  const request = {
    release: 'helm-python',
    chart: '/pkg/chart',
    valuesFiles: ['a.yaml'],
    sets: ['replicaCount=3'],
    setStrings: ['app.version=1.10'],
    timeout: '300s',
  };

  it('builds upgrade --install for Helm 3 without a wait flag', () => {
    expect(helmArgs.upgradeInstall(target, 3, request).join(' ')).toBe(
      '--kubeconfig /tmp/kc --kube-context kind-lab --namespace lab upgrade --install helm-python /pkg/chart --values a.yaml --set replicaCount=3 --set-string app.version=1.10 --timeout 300s --output json',
    );
  });
  it('builds upgrade --install for Helm 4 with the hookOnly wait strategy', () => {
    expect(helmArgs.upgradeInstall({}, 4, { ...request, valuesFiles: [], sets: [], setStrings: [] }).join(' ')).toBe(
      'upgrade --install helm-python /pkg/chart --timeout 300s --wait=hookOnly --output json',
    );
  });
  it('waits for deletion with the flag each major understands', () => {
    expect(helmArgs.uninstall({ namespace: 'lab' }, 3, 'helm-python', '120s')).toEqual([
      '--namespace',
      'lab',
      'uninstall',
      'helm-python',
      '--timeout',
      '120s',
      '--wait',
    ]);
    expect(helmArgs.uninstall({}, 4, 'helm-python', '120s')).toEqual(['uninstall', 'helm-python', '--timeout', '120s', '--wait=watcher']);
  });
  it('keeps a value with spaces as one argument (no shell)', () => {
    const args = helmArgs.upgradeInstall({}, 3, { ...request, valuesFiles: [], sets: [], setStrings: ['app.version=a b; rm -rf /'] });
    expect(args).toContain('app.version=a b; rm -rf /');
  });
});

describe('Helm adapter', () => {
  it('detects the version once for many calls', async () => {
    const runner = new FakeRunner([
      { match: /^version --short$/, stdout: 'v4.1.4+g05fa379\n' },
      { match: /get values/, stdout: '{}' },
    ]);
    const helm = new Helm(runner, 'helm', { namespace: 'lab' });
    expect(await helm.major()).toBe(4);
    await helm.values('a');
    await helm.values('b');
    expect(runner.lines().filter((l) => l.startsWith('version'))).toHaveLength(1);
    expect(runner.lines()[1]).toBe('--namespace lab get values a --all --output json');
  });

  it('returns undefined for a release that is not found, and throws on other failures', async () => {
    const version = { match: /^version --short$/, stdout: 'v3.17.3+ge4da497\n' };
    const missing = new Helm(new FakeRunner([version, { match: /status/, exitCode: 1, stderr: 'Error: release: not found\n' }]), 'helm', {});
    expect(await missing.status('nope')).toBeUndefined();
    const unreachable = new Helm(
      new FakeRunner([
        version,
        {
          match: /status/,
          exitCode: 1,
          stderr: 'Error: Kubernetes cluster unreachable: Get "https://127.0.0.1:6443/version": dial tcp 127.0.0.1:6443: connect: connection refused\n',
        },
      ]),
      'helm',
      {},
    );
    await expect(unreachable.status('x')).rejects.toThrow(/cannot reach the Kubernetes API server/);
  });

  it('reports a missing helm binary with how to get one', async () => {
    const helm = new Helm(new FakeRunner([{ match: /version/, exitCode: 127, notFound: true }]), '/nowhere/helm', {});
    await expect(helm.version()).rejects.toThrow(/helm not found \(looked for \/nowhere\/helm\)/);
  });
});

describe('helmArgs.upgradeReusing', () => {
  it("changes only the given values on top of the release's own, with the same tail as deploy", () => {
    expect(
      helmArgs
        .upgradeReusing({ namespace: 'lab' }, 4, {
          release: 'helm-python',
          chart: '/pkg/chart',
          sets: ['updateStrategy.partition=2', 'replicaCount=3'],
          setStrings: ['app.version=v2'],
          timeout: '300s',
        })
        .join(' '),
    ).toBe(
      '--namespace lab upgrade helm-python /pkg/chart --reuse-values --set updateStrategy.partition=2 --set replicaCount=3 --set-string app.version=v2 --timeout 300s --wait=hookOnly --output json',
    );
  });
});

describe('Helm adapter on bad input', () => {
  const request = { release: 'helm-python', chart: '/pkg/chart', valuesFiles: ['bad.yaml'], sets: ['replicaCount=-1'], setStrings: [], timeout: '300s' };

  it('renders the chart locally with the same values as the upgrade, and no cluster flags', () => {
    expect(helmArgs.template({ kubeconfig: '/k', context: 'c', namespace: 'lab' }, request).join(' ')).toBe(
      '--namespace lab template helm-python /pkg/chart --values bad.yaml --set replicaCount=-1',
    );
  });

  it('turns a schema rejection into a usage error that names the field', async () => {
    const helm = new Helm(
      new FakeRunner([
        { match: /^version/, stdout: 'v3.17.3+ge4da497\n' },
        {
          match: /template/,
          exitCode: 1,
          stderr:
            "Error: values don't meet the specifications of the schema(s) in the following chart(s):\nk8s-lab-counter:\n- replicaCount: Must be greater than or equal to 0\n",
        },
      ]),
      'helm',
      {},
    );
    await expect(helm.validate(request)).rejects.toMatchObject({
      exitCode: 2,
      message: expect.stringMatching(/replicaCount: Must be greater than or equal to 0/),
    });
  });

  it('rejects Helm 2 before asking it anything else (its output is no JSON)', async () => {
    const runner = new FakeRunner([{ match: /./, stdout: 'Client: v2.17.0+ga690bad\n' }]);
    await expect(new Helm(runner, 'helm', {}).status('helm-python')).rejects.toThrow(/helm v2\.17\.0\+ga690bad is not supported/);
    expect(runner.lines()).toEqual(['version --short']);
  });
});
