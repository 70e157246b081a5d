// The report's "Nodes: drain and loss" section from a hand-built drain record: the segments of the
// picture worked out by hand from the placements, the table's row, the heading and the parts.
import { describe, expect, it } from 'vitest';
import { podMoves, type DrainRecord, type Placement } from '../../src/demos/drain-analysis.js';
import { drainTable, latestDrain, nodesSection, placementSegments, renderDrainSvg } from '../../src/report/nodes.js';

const W1 = 'k8s-lab-worker';
const W2 = 'k8s-lab-worker2';
const PLACEMENTS: Placement[] = [
  { t: 0, pod: 'helm-python-0', uid: 'u0', node: W1, state: 'ready' },
  { t: 0, pod: 'helm-python-1', uid: 'u1', node: W2, state: 'ready' },
  { t: 2700, pod: 'helm-python-1', uid: 'u1', node: W2, state: 'terminating' },
  { t: 8400, pod: 'helm-python-1', uid: null, node: null, state: 'gone' },
  { t: 8500, pod: 'helm-python-1', uid: 'u1b', node: null, state: 'pending', why: 'volume node affinity conflict' },
  { t: 13_900, pod: 'helm-python-1', uid: 'u1b', node: W2, state: 'starting' },
  { t: 16_500, pod: 'helm-python-1', uid: 'u1b', node: W2, state: 'ready' },
];
const before = [
  { pod: 'helm-python-0', uid: 'u0', node: W1, pvc: 'd0', pvcUid: 'p0', counter: 1 },
  { pod: 'helm-python-1', uid: 'u1', node: W2, pvc: 'd1', pvcUid: 'p1', counter: 1 },
];
const evictions = [
  { t: 2300, pod: 'helm-python-1', outcome: 'refused' as const, message: 'TooManyRequests' },
  { t: 3300, pod: 'helm-python-1', outcome: 'evicted' as const },
];

function record(startedAt = '2026-12-03T13:00:00.000Z'): DrainRecord {
  return {
    schema: 1,
    lesson: 'drain',
    id: `${startedAt.replace(/[:.]/g, '-')}-drain`,
    release: 'helm-python',
    namespace: 'lab',
    pod: 'helm-python-1',
    node: W2,
    options: { replicas: 2, intervalMs: 100, settleMs: 2000, uncordonAfterMs: null },
    environment: { kubernetes: 'v1.37.2', helm: 'v4.1.4', kubectl: 'v1.35.0', k8sLab: '0.1.0', node: 'v24' },
    startedAt,
    endedAt: startedAt,
    durationMs: 20_000,
    phases: [],
    podEvents: [],
    nodes: [W1, W2],
    budget: { name: 'helm-python', maxUnavailable: 1, minAvailable: null, disruptionsAllowed: 1 },
    cordonedAt: 2000,
    uncordonedAt: 13_800,
    uncordonedAfter: true,
    evictions,
    placements: PLACEMENTS,
    moves: podMoves(before, W2, evictions, PLACEMENTS, 13_800),
    failedRequests: { count: 0, firstMs: null, lastMs: null, spanMs: 0 },
    identity: { before, after: before },
    probe: {
      intervalMs: 100,
      requests: 190,
      ok: 190,
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
    reason: 'helm-python-1 refused 1× over 1.0 s, then evicted',
    notes: [],
  };
}

describe('the drain picture', () => {
  it('segments each pod from one placement to the next, the last to the end; a pod gone has none', () => {
    expect(placementSegments(PLACEMENTS, 20_000).filter((s) => s.pod === 'helm-python-1')).toEqual([
      { pod: 'helm-python-1', node: W2, state: 'ready', from: 0, to: 2700 },
      { pod: 'helm-python-1', node: W2, state: 'terminating', from: 2700, to: 8400 },
      { pod: 'helm-python-1', node: 'no node (Pending)', state: 'pending', from: 8500, to: 13_900 },
      { pod: 'helm-python-1', node: W2, state: 'starting', from: 13_900, to: 16_500 },
      { pod: 'helm-python-1', node: W2, state: 'ready', from: 16_500, to: 20_000 },
    ]);
  });

  it('a row per node and pod (the drained node marked, the Pending row last), both evictions marked, the cordon shaded', () => {
    const svg = renderDrainSvg(record());
    const labels = [...svg.matchAll(/text-anchor="end" fill="#1f2328">([^<]+)</g)].map((m) => m[1]);
    expect(labels).toEqual([`${W1} · helm-python-0`, `${W2} (drained) · helm-python-1`, 'no node (Pending) · helm-python-1', 'failed requests (0)']);
    expect(svg).toContain('eviction of helm-python-1 at 2.3 s: refused (TooManyRequests)');
    expect(svg).toContain('eviction of helm-python-1 at 3.3 s: evicted');
    expect(svg).toContain(`${W2} cordoned 2.0 s – 13.8 s`);
  });
});

describe('the section', () => {
  it('the table: refused once for 1.0 s, evicted at 3.3 s, back on its node after Pending 13.9 - 8.5 = 5.4 s, Ready 16.5 - 3.3 = 13.2 s after', () => {
    expect(drainTable(record()).split('\n')[2]).toBe(`| \`helm-python-1\` | \`${W2}\` | 1 | 1.0 s | 3.3 s | \`${W2}\` | 5.4 s, until the uncordon | 13.2 s |`);
  });

  it('owns the H2 heading, puts the drain part first and other parts (node loss) after it, and writes one picture', () => {
    const { markdown, files } = nodesSection(record(), 'timelines/', ['### Losing a node\n\nmeasured elsewhere']);
    expect(markdown.split('\n').filter((l) => l.startsWith('#'))).toEqual(['## Nodes: drain and loss', '### Draining a node', '### Losing a node']);
    expect(markdown).toContain('![Pods × nodes × time during the drain](timelines/2026-12-03T13-00-00-000Z-drain.svg)');
    expect(markdown).toContain('`kubectl drain --pod-selector`');
    expect(files.map((f) => f.path)).toEqual(['timelines/2026-12-03T13-00-00-000Z-drain.svg']);
  });

  it('without a drain record: says how to measure it, no picture', () => {
    const { markdown, files } = nodesSection(undefined, 'timelines/');
    expect(markdown).toContain('no run is recorded yet');
    expect(files).toEqual([]);
  });

  it('the latest drain of several records', () => {
    const older = record('2026-12-03T12:00:00.000Z');
    const newer = record('2026-12-03T13:30:00.000Z');
    expect(latestDrain([older, { lesson: 'failover', startedAt: '2026-12-03T14:00:00.000Z' }, newer])?.id).toBe(newer.id);
  });
});
