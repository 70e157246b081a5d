import { describe, expect, it } from 'vitest';
import { controlPlaneWindows } from '../../src/demos/control-plane.js';
import { controlPlaneNote } from '../../src/report/control-plane.js';

describe('controlPlaneWindows', () => {
  const started = 1_000_000;
  it('merges a watch break with change faults within 2 s of it, keeps a normal watch end out, and counts the retries', () => {
    const cp = controlPlaneWindows(
      [
        { t: 5000, resumedT: 5010, reason: 'ended', failedLists: 0 }, // the server closed the watch: no outage
        { t: 12_000, resumedT: 30_000, reason: 'API server refused connections', failedLists: 14 },
      ],
      [
        { at: started + 31_500, doing: 'helm upgrade helm-python', fault: 'API server 5xx', retried: true, ok: true }, // 1.5 s after: merged
        { at: started + 40_000, doing: 'deleting pod helm-python-1', fault: 'etcd timeout', retried: false }, // 10 s after: its own window
      ],
      started,
      60_000,
    );
    expect(cp).toEqual({
      away: [
        { start: 12_000, end: 31_500, seen: ['pod watch: API server refused connections', 'helm upgrade helm-python: API server 5xx (run again)'] },
        { start: 40_000, end: 40_000, seen: ['deleting pod helm-python-1: etcd timeout'] },
      ],
      changeFaults: 2,
      retried: 1,
    });
  });
  it('nothing away: undefined (no field in the record); a break never resumed lasts to the end', () => {
    expect(controlPlaneWindows([{ t: 1, resumedT: 2, reason: 'ended', failedLists: 0 }], [], 0, 10)).toBeUndefined();
    expect(controlPlaneWindows([{ t: 4000, reason: 'etcd timeout', failedLists: 3 }], [], 0, 9000)?.away).toEqual([
      { start: 4000, end: 9000, seen: ['pod watch: etcd timeout'] },
    ]);
  });
});

describe('controlPlaneNote', () => {
  it('names the windows and how many Service outages fall inside them', () => {
    const cp = { away: [{ start: 12_000, end: 31_500, seen: ['pod watch: API server refused connections'] }], changeFaults: 3, retried: 3 };
    const note = controlPlaneNote(cp, [
      { start: 20_000, end: 21_000 },
      { start: 50_000, end: 52_000 },
    ]);
    expect(note).toContain('**The control plane was away during this run**');
    expect(note).toContain('pod watch: API server refused connections');
    expect(note).toContain('3 attempts of a change met it, 3 run again.');
    expect(note).toContain('1 of the 2 Service outage windows overlaps it');
    // 50.0 s starts 18.5 s after the window's end (31.5 s): inside the 60 s in which kube-proxy may still be catching up.
    expect(note).toContain(' 1 more began in the 60 s after it came back, while what watches the API server');
    expect(controlPlaneNote(undefined, [])).toBeUndefined();
    expect(controlPlaneNote(cp, [])).toContain('The Service had no outage meanwhile.');
    // 95.0 s is 63.5 s after the window: not counted as catching up.
    expect(controlPlaneNote(cp, [{ start: 95_000, end: 96_000 }])).toContain(
      "0 of the 1 Service outage window overlap it: those are the cluster's as much as the strategy's.",
    );
    expect(controlPlaneNote(cp, [{ start: 95_000, end: 96_000 }])).not.toContain('more began');
  });
});
