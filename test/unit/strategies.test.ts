// What each recreate method and a rolling update with maxUnavailable change, in order: a stand-in
// session records every helm upgrade's values and every pod deletion.
import { describe, expect, it } from 'vitest';
import type { DemoSession, ValueChange } from '../../src/demos/session.js';
import { strategies, type StrategyPlan } from '../../src/demos/strategies.js';

function fakeSession() {
  const steps: (['upgrade', ValueChange] | ['delete', string[], number | undefined] | ['phase', string])[] = [];
  const session = {
    notes: [] as string[],
    lab: {
      release: 'helm-python',
      releaseSelector: 'x',
      kubectl: { pods: async () => [{ metadata: { name: 'helm-python-0' } }, { metadata: { name: 'helm-python-1' } }] },
    },
    phase: async (name: string, _detail: string, body: () => Promise<unknown>) => {
      steps.push(['phase', name]);
      return body();
    },
    upgrade: async (values: ValueChange) => void steps.push(['upgrade', values]),
    deletePods: async (names: string[], grace?: number) => void steps.push(['delete', names, grace]),
    waitFor: async () => ({ statefulSet: {}, pods: [] }),
  };
  return { session: session as unknown as DemoSession, steps, notes: session.notes };
}

const plan: StrategyPlan = {
  replicas: 2,
  from: 'v1',
  to: 'v2',
  canaryPercent: 25,
  checkMs: 0,
  readyTimeoutMs: 0,
  broken: false,
  keepCanaryPvcs: false,
  recreate: 'emulated',
};

describe('recreate', () => {
  it('native: one upgrade to Recreate with the new version, no pod deleted by k8s-lab, then back to RollingUpdate at partition 0', async () => {
    const { session, steps, notes } = fakeSession();
    await strategies.recreate(session, { ...plan, recreate: 'native' });
    expect(steps).toEqual([
      ['phase', 'recreate'],
      ['upgrade', { 'app.version': 'v2', 'app.broken': false, 'updateStrategy.type': 'Recreate' }],
      ['phase', 'restore'],
      ['upgrade', { 'updateStrategy.type': 'RollingUpdate', 'updateStrategy.partition': 0 }],
    ]);
    expect(notes.join(' ')).toContain('native Recreate (StatefulSetRecreateStrategy)');
  });

  it('emulated: OnDelete with the new version, every pod deleted with a 2 s grace period, then back to RollingUpdate', async () => {
    const { session, steps, notes } = fakeSession();
    await strategies.recreate(session, plan);
    expect(steps).toEqual([
      ['phase', 'prepare'],
      ['upgrade', { 'app.version': 'v2', 'app.broken': false, 'updateStrategy.type': 'OnDelete' }],
      ['phase', 'recreate'],
      ['delete', ['helm-python-0', 'helm-python-1'], 2],
      ['phase', 'restore'],
      ['upgrade', { 'updateStrategy.type': 'RollingUpdate', 'updateStrategy.partition': 0 }],
    ]);
    expect(notes.join(' ')).toContain('emulated: OnDelete + delete');
  });
});

describe('rolling', () => {
  it('without maxUnavailable: one upgrade, maxUnavailable never touched', async () => {
    const { session, steps } = fakeSession();
    await strategies.rolling(session, plan);
    expect(steps).toEqual([
      ['phase', 'rollout'],
      ['upgrade', { 'app.version': 'v2', 'app.broken': false, 'updateStrategy.type': 'RollingUpdate', 'updateStrategy.partition': 0 }],
    ]);
  });

  it('with maxUnavailable 2: set with the new version, then put back to none ("": under --reuse-values a null would keep the 2)', async () => {
    const { session, steps } = fakeSession();
    await strategies.rolling(session, { ...plan, maxUnavailable: 2, previousMaxUnavailable: null });
    expect(steps).toEqual([
      ['phase', 'rollout'],
      [
        'upgrade',
        { 'app.version': 'v2', 'app.broken': false, 'updateStrategy.type': 'RollingUpdate', 'updateStrategy.partition': 0, 'updateStrategy.maxUnavailable': 2 },
      ],
      ['phase', 'restore'],
      ['upgrade', { 'updateStrategy.maxUnavailable': '' }],
    ]);
  });

  it('with 50% where the release had 1: put back to 1', async () => {
    const { session, steps } = fakeSession();
    await strategies.rolling(session, { ...plan, maxUnavailable: '50%', previousMaxUnavailable: 1 });
    expect(steps.at(-1)).toEqual(['upgrade', { 'updateStrategy.maxUnavailable': 1 }]);
  });
});
