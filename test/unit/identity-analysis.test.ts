import { describe, expect, it } from 'vitest';
import {
  compareIdentity,
  decideIdentity,
  dnsGapAfter,
  dnsMovedAfter,
  staleAfter,
  identityFigures,
  nodesVolumeAllows,
  volumePlacement,
  type DnsAnswer,
  type IdentityFacts,
  type PodIdentityView,
  type VolumePlacement,
} from '../../src/demos/identity-analysis.js';
import type { PodEvent } from '../../src/demos/record.js';

const DNS = 'helm-python-1.helm-python-headless.lab.svc.cluster.local';
const before: PodIdentityView = {
  pod: 'helm-python-1',
  hostname: 'helm-python-1',
  dnsName: DNS,
  resolved: ['10.244.1.7'],
  ip: '10.244.1.7',
  node: 'worker',
  uid: 'uid-a',
  pvc: 'counter-data-py-helm-python-1',
  pvcUid: 'pvc-1',
  counter: 40,
};
const moved: PodIdentityView = { ...before, resolved: ['10.244.2.9'], ip: '10.244.2.9', node: 'worker2', uid: 'uid-b', counter: 46 };

const nodes = [
  { name: 'cp', labels: { 'kubernetes.io/hostname': 'cp', 'topology.kubernetes.io/zone': 'a' }, schedulable: false },
  { name: 'worker', labels: { 'kubernetes.io/hostname': 'worker', 'topology.kubernetes.io/zone': 'a' }, schedulable: true },
  { name: 'worker2', labels: { 'kubernetes.io/hostname': 'worker2', 'topology.kubernetes.io/zone': 'b' }, schedulable: true },
];
const hostIs = (node: string) => ({
  required: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'kubernetes.io/hostname', operator: 'In', values: [node] }] }] },
});

describe('nodesVolumeAllows / volumePlacement', () => {
  it('a local-path PV (hostname In [worker]) allows worker alone: the pod cannot move', () => {
    expect(nodesVolumeAllows(hostIs('worker'), nodes)).toEqual(['worker']);
    const p = volumePlacement({ name: 'pvc-x', storageClass: 'standard', nodeAffinity: hostIs('worker') }, 'worker', nodes);
    expect(p.canMove).toBe(false);
    expect(p.elsewhere).toEqual([]);
    expect(p.why).toBe("its volume pvc-x (class standard) is node-local: the PV's nodeAffinity allows only worker");
  });
  it('a PV without node affinity (hostpath on a shared disk) allows any schedulable node but its own', () => {
    expect(nodesVolumeAllows(undefined, nodes)).toBeNull();
    const p = volumePlacement({ name: 'pvc-y', storageClass: 'hostpath' }, 'worker', nodes);
    expect(p.canMove).toBe(true);
    // cp is not schedulable (tainted), worker is the pod's own node
    expect(p.elsewhere).toEqual(['worker2']);
  });
  it('a zone affinity allows the nodes of that zone; terms are ORed, expressions ANDed', () => {
    const zoneA = { required: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'topology.kubernetes.io/zone', operator: 'In', values: ['a'] }] }] } };
    expect(nodesVolumeAllows(zoneA, nodes)).toEqual(['cp', 'worker']);
    const twoTerms = { required: { nodeSelectorTerms: [...hostIs('cp').required.nodeSelectorTerms, ...hostIs('worker2').required.nodeSelectorTerms] } };
    expect(nodesVolumeAllows(twoTerms, nodes)).toEqual(['cp', 'worker2']);
    const both = {
      required: {
        nodeSelectorTerms: [
          {
            matchExpressions: [
              { key: 'topology.kubernetes.io/zone', operator: 'In', values: ['a'] },
              { key: 'kubernetes.io/hostname', operator: 'NotIn', values: ['cp'] },
            ],
          },
        ],
      },
    };
    expect(nodesVolumeAllows(both, nodes)).toEqual(['worker']);
    expect(volumePlacement({ name: 'v', storageClass: null, nodeAffinity: zoneA }, 'worker', nodes).canMove).toBe(false);
  });
});

