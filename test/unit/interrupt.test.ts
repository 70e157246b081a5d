import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { helmArgs } from '../../src/adapters/helm.js';
import { describeEvents, type KubeEvent, type List, type Pod, type StatefulSet } from '../../src/adapters/kube-objects.js';
import { Kubectl, kubectlArgs } from '../../src/adapters/kubectl.js';
import type { RunRecord } from '../../src/demos/record.js';
import { claimsLeftBehind, notReadyPods, stuckPods } from '../../src/demos/undo.js';
import { InterruptedError } from '../../src/errors.js';
import { Interrupts } from '../../src/interrupt.js';
import { runsByStrategy } from '../../src/report/strategy-sections.js';
import { waitForStatefulSet, type RolloutState } from '../../src/rollout.js';
import { FakeRunner } from '../support/fake-runner.js';

describe('Interrupts', () => {
  it('stops at once on the first signal when nothing needs undoing', () => {
    const interrupts = new Interrupts();
    const stop = interrupts.receive('SIGINT');
    expect(stop).toBeInstanceOf(InterruptedError);
    expect(stop?.message).toBe('interrupted (SIGINT)');
    expect(stop?.exitCode).toBe(130);
    expect(interrupts.signal.aborted).toBe(true);
  });

  it('lets undoable work finish on the first signal, and stops at once on the second', async () => {
    const interrupts = new Interrupts();
    const seen: (InterruptedError | undefined)[] = [];
    await interrupts.whileUndoable(async (signal) => {
      seen.push(interrupts.receive('SIGTERM'));
      expect(signal.aborted).toBe(true);
      expect((signal.reason as Error).message).toBe('interrupted (SIGTERM)');
      seen.push(interrupts.receive('SIGINT'));
    });
    expect(seen[0]).toBeUndefined();
    expect(seen[1]?.message).toBe("interrupted again (SIGINT): stopped before the demo's changes were undone");
    expect(seen[1]?.hint).toMatch(/k8s-lab deploy/);
    // Once the undoable work is over, a signal just stops.
    expect(interrupts.receive('SIGINT')?.message).toBe('interrupted (SIGTERM)');
  });
});

describe('waitForStatefulSet and Ctrl-C', () => {
  const sts = {
    metadata: { name: 'helm-python', generation: 2 },
    spec: { replicas: 2, selector: { matchLabels: { app: 'x' } } },
    status: { observedGeneration: 1 },
  } as unknown as StatefulSet;
  const runner = new FakeRunner([
    { match: /get statefulset helm-python/, stdout: JSON.stringify(sts) },
    { match: /get pods/, stdout: JSON.stringify({ items: [] }) },
  ]);
  const kubectl = new Kubectl(runner, 'kubectl', { namespace: 'lab' });

  it('stops waiting with the interruption, between two polls', async () => {
    const controller = new AbortController();
    const waiting = waitForStatefulSet(kubectl, 'helm-python', { timeoutMs: 60_000, pollMs: 10_000, signal: controller.signal });
    setTimeout(() => controller.abort(new InterruptedError('interrupted (SIGINT)')), 50);
    const started = Date.now();
    await expect(waiting).rejects.toThrow('interrupted (SIGINT)');
    expect(Date.now() - started).toBeLessThan(5000);
  });

  it('does not start when already interrupted', async () => {
    const before = runner.calls.length;
    await expect(
      waitForStatefulSet(kubectl, 'helm-python', { timeoutMs: 60_000, signal: AbortSignal.abort(new InterruptedError('interrupted (SIGTERM)')) }),
    ).rejects.toThrow('interrupted (SIGTERM)');
    expect(runner.calls.length).toBe(before);
  });
});

describe('undo and recovery calls', () => {
  it('helm rollback to a revision, asking neither Helm to wait for resources', () => {
    expect(helmArgs.rollback({ namespace: 'lab' }, 3, 'helm-python', 7, '300s')).toEqual([
      '--namespace',
      'lab',
      'rollback',
      'helm-python',
      '7',
      '--timeout',
      '300s',
    ]);
    expect(helmArgs.rollback({}, 4, 'helm-python', 7, '300s')).toEqual(['rollback', 'helm-python', '7', '--timeout', '300s', '--wait=hookOnly']);
    // No revision: helm's own default, the one before the latest (what frees a release left pending).
    expect(helmArgs.rollback({}, 4, 'helm-python', undefined, '300s')).toEqual(['rollback', 'helm-python', '--timeout', '300s', '--wait=hookOnly']);
  });

  it("reads one pod incarnation's events by name and UID", () => {
    expect(kubectlArgs.events({ namespace: 'lab' }, { name: 'helm-python-1', uid: 'u-1' })).toEqual([
      '--namespace',
      'lab',
      'get',
      'events',
      '--field-selector',
      'involvedObject.name=helm-python-1,involvedObject.uid=u-1',
      '--output',
      'json',
      '--request-timeout=10s',
    ]);
    expect(kubectlArgs.events({}, { name: 'helm-python-1' })).toContain('involvedObject.name=helm-python-1');
  });
});

