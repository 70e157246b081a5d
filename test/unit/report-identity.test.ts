import { describe, expect, it } from 'vitest';
import type { IdentityRecord } from '../../src/demos/identity-analysis.js';
import { identityLanes, identityRuns, identitySection, renderIdentitySvg } from '../../src/report/identity.js';

const DNS = 'helm-python-1.helm-python-headless.lab.svc.cluster.local';

/** A node-local run as measured on the three-node cluster, its figures worked by hand below. */
function pinnedRecord(over: Partial<IdentityRecord> = {}): IdentityRecord {
  const before = {
    pod: 'helm-python-1',
    hostname: 'helm-python-1',
    dnsName: DNS,
    resolved: ['10.244.2.3'],
    ip: '10.244.2.3',
    node: 'worker2',
    uid: 'old',
    pvc: 'counter-data-py-helm-python-1',
    pvcUid: 'pvc-1',
    counter: 5,
  };
  return {
    schema: 1,
    lesson: 'identity',
    id: '2026-12-03T12-49-58-481Z-identity',
    release: 'helm-python',
    namespace: 'lab',
    pod: 'helm-python-1',
    resolver: 'helm-python-0',
    options: { replicas: 2, intervalMs: 100, settleMs: 2000, pendingForMs: 10000 },
    environment: { kubernetes: 'v1.37.2', helm: 'v4.1.4', kubectl: 'v1.35.0', k8sLab: '0.1.0', node: 'v24' },
    startedAt: '2026-12-03T12:49:58.481Z',
    endedAt: '2026-12-03T12:50:31.154Z',
    durationMs: 32673,
    phases: [
      { name: 'baseline', start: 483, end: 2483 },
      { name: 'settle', start: 30672, end: 32673 },
    ],
    podEvents: [
      { t: 2860, pod: 'helm-python-1', type: 'deleting' },
      { t: 8647, pod: 'helm-python-1', type: 'deleted' },
      { t: 8693, pod: 'helm-python-1', type: 'created' },
      { t: 19646, pod: 'helm-python-1', type: 'scheduled' },
      { t: 21698, pod: 'helm-python-1', type: 'ready' },
    ],
    deletedAt: 2673,
    node: { name: 'worker2', cordonedAt: 2484, uncordonedAt: 19500 },
    volume: {
      pv: 'pvc-x',
      storageClass: 'standard',
      allowedNodes: ['worker2'],
      elsewhere: [],
      canMove: false,
      why: "its volume pvc-x (class standard) is node-local: the PV's nodeAffinity allows only worker2",
    },
    scheduling: [{ reason: 'FailedScheduling', message: "0/3 nodes are available: 1 node(s) didn't match PersistentVolume's node affinity" }],
    before,
    after: { ...before, resolved: ['10.244.2.7'], ip: '10.244.2.7', uid: 'new', counter: 64 },
    dns: [
      { t: 386, addresses: ['10.244.2.3'] },
      { t: 30583, addresses: ['10.244.2.7'] },
    ],
    figures: null,
    comparison: null,
    probe: {
      intervalMs: 100,
      requests: 326,
      ok: 326,
      failures: 0,
      successRatio: 1,
      longestOutageMs: 0,
      outages: [],
      latencyMs: { p50: 2, p99: 5, max: 9 },
      perPod: {},
      perVersion: {},
    },
    samples: [],
    counters: { before: [], after: [] },
    dataChecks: [],
    dataPreserved: true,
    verdict: 'passed',
    reason: 'helm-python-1 replaced',
    notes: [],
    ...over,
  };
}

describe('identity section', () => {
  it('a table of before and after, and the figures recomputed from the record', () => {
    const md = identitySection([pinnedRecord()], new Map([['2026-12-03T12-49-58-481Z-identity', 'timelines/x.svg']]));
    expect(md).toContain('### `helm-python-1`: a node-local volume');
    expect(md).toContain('| Node | `worker2` | `worker2` | may change | same |');
    expect(md).toContain('| Pod UID | `old` | `new` | may change | changed |');
    expect(md).toContain('| Counter | `5` | `64` | keep | kept (not lower) |');
    // created 8693 → scheduled 19646 = 10953 ms; ready 21698 - delete 2673 = 19025 ms
    expect(md).toContain('Pending (created → scheduled): 11.0 s; Ready again 19.0 s after the delete.');
    // new IP first answered at 30583: 30583 - 2673 = 27910 ms after the delete, 27910 - 19025 = 8885 after Ready;
    // old pod deleted at 8647: its IP answered until 30583, 21936 ms
    expect(md).toContain(
      "27.9 s after the delete, 8.9 s after the new pod was Ready; it resolved to nothing for 0 ms and to the deleted pod's IP for 21.9 s after that pod was gone.",
    );
    expect(md).toContain('the scheduler said: 0/3 nodes are available');
    expect(md).toContain('![helm-python-1 over nodes and time](timelines/x.svg)');
  });
  it('no record: says how to measure it', () => {
    expect(identitySection([], new Map())).toMatch(/no run is recorded yet/);
  });
  it('keeps the latest record of each kind of volume', () => {
    const a = pinnedRecord({ id: 'a', startedAt: '2026-12-03T10:00:00Z' });
    const b = pinnedRecord({ id: 'b', startedAt: '2026-12-03T11:00:00Z' });
    const c = pinnedRecord({ id: 'c', startedAt: '2026-12-03T09:00:00Z', volume: { ...a.volume, canMove: true, elsewhere: ['worker'] } });
    expect(identityRuns([a, b, c]).map((r) => r.id)).toEqual(['b', 'c']);
  });
});

describe('identity picture', () => {
  it('lanes: the node with the cordon and both pods, not scheduled, the DNS answer', () => {
    const lanes = identityLanes(pinnedRecord());
    expect(lanes.map((l) => l.label)).toEqual(['worker2', 'not scheduled', 'DNS answer']);
    const spans = (i: number) => lanes[i]!.spans.map((sp) => [sp.from, sp.to]);
    // cordon 2484-19500; old pod Ready 0-2860, terminating 2860-8647; new pod starting 19646-21698, Ready to the end
    expect(spans(0)).toEqual([
      [2484, 19500],
      [0, 2860],
      [2860, 8647],
      [19646, 21698],
      [21698, 32673],
    ]);
    expect(spans(1)).toEqual([[8693, 19646]]);
    expect(spans(2)).toEqual([
      [386, 30583],
      [30583, 32673],
    ]);
  });
  it('a move puts the new pod on the other node', () => {
    const r = pinnedRecord();
    const lanes = identityLanes({ ...r, after: { ...r.after!, node: 'worker' } });
    expect(lanes.map((l) => l.label)).toEqual(['worker2', 'worker', 'not scheduled', 'DNS answer']);
    expect(lanes[1]!.spans.map((sp) => sp.from)).toEqual([19646, 21698]);
  });
  it('is an SVG with a lane label per lane', () => {
    const svg = renderIdentitySvg(pinnedRecord());
    expect(svg.startsWith('<svg')).toBe(true);
    for (const label of ['worker2', 'not scheduled', 'DNS answer', '>delete<', '>uncordon<']) expect(svg).toContain(label);
  });
});
