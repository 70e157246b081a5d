import { describe, expect, test } from 'vitest';
import { renderPanel } from '../../src/live/panel.js';
import type { LiveEvent } from '../../src/events.js';
import { stateOf } from '../support/live-state.js';

// Scripted runs of the two lessons (demo-failover, demo-scale), rendered at 80 columns without
// colour. The frames below are written out by hand from what each event means.
const R1 = 'helm-python-6d8f7c9b5';
const RO = 'helm-python-ordered-5b7c8d9f6';
type Change = 'created' | 'scheduled' | 'ready' | 'not-ready' | 'deleting' | 'deleted';
const pod = (t: number, name: string, change: Change, revision = R1, baseline?: boolean): LiveEvent => ({
  kind: 'pod',
  t,
  pod: name,
  change,
  revision,
  version: 'v1',
  ...(baseline && { baseline }),
});
const ok = (t: number, name: string, counter: number, latencyMs: number): LiveEvent => ({
  kind: 'sample',
  sample: { t, ok: true, latencyMs, pod: name, version: 'v1', counter },
});
const fail = (t: number): LiveEvent => ({ kind: 'sample', sample: { t, ok: false, latencyMs: 0, error: 'ECONNREFUSED' } });
const phase = (t: number, name: string, detail: string): LiveEvent => ({ kind: 'phase', t, name, detail });
const frame = (events: LiveEvent[], now: number) => renderPanel(stateOf(events), { width: 80, color: false, now });

describe('renderPanel: demo-failover --mode kill', () => {
  // helm-python-1's app is SIGKILLed at 2.1 s: requests fail from 2.5 s, the kubelet marks the pod
  // not Ready at 2.8 s, the endpoints drop it (3.1 s answers again), the restarted container is Ready at 4.2 s.
  const during: LiveEvent[] = [
    { kind: 'start', t: 0, epochMs: 0, title: 'failover (kill) of helm-python-1', release: 'helm-python', replicas: 2 },
    pod(0, 'helm-python-0', 'ready', R1, true),
    pod(0, 'helm-python-1', 'ready', R1, true),
    phase(100, 'baseline', 'traffic before the failure'),
    ok(1000, 'helm-python-0', 10, 3),
    ok(1100, 'helm-python-1', 8, 5),
    phase(2100, 'fail', 'SIGKILL to the app (python3 /app/server.py) in helm-python-1: no SIGTERM, no drain'),
    phase(2400, 'recover', 'until helm-python-1 is Ready again (the container restarted by the kubelet)'),
    fail(2500),
    fail(2600),
    fail(2700),
    pod(2800, 'helm-python-1', 'not-ready'),
  ];

  test('during the outage: the header names the mode and the pod, the pod not Ready, OUTAGE under way', () => {
    // REQ/5s at 3.0 s counts answers after -2.0 s: one each. Latencies 3 and 5: p50 3, p99 5.
    expect(frame(during, 3000)).toBe(
      [
        'failover (kill) of helm-python-1 · 3.0 s',
        '▸ recover · waiting for helm-python-1 Ready on v1 · 0.6 s',
        '',
        'POD            VERSION       STATE            CANARY  REQ/5s  COUNTER',
        // STATE is 15 wide ('not Ready 0.2 s'): 4 + 2 + 6 (CANARY) + 2 + 5 spaces before a one-digit REQ.
        'helm-python-0  v1 6d8f7c9b5  Ready 3.0 s' + ' '.repeat(19) + '1' + ' '.repeat(7) + '10',
        'helm-python-1  v1 6d8f7c9b5  not Ready 0.2 s' + ' '.repeat(15) + '1' + ' '.repeat(8) + '8',
        '',
        'probe: 5 sent, 2 ok, 3 failed · OUTAGE 0.5 s · p50 3 ms, p99 5 ms',
        '   0.1 s  ▸ baseline:  traffic before the failure',
        '   2.1 s  ▸ fail:  SIGKILL to the app (python3 /app/server.py) in helm-python-1…',
        '   2.4 s  ▸ recover:  until helm-python-1 is Ready again (the container restart…',
        '   2.5 s  probe  outage began (ECONNREFUSED)',
        '   2.8 s  helm-python-1  not Ready  v1',
      ].join('\n'),
    );
  });

  test('after the restart: the same pod Ready again, its counter carried on, the outage over', () => {
    const after = [
      ...during,
      ok(3100, 'helm-python-0', 11, 6),
      pod(4200, 'helm-python-1', 'ready'),
      phase(4300, 'settle', 'traffic after the pod is back'),
      ok(4400, 'helm-python-1', 9, 4),
    ];
    // 3.1 - 2.5 = 0.6 s without an answer. Latencies 3 5 6 4 sorted 3 4 5 6: p50 the 2nd (4), p99 the 4th (6).
    // Eight event lines: the last six shown.
    expect(frame(after, 5000)).toBe(
      [
        'failover (kill) of helm-python-1 · 5.0 s',
        '▸ settle · traffic after the pod is back · 0.7 s',
        '',
        'POD            VERSION       STATE        CANARY  REQ/5s  COUNTER',
        'helm-python-0  v1 6d8f7c9b5  Ready 5.0 s' + ' '.repeat(15) + '2' + ' '.repeat(7) + '11',
        'helm-python-1  v1 6d8f7c9b5  Ready 0.8 s' + ' '.repeat(15) + '2' + ' '.repeat(8) + '9',
        '',
        'probe: 7 sent, 4 ok, 3 failed · 1 outage, longest 0.6 s · p50 4 ms, p99 6 ms',
        '   2.4 s  ▸ recover:  until helm-python-1 is Ready again (the container restart…',
        '   2.5 s  probe  outage began (ECONNREFUSED)',
        '   2.8 s  helm-python-1  not Ready  v1',
        '   3.1 s  probe  outage ended after 0.6 s, 3 failed',
        '   4.2 s  helm-python-1  Ready  v1',
        '   4.3 s  ▸ settle:  traffic after the pod is back',
      ].join('\n'),
    );
  });
});

