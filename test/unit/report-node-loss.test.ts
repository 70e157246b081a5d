// The report's "Losing a node" part from hand-made demo-node-loss records: the latest run of each
// recovery in a table, a picture of pods × nodes × time per run, and "not measured" without one.
import { describe, expect, it } from 'vitest';
import { nodeLossFigures, type NodeObservation, type PodObservation } from '../../src/demos/node-loss-analysis.js';
import type { NodeLossRecord } from '../../src/demos/node-loss-record.js';
import { latestNodeLosses, nodeLossPart, renderNodeLossSvg } from '../../src/report/node-loss.js';

const NODE = 'k8s-lab-worker2';
const n = (t: number, ready: NodeObservation['ready'], outOfService = false): NodeObservation => ({ t, node: NODE, ready, outOfService });
const p = (t: number, pod: string, uid: string | null, node: string | null, ready: PodObservation['ready'], deleting = false): PodObservation => ({
  t,
  pod,
  uid,
  node,
  phase: node ? 'Running' : 'Pending',
  ready,
  deleting,
  reason: null,
});

/** An out-of-service run: stopped at 10 s, tainted at 65 s, the replacement created at 85.5 s, Pending, Ready at 125 s. */
function outOfService(startedAt: string, verdict: NodeLossRecord['verdict'] = 'passed'): NodeLossRecord {
  const moments = {
    stop: { requestedAt: 10_000, doneAt: 10_200 },
    taint: { requestedAt: 65_000, doneAt: 65_300 },
    start: { requestedAt: 100_000, doneAt: 111_000 },
    untaint: { requestedAt: 112_000, doneAt: 112_200 },
  };
  const nodes = [n(0, 'True'), n(61_000, 'Unknown'), n(65_500, 'Unknown', true), n(110_000, 'True', true), n(112_500, 'True')];
  const pods = [
    p(0, 'helm-python-0', 'A0', 'k8s-lab-worker', 'True'),
    p(0, 'helm-python-1', 'A', NODE, 'True'),
    p(61_200, 'helm-python-1', 'A', NODE, 'False'),
    p(66_000, 'helm-python-1', 'A', NODE, 'False', true),
    p(86_000, 'helm-python-1', 'B', null, null),
    p(121_000, 'helm-python-1', 'B', NODE, 'False'),
    p(125_000, 'helm-python-1', 'B', NODE, 'True'),
  ];
  const samples = [
    { t: 12_000, ok: false, latencyMs: 1000 },
    { t: 60_000, ok: false, latencyMs: 1000 },
    { t: 62_000, ok: true, latencyMs: 2 },
  ];
  const figures = nodeLossFigures({ pod: 'helm-python-1', node: NODE, uid: 'A', moments, nodes, pods, podEvents: [], samples })!;
  return {
    lesson: 'node-loss',
    id: `${startedAt}-node-loss-out-of-service`,
    startedAt,
    recover: 'out-of-service',
    pod: 'helm-python-1',
    node: NODE,
    durationMs: 130_000,
    moments,
    nodes,
    pods,
    figures,
    failedRequests: figures.failed,
    identity: { before: { uid: 'A' }, after: { uid: 'B' } },
    dataMeaning: 'helm-python-1’s volume is node-local.',
    verdict,
    reason: 'as measured',
  } as unknown as NodeLossRecord;
}

describe('the "Losing a node" part', () => {
  it('says what to run when there is no record', () => {
    expect(nodeLossPart([], 'timelines/')).toEqual({
      markdown: '### Losing a node\n\nNot measured yet: run `k8s-lab demo-node-loss` (on a cluster with two or more schedulable nodes).',
      files: [],
    });
  });

  it('shows the latest run of a recovery, with the figures worked out by hand', () => {
    const older = outOfService('2026-12-03T10:00:00.000Z', 'failed');
    const newer = outOfService('2026-12-03T12:00:00.000Z');
    expect(latestNodeLosses([older, newer])).toEqual([newer]);
    const { markdown, files } = nodeLossPart([older, newer], 'timelines/');
    const row = markdown.split('\n').find((l) => l.startsWith('| `--recover out-of-service`'))!;
    // NotReady at 61 − 10 = 51 s; Ready=False at 51.2 s, Terminating at 56 s; the replacement read at
    // 86 − 10 = 76 s (no watch event), first on the node at 121 s (111 s), Ready at 125 s (115 s);
    // 2 failed requests from 12 s to the success at 62 s: 50 s.
    expect(row).toContain('| 51.0 s |');
    expect(row).toContain('Ready=False after 51.2 s, Terminating after 56.0 s');
    expect(row).toContain('created 76.0 s, on `k8s-lab-worker2`, Ready 115.0 s');
    expect(row).toContain('| 2 over 50.0 s |');
    expect(row).toContain('| new | passed |');
    expect(files).toEqual([{ path: 'timelines/2026-12-03T12:00:00.000Z-node-loss-out-of-service.svg', content: renderNodeLossSvg(newer) }]);
    expect(markdown).toContain('![pods × nodes × time, --recover out-of-service](timelines/2026-12-03T12:00:00.000Z-node-loss-out-of-service.svg)');
  });

  it('marks a replacement created too early', () => {
    const r = outOfService('2026-12-03T12:00:00.000Z', 'failed');
    r.figures = { ...r.figures!, replacement: { ...r.figures!.replacement!, early: true } };
    expect(nodeLossPart([r], '').markdown).toContain('**too early**: created 76.0 s');
  });

  it('draws a row per node and pod, the Pending replacement on its own row, and the stop/taint/start/untaint marks', () => {
    const svg = renderNodeLossSvg(outOfService('2026-12-03T12:00:00.000Z'));
    expect(svg).toContain('>k8s-lab-worker · helm-python-0<');
    expect(svg).toContain('>k8s-lab-worker2 · helm-python-1<');
    expect(svg).toContain('>no node · helm-python-1<');
    for (const mark of ['stop', 'taint', 'start', 'untaint']) expect(svg).toContain(`>${mark}</text>`);
    // The Terminating bar of the old pod (UID A) runs from its read at 66 s to the next read of the name at 86 s.
    expect(svg).toMatch(/<rect x="[\d.]+" y="\d+" width="([\d.]+)" height="14" fill="#8c959f"><title>helm-python-1 \(UID A…\) Terminating/);
    const width = Number(/width="([\d.]+)" height="14" fill="#8c959f"/.exec(svg)![1]);
    expect(width).toBeCloseTo((20_000 / 130_000) * 610, 0);
  });
});