describe('describeEvents', () => {
  // Recorded on the local cluster: a pod whose readiness never passes (app.broken), after earlier
  // incarnations of the same pod name.
  const recorded = (JSON.parse(readFileSync(new URL('../fixtures/kubectl-events-stuck.json', import.meta.url), 'utf8')) as List<KubeEvent>).items;

  it('says what the warnings keep saying, the most repeated first', () => {
    expect(describeEvents(recorded)).toBe('Unhealthy: Readiness probe failed: HTTP probe failed with statuscode: 503 (×21)');
  });

  it('falls back to normal events, newest first, and says nothing without events', () => {
    const normal: KubeEvent[] = [
      { type: 'Normal', reason: 'Scheduled', message: 'assigned', lastTimestamp: '2026-11-24T06:00:00Z' },
      { type: 'Normal', reason: 'Pulling', message: 'pulling image', lastTimestamp: '2026-11-24T06:00:05Z' },
    ];
    expect(describeEvents(normal)).toBe('Pulling: pulling image');
    expect(describeEvents(normal, 2)).toBe('Pulling: pulling image; Scheduled: assigned');
    expect(describeEvents([])).toBe('');
  });
});

describe('what undoing touches', () => {
  const pod = (name: string, revision: string, ready: boolean, deleting = false): Pod =>
    ({
      metadata: { name, labels: { 'controller-revision-hash': revision }, ...(deleting && { deletionTimestamp: '2026-11-24T06:00:00Z' }) },
      status: { conditions: [{ type: 'Ready', status: ready ? 'True' : 'False' }] },
    }) as unknown as Pod;
  const state = (pods: Pod[]): RolloutState => ({
    statefulSet: { metadata: { name: 'helm-python' }, spec: {}, status: { updateRevision: 'old' } } as unknown as StatefulSet,
    pods,
  });

  it('replaces only pods neither Ready nor on the reverted revision, and not already going', () => {
    const s = state([
      pod('helm-python-0', 'old', true),
      pod('helm-python-1', 'new', false),
      pod('helm-python-2', 'new', false, true),
      pod('helm-python-3', 'old', false),
    ]);
    expect(stuckPods(s)).toEqual(['helm-python-1']);
    expect(notReadyPods(s)).toEqual(['helm-python-1', 'helm-python-3']);
  });

  it('deletes only the canary PVCs the demo made, never one that was there before', () => {
    const start = {
      revision: 3,
      version: 'v1',
      replicas: 2,
      claims: ['counter-data-py-helm-python-0', 'counter-data-py-helm-python-1', 'counter-data-py-helm-python-3'],
    };
    const now = [
      'counter-data-py-helm-python-0',
      'counter-data-py-helm-python-1',
      'counter-data-py-helm-python-2',
      'counter-data-py-helm-python-3',
      'counter-data-py-other-2',
    ];
    expect(claimsLeftBehind(now, start, 'helm-python')).toEqual(['counter-data-py-helm-python-2']);
  });
});

describe('interrupted runs in the report', () => {
  const run = (id: string, startedAt: string, verdict: RunRecord['verdict']) => ({ id, strategy: 'rolling', startedAt, verdict }) as RunRecord;

  it('come after the finished runs of their strategy, so the latest finished one is compared', () => {
    const runs = [run('a', '2026-11-24T06:00:00Z', 'passed'), run('b', '2026-11-24T07:00:00Z', 'interrupted'), run('c', '2026-11-24T05:00:00Z', 'failed')];
    expect(
      runsByStrategy(runs)
        .get('rolling')
        ?.map((r) => r.id),
    ).toEqual(['a', 'c', 'b']);
    expect(
      runsByStrategy([run('b', '2026-11-24T07:00:00Z', 'interrupted')])
        .get('rolling')
        ?.map((r) => r.id),
    ).toEqual(['b']);
  });
});