describe('renderPanel: demo-scale', () => {
  test('OrderedReady on the temporary release after Parallel: only its pods, its probe; pods created one after another', () => {
    const events: LiveEvent[] = [
      { kind: 'start', t: 0, epochMs: 0, title: 'scale of helm-python: 2 → 4 (Parallel)', release: 'helm-python', replicas: 2 },
      pod(0, 'helm-python-0', 'ready', R1, true),
      pod(0, 'helm-python-1', 'ready', R1, true),
      phase(100, 'Parallel: baseline', 'traffic before scaling'),
      ok(500, 'helm-python-0', 5, 3),
      // The second policy runs on the temporary release: a new start.
      { kind: 'start', t: 30_000, epochMs: 0, title: 'scale of helm-python-ordered: 2 → 4 (OrderedReady)', release: 'helm-python-ordered', replicas: 2 },
      phase(
        30_000,
        'OrderedReady: install',
        'helm install helm-python-ordered: podManagementPolicy OrderedReady (it cannot be changed on a live StatefulSet), 2 replicas, NodePort 31922; removed afterwards with its PVCs',
      ),
      pod(31_000, 'helm-python-ordered-0', 'ready', RO, true),
      pod(31_000, 'helm-python-ordered-1', 'ready', RO, true),
      phase(31_500, 'OrderedReady: baseline', 'traffic before scaling'),
      ok(32_500, 'helm-python-ordered-0', 3, 4),
      phase(33_500, 'OrderedReady: scale up', '2 → 4 (helm upgrade replicaCount=4)'),
      pod(34_000, 'helm-python-ordered-2', 'created', RO),
      pod(34_100, 'helm-python-ordered-2', 'scheduled', RO),
      pod(36_000, 'helm-python-ordered-2', 'ready', RO),
      pod(36_100, 'helm-python-ordered-3', 'created', RO),
      ok(36_500, 'helm-python-ordered-2', 0, 7),
    ];
    // The probe counts only the temporary release's two answers (latencies 4 and 7); REQ/5s at
    // 37.0 s counts answers after 32.0 s. No pod is a canary: the mark is the canary strategy's.
    expect(frame(events, 37_000)).toBe(
      [
        'scale of helm-python-ordered: 2 → 4 (OrderedReady) · 37.0 s',
        '▸ OrderedReady: scale up · waiting for helm-python-ordered-3 Ready on v1 · 3.5 s',
        '',
        'POD                    VERSION       STATE          CANARY  REQ/5s  COUNTER',
        'helm-python-ordered-0  v1 5b7c8d9f6  Ready 6.0 s                 1        3',
        'helm-python-ordered-1  v1 5b7c8d9f6  Ready 6.0 s                 0',
        'helm-python-ordered-2  v1 5b7c8d9f6  Ready 1.0 s                 1        0',
        'helm-python-ordered-3  v1 5b7c8d9f6  Pending 0.9 s               0',
        '',
        'probe: 2 sent, 2 ok, 0 failed · no outage · p50 4 ms, p99 7 ms',
        '  30.0 s  ▸ OrderedReady: install:  helm install helm-python-ordered: podManage…',
        '  31.5 s  ▸ OrderedReady: baseline:  traffic before scaling',
        '  33.5 s  ▸ OrderedReady: scale up:  2 → 4 (helm upgrade replicaCount=4)',
        '  34.0 s  helm-python-ordered-2  created  v1',
        '  36.0 s  helm-python-ordered-2  Ready  v1',
        '  36.1 s  helm-python-ordered-3  created  v1',
      ].join('\n'),
    );
  });
});