describe('dnsMovedAfter / dnsGapAfter', () => {
  // delete at t=10000; the name resolved to the old IP until 10400, to nothing until 13200, then to the new IP
  const answers: DnsAnswer[] = [
    { t: 2000, addresses: ['10.244.1.7'] },
    { t: 10400, addresses: [], error: 'Name or service not known' },
    { t: 13200, addresses: ['10.244.2.9'] },
  ];
  it('times the move from the delete to the first answer that is the new IP alone', () => {
    expect(dnsMovedAfter(answers, 10000, '10.244.2.9')).toBe(3200);
    expect(dnsGapAfter(answers, 10000)).toBe(2800);
  });
  it('a DNS name that never moved: null', () => {
    const stuck: DnsAnswer[] = [{ t: 2000, addresses: ['10.244.1.7'] }];
    expect(dnsMovedAfter(stuck, 10000, '10.244.2.9')).toBeNull();
    expect(dnsGapAfter(stuck, 10000)).toBe(0);
  });
  it('an answer with both IPs is not yet a move; an answer already holding at the delete counts as 0', () => {
    expect(
      dnsMovedAfter(
        [
          { t: 11000, addresses: ['10.244.1.7', '10.244.2.9'] },
          { t: 12500, addresses: ['10.244.2.9'] },
        ],
        10000,
        '10.244.2.9',
      ),
    ).toBe(2500);
    // same IP again (a pod back on the same node may get it): the answer before the delete still holds
    expect(dnsMovedAfter([{ t: 2000, addresses: ['10.244.1.7'] }], 10000, '10.244.1.7')).toBe(0);
  });
});

describe('staleAfter', () => {
  // As measured on the cluster: a cached answer (CoreDNS cache 30 s) kept the old IP until 30583,
  // the old pod was deleted at 8647: the name pointed at a pod that was gone for 21936 ms.
  const cached: DnsAnswer[] = [
    { t: 386, addresses: ['10.244.2.3'] },
    { t: 30583, addresses: ['10.244.2.7'] },
  ];
  it('times from the old pod gone to the first answer without its IP', () => {
    expect(staleAfter(cached, 8647, '10.244.2.3')).toBe(21936);
  });
  it('null while the old IP is still the answer at the end; null without a deletion', () => {
    expect(staleAfter(cached.slice(0, 1), 8647, '10.244.2.3')).toBeNull();
    expect(staleAfter(cached, null, '10.244.2.3')).toBeNull();
  });
});

describe('identityFigures', () => {
  it('Pending from created to scheduled, Ready and DNS after the delete, failed requests after it', () => {
    const podEvents: PodEvent[] = [
      { t: 500, pod: 'helm-python-1', type: 'ready' },
      { t: 10050, pod: 'helm-python-1', type: 'deleting' },
      { t: 11000, pod: 'helm-python-1', type: 'deleted' },
      { t: 11100, pod: 'helm-python-1', type: 'created' },
      { t: 21300, pod: 'helm-python-1', type: 'scheduled' },
      { t: 24000, pod: 'helm-python-1', type: 'ready' },
    ];
    const samples = [
      { t: 9000, ok: true, latencyMs: 3 },
      { t: 10200, ok: false, latencyMs: 1000, error: 'reset' },
      { t: 10700, ok: false, latencyMs: 1000, error: 'reset' },
      { t: 11200, ok: true, latencyMs: 3 },
    ];
    const dns: DnsAnswer[] = [
      { t: 1000, addresses: ['10.244.1.7'] },
      { t: 10300, addresses: [] },
      { t: 24600, addresses: ['10.244.1.8'] },
    ];
    const f = identityFigures({ pod: 'helm-python-1', deletedAt: 10000, oldIp: '10.244.1.7', newIp: '10.244.1.8', podEvents, dns, samples });
    expect(f.pendingMs).toBe(10200); // 21300 - 11100
    expect(f.readyAgainMs).toBe(14000); // 24000 - 10000
    expect(f.dnsMovedMs).toBe(14600); // 24600 - 10000
    expect(f.dnsAfterReadyMs).toBe(600);
    expect(f.dnsGapMs).toBe(14300); // 24600 - 10300
    expect(f.dnsStaleMs).toBe(0); // at the old pod's deletion (11000) the name already resolved to nothing
    expect(f.failed.count).toBe(2);
    expect(f.failed.firstMs).toBe(200);
    expect(f.failed.lastMs).toBe(700);
  });
});

