import { PassThrough } from 'node:stream';
import { describe, expect, test } from 'vitest';
import { renderPanel } from '../../src/live/panel.js';
import type { LiveEvent } from '../../src/events.js';
import { stateOf } from '../support/live-state.js';
import { createLiveView } from '../../src/live/view.js';

// Scripted runs of two replicas (helm-python-0, -1) going from v1 to v2, rendered at 80 columns
// without colour. The frames below are written out by hand from what each event means.
const R1 = 'helm-python-6d8f7c9b5';
const R2 = 'helm-python-84c5d9f7a';
const start = (strategy: string, replicas = 2): LiveEvent => ({
  kind: 'start',
  t: 0,
  epochMs: 0,
  title: `${strategy} update of helm-python:`,
  release: 'helm-python',
  from: 'v1',
  to: 'v2',
  replicas,
  strategy,
});
const baseline = (n: number): LiveEvent[] =>
  Array.from({ length: n }, (_, i): LiveEvent => ({
    kind: 'pod',
    t: 0,
    pod: `helm-python-${i}`,
    change: 'ready',
    revision: R1,
    version: 'v1',
    baseline: true,
  }));
const pod = (t: number, name: string, change: 'created' | 'scheduled' | 'ready' | 'not-ready' | 'deleting' | 'deleted', version = 'v2'): LiveEvent => ({
  kind: 'pod',
  t,
  pod: name,
  change,
  revision: version === 'v2' ? R2 : R1,
  version,
});
const ok = (t: number, name: string, version: string, counter: number, latencyMs = 4): LiveEvent => ({
  kind: 'sample',
  sample: { t, ok: true, latencyMs, pod: name, version, counter },
});
const fail = (t: number): LiveEvent => ({ kind: 'sample', sample: { t, ok: false, latencyMs: 0, error: 'ECONNREFUSED' } });
const phase = (t: number, name: string, detail: string): LiveEvent => ({ kind: 'phase', t, name, detail });
const frame = (events: LiveEvent[], now: number) => renderPanel(stateOf(events), { width: 80, color: false, now });

