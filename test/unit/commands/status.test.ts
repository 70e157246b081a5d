import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { callsOf, helm, runCommand } from '../../support/fake-cluster.js';
import { HELM_LIST, HELM_VERSION, NOW, NS, OVERVIEW, OVERVIEW_TEXT } from '../../support/cluster-objects.js';

beforeEach(() => {
  vi.useFakeTimers({ toFake: ['Date'] });
  vi.setSystemTime(NOW);
});
afterEach(() => vi.useRealTimers());

describe('k8s-lab status', () => {
  it('prints the release line and the four kinds', async () => {
    const script = [HELM_VERSION, HELM_LIST, OVERVIEW];
    const run = await runCommand(['-n', 'lab', 'status'], script);
    expect(run).toEqual({
      code: 0,
      stdout: `RELEASE: helm-python   NAMESPACE: lab   REVISION: 3   STATUS: deployed   CHART: k8s-lab-counter-0.1.0\n\n${OVERVIEW_TEXT}\n`,
      stderr: '',
      calls: callsOf(script),
    });
  });

  it('prints JSON with --json', async () => {
    const script = [HELM_VERSION, HELM_LIST, OVERVIEW];
    const run = await runCommand(['-n', 'lab', 'status', '--json'], script);
    expect(run.code).toBe(0);
    const json = JSON.parse(run.stdout) as { release: unknown; pods: { metadata: { name: string } }[]; claims: unknown[] };
    expect(json.release).toEqual({
      name: 'helm-python',
      namespace: 'lab',
      revision: 3,
      status: 'deployed',
      chart: 'k8s-lab-counter-0.1.0',
      appVersion: 'v1',
      updated: '2026-11-24 03:13:42 +0000 UTC',
    });
    expect(json.pods.map((p) => p.metadata.name)).toEqual(['helm-python-0', 'helm-python-1']);
    expect(json.claims).toHaveLength(2);
    expect(run.stderr).toBe('');
  });

  it('fails with one line when the release is not installed', async () => {
    const script = [HELM_VERSION, helm([...NS, 'list', '--filter', '^helm-python$', '--output', 'json'], { stdout: [] })];
    const run = await runCommand(['-n', 'lab', 'status'], script);
    expect(run).toEqual({
      code: 1,
      stdout: '',
      stderr: '✖ release helm-python is not installed in namespace lab — deploy it: `k8s-lab deploy`\n',
      calls: callsOf(script),
    });
  });
});