describe('compareIdentity', () => {
  it('keeps name, hostname, DNS name, PVC, PVC UID and counter (not lower); reports IP, node, UID changed', () => {
    const c = compareIdentity(before, moved);
    expect(c.broken).toEqual([]);
    expect(c.kept.map((k) => k.field)).toEqual(['name', 'hostname', 'DNS name', 'PVC', 'PVC UID', 'counter']);
    expect(c.kept.find((k) => k.field === 'counter')?.value).toBe('40 → 46');
    expect(c.changed).toEqual([
      { field: 'IP', before: '10.244.1.7', after: '10.244.2.9' },
      { field: 'node', before: 'worker', after: 'worker2' },
      { field: 'UID', before: 'uid-a', after: 'uid-b' },
    ]);
  });
  it('a lower counter and a new PVC UID are broken', () => {
    const c = compareIdentity(before, { ...moved, counter: 0, pvcUid: 'pvc-2' });
    expect(c.broken.map((b) => b.field)).toEqual(['PVC UID', 'counter']);
  });
});

describe('decideIdentity', () => {
  const canMove: VolumePlacement = {
    pv: 'v',
    storageClass: 'hostpath',
    allowedNodes: null,
    elsewhere: ['worker2'],
    canMove: true,
    why: 'its volume v (class hostpath) has no node affinity: any node can mount it',
  };
  const pinned: VolumePlacement = {
    pv: 'v',
    storageClass: 'standard',
    allowedNodes: ['worker'],
    elsewhere: [],
    canMove: false,
    why: "its volume v (class standard) is node-local: the PV's nodeAffinity allows only worker",
  };
  const figures = {
    readyAgainMs: 4000,
    pendingMs: null,
    dnsMovedMs: 4300,
    dnsAfterReadyMs: 300,
    dnsGapMs: 3900,
    dnsStaleMs: 0,
    failed: { count: 0, firstMs: null, lastMs: null, spanMs: 0 },
  };
  const facts = (over: Partial<IdentityFacts>): IdentityFacts => ({ before, after: moved, volume: canMove, figures, dataChecks: [], ...over });

  it('passes a move, naming what changed and the DNS time', () => {
    expect(decideIdentity(facts({}))).toEqual({
      verdict: 'passed',
      reason:
        'helm-python-1 replaced: name, hostname, DNS name, PVC and counter kept; IP, node, UID changed; moved worker → worker2; its DNS name pointed at 10.244.2.9 4.3 s after the delete',
    });
  });
  it('passes a node-local pod that stayed on its node, saying why and how long it was Pending', () => {
    const stayed = { ...moved, node: 'worker', ip: '10.244.1.8' };
    const r = decideIdentity(facts({ after: stayed, volume: pinned, figures: { ...figures, pendingMs: 10200 } }));
    expect(r.verdict).toBe('passed');
    expect(r.reason).toContain('IP, UID changed; stayed on worker (its volume v (class standard) is node-local');
    expect(r.reason).toContain('Pending 10.2 s while it was cordoned');
  });
  it('fails a DNS name that never moved', () => {
    const r = decideIdentity(facts({ after: { ...moved, resolved: ['10.244.1.7'] }, figures: { ...figures, dnsMovedMs: null, dnsAfterReadyMs: null } }));
    expect(r).toEqual({ verdict: 'failed', reason: `${DNS} never resolved to the new IP 10.244.2.9 alone (last answer from the other pod: 10.244.1.7)` });
  });
  it('fails a pod not replaced, one not back, a lost PVC, a movable pod that did not move, lost data', () => {
    expect(decideIdentity(facts({ after: { ...moved, uid: 'uid-a' } })).reason).toBe('helm-python-1 was not replaced (same pod UID uid-a)');
    expect(decideIdentity(facts({ after: null })).reason).toBe('helm-python-1 was not seen Ready again');
    expect(decideIdentity(facts({ after: { ...moved, pvcUid: 'pvc-2' } })).reason).toBe('helm-python-1 did not keep its PVC UID (pvc-1 → pvc-2)');
    expect(decideIdentity(facts({ after: { ...moved, node: 'worker' } })).verdict).toBe('failed');
    const lost = decideIdentity(
      facts({ dataChecks: [{ pod: 'helm-python-1', before: 40, after: 3, acknowledged: 6, preserved: false, reason: 'went back' }] }),
    );
    expect(lost).toEqual({ verdict: 'failed', reason: 'data lost: helm-python-1 went back' });
  });
  it('an interruption wins over everything', () => {
    expect(decideIdentity(facts({ stop: { message: 'interrupted', interruptedIn: 'pending' } }))).toEqual({ verdict: 'interrupted', reason: 'interrupted' });
  });
});