describe('renderPanel', () => {
  test('a canary during its check: the canary pod on v2, marked, answering its share', () => {
    const events: LiveEvent[] = [
      start('canary'),
      ...baseline(2),
      phase(100, 'baseline', 'traffic before any change'),
      ok(1000, 'helm-python-0', 'v1', 40, 3),
      phase(5100, 'scale-out', '1 canary pod (helm-python-2) at v2, partition 2'),
      pod(5600, 'helm-python-2', 'created'),
      pod(5700, 'helm-python-2', 'scheduled'),
      pod(9200, 'helm-python-2', 'ready'),
      phase(9300, 'check', '10 s of traffic through the Service'),
      ok(9400, 'helm-python-2', 'v2', 1, 9),
      ok(9500, 'helm-python-0', 'v1', 41, 5),
      ok(9600, 'helm-python-1', 'v1', 30, 4),
      ok(9700, 'helm-python-2', 'v2', 2, 6),
      ok(9800, 'helm-python-2', 'v2', 3, 7),
    ];
    // Latencies 3, 9, 5, 4, 6, 7 sorted: 3 4 5 6 7 9; p50 is the 3rd (5), p99 the 6th (9).
    // REQ/5s at 12.0 s counts answers after 7.0 s: -0 once, -1 once, -2 three times.
    expect(frame(events, 12_000)).toBe(
      [
        'canary update of helm-python: v1 → v2 · 12.0 s',
        '▸ check · 10 s of traffic through the Service · 2.7 s',
        '',
        'POD            VERSION       STATE         CANARY  REQ/5s  COUNTER',
        'helm-python-0  v1 6d8f7c9b5  Ready 12.0 s               1       41',
        'helm-python-1  v1 6d8f7c9b5  Ready 12.0 s               1       30',
        'helm-python-2  v2 84c5d9f7a  Ready 2.8 s   canary       3        3',
        '',
        'probe: 6 sent, 6 ok, 0 failed · no outage · p50 5 ms, p99 9 ms',
        '   0.1 s  ▸ baseline:  traffic before any change',
        '   5.1 s  ▸ scale-out:  1 canary pod (helm-python-2) at v2, partition 2',
        '   5.6 s  helm-python-2  created  v2',
        '   9.2 s  helm-python-2  Ready  v2',
        '   9.3 s  ▸ check:  10 s of traffic through the Service',
      ].join('\n'),
    );
  });

  test('a recreate: the outage in red words while under way, then ended', () => {
    const during: LiveEvent[] = [
      start('recreate'),
      ...baseline(2),
      phase(5000, 'recreate', 'delete all 2 pods at once'),
      ok(5100, 'helm-python-1', 'v1', 12, 5),
      pod(5300, 'helm-python-0', 'deleting', 'v1'),
      pod(5300, 'helm-python-1', 'deleting', 'v1'),
      pod(5400, 'helm-python-0', 'not-ready', 'v1'),
      fail(5500),
      fail(5600),
      fail(5700),
      pod(6000, 'helm-python-0', 'deleted', 'v1'),
      pod(6100, 'helm-python-0', 'created'),
    ];
    expect(frame(during, 6500)).toBe(
      [
        'recreate update of helm-python: v1 → v2 · 6.5 s',
        '▸ recreate · waiting for helm-python-0 Ready on v2 · 1.5 s',
        '',
        'POD            VERSION       STATE              CANARY  REQ/5s  COUNTER',
        'helm-python-0  v2 84c5d9f7a  Pending 0.4 s                   0',
        'helm-python-1  v1 6d8f7c9b5  Terminating 1.2 s               1       12',
        '',
        'probe: 4 sent, 1 ok, 3 failed · OUTAGE 1.0 s · p50 5 ms, p99 5 ms',
        '   5.3 s  helm-python-0  deleting  v1',
        '   5.3 s  helm-python-1  deleting  v1',
        '   5.4 s  helm-python-0  not Ready  v1',
        '   5.5 s  probe  outage began (ECONNREFUSED)',
        '   6.0 s  helm-python-0  deleted  v1',
        '   6.1 s  helm-python-0  created  v2',
      ].join('\n'),
    );
    const after = [
      ...during,
      pod(6200, 'helm-python-1', 'deleted', 'v1'),
      pod(6300, 'helm-python-1', 'created'),
      pod(7400, 'helm-python-0', 'ready'),
      ok(7500, 'helm-python-0', 'v2', 0, 8),
      pod(7600, 'helm-python-1', 'ready'),
    ];
    const lines = frame(after, 8000).split('\n');
    // 7.5 - 5.5 = 2.0 s without an answer; latencies 5 and 8: p50 5, p99 8.
    expect(lines[1]).toBe('▸ recreate · delete all 2 pods at once · 3.0 s');
    expect(lines[4]).toBe('helm-python-0  v2 84c5d9f7a  Ready 0.6 s' + ' '.repeat(15) + '1        0');
    expect(lines[5]).toBe('helm-python-1  v2 84c5d9f7a  Ready 0.4 s' + ' '.repeat(15) + '0');
    expect(lines[7]).toBe('probe: 5 sent, 2 ok, 3 failed · 1 outage, longest 2.0 s · p50 5 ms, p99 8 ms');
    expect(lines.slice(-3)).toEqual([
      '   7.4 s  helm-python-0  Ready  v2',
      '   7.5 s  probe  outage ended after 2.0 s, 3 failed',
      '   7.6 s  helm-python-1  Ready  v2',
    ]);
  });

  test('an undo after Ctrl-C: the undo phase and its steps, long lines cut at 80 columns', () => {
    const events: LiveEvent[] = [
      start('rolling'),
      ...baseline(2),
      phase(5000, 'rollout', 'RollingUpdate to v2, highest ordinal first'),
      pod(5200, 'helm-python-1', 'deleting', 'v1'),
      { kind: 'note', t: 5400, warn: true, text: "interrupted (Ctrl-C): undoing the demo's changes first (again stops at once)" },
      phase(5500, 'undo', 'back to v1: helm rollback to revision 1, pods not Ready replaced'),
      { kind: 'note', t: 6000, text: 'held at v1 with partition 2: no more pods change while those under way finish' },
      pod(6100, 'helm-python-1', 'deleted', 'v1'),
      pod(6200, 'helm-python-1', 'created', 'v1'),
    ];
    expect(frame(events, 7000)).toBe(
      [
        'rolling update of helm-python: v1 → v2 · 7.0 s',
        '▸ undo · waiting for helm-python-1 Ready on v1 · 1.5 s',
        '',
        'POD            VERSION       STATE          CANARY  REQ/5s  COUNTER',
        'helm-python-0  v1 6d8f7c9b5  Ready 7.0 s                 0',
        'helm-python-1  v1 6d8f7c9b5  Pending 0.8 s               0',
        '',
        'probe: 0 sent, 0 ok, 0 failed · no outage · p50 0 ms, p99 0 ms',
        '   5.2 s  helm-python-1  deleting  v1',
        "   5.4 s  note  interrupted (Ctrl-C): undoing the demo's changes first (again s…",
        '   5.5 s  ▸ undo:  back to v1: helm rollback to revision 1, pods not Ready repl…',
        '   6.0 s  note  held at v1 with partition 2: no more pods change while those un…',
        '   6.1 s  helm-python-1  deleted  v1',
        '   6.2 s  helm-python-1  created  v1',
      ].join('\n'),
    );
    // Seven events: the oldest (the rollout phase) is off the list, six lines at most.
    expect(frame(events, 7000)).not.toContain('▸ rollout:');
  });

  test('fits the width with 20 pods, and colours the outage red only when asked', () => {
    const events: LiveEvent[] = [start('recreate', 20), ...baseline(20), phase(10, 'recreate', 'delete all 20 pods at once '.repeat(5)), fail(100)];
    for (const width of [80, 60]) {
      for (const line of renderPanel(stateOf(events), { width, color: false, now: 200 }).split('\n')) expect(line.length).toBeLessThanOrEqual(width);
    }
    expect(renderPanel(stateOf(events), { width: 80, color: false, now: 200 })).not.toContain('\u001b[');
    expect(renderPanel(stateOf(events), { width: 80, color: 1, now: 200 })).toContain('\u001b[31mOUTAGE 0.1 s\u001b[39m');
  });
});

describe('off a terminal', () => {
  test('each event is one timestamped line on the stream, in order; the panel never drawn', async () => {
    const stream = Object.assign(new PassThrough(), { isTTY: false });
    let text = '';
    stream.on('data', (chunk: Buffer) => (text += chunk.toString()));
    const view = await createLiveView({ stream, env: {} });
    expect(view.interactive).toBe(false);
    for (const event of [
      start('rolling'),
      ...baseline(2),
      phase(300, 'rollout', 'RollingUpdate to v2'),
      pod(1200, 'helm-python-1', 'deleting', 'v1'),
      fail(1300),
      fail(1400),
      ok(2500, 'helm-python-0', 'v1', 7),
      pod(12_400, 'helm-python-1', 'ready'),
    ])
      view.feed(event);
    view.stop();
    expect(text).toBe(
      [
        '   0.3 s  ▸ rollout:  RollingUpdate to v2',
        '   1.2 s  helm-python-1  deleting  v1',
        '   1.3 s  probe  outage began (ECONNREFUSED)',
        '   2.5 s  probe  outage ended after 1.2 s, 2 failed',
        '  12.4 s  helm-python-1  Ready  v2',
        '',
      ].join('\n'),
    );
  });
});
