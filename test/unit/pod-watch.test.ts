import { describe, expect, it } from 'vitest';
import type { Pod } from '../../src/adapters/kube-objects.js';
import { Kubectl } from '../../src/adapters/kubectl.js';
import { JsonStreamSplitter, PodWatch, podEventsFor } from '../../src/demos/watch.js';
import { FakeRunner } from '../support/fake-runner.js';

describe('JsonStreamSplitter', () => {
  it('splits concatenated pretty-printed documents fed in arbitrary chunks', () => {
    const text = `${JSON.stringify({ a: 1, s: 'x}{"\\"' }, null, 2)}\n${JSON.stringify({ b: { c: [1, { d: '}' }] } }, null, 4)}\n`;
    for (const size of [1, 3, 7, 64, text.length]) {
      const splitter = new JsonStreamSplitter();
      const docs: unknown[] = [];
      for (let i = 0; i < text.length; i += size) docs.push(...splitter.push(text.slice(i, i + size)));
      expect(docs).toEqual([{ a: 1, s: 'x}{"\\"' }, { b: { c: [1, { d: '}' }] } }]);
    }
  });
});

const pod = (
  name: string,
  uid: string,
  extra: { ready?: boolean; deleting?: boolean; node?: string; revision?: string } = {},
): Pod & { metadata: { uid: string } } => ({
  metadata: {
    name,
    uid,
    labels: { 'controller-revision-hash': extra.revision ?? 'r1', 'app.kubernetes.io/version': 'v1' },
    ...(extra.deleting && { deletionTimestamp: '2026-11-24T00:00:00Z' }),
  },
  spec: { ...(extra.node && { nodeName: extra.node }) },
  status: { conditions: [{ type: 'Ready', status: extra.ready ? 'True' : 'False' }] },
});

describe('podEventsFor', () => {
  it('reports a new pod, its scheduling and its readiness', () => {
    const first = podEventsFor({ type: 'ADDED', object: pod('p-1', 'u2') }, undefined, 10);
    expect(first.events.map((e) => e.type)).toEqual(['created']);
    const scheduled = podEventsFor({ type: 'MODIFIED', object: pod('p-1', 'u2', { node: 'n' }) }, first.state, 20);
    expect(scheduled.events.map((e) => e.type)).toEqual(['scheduled']);
    expect(scheduled.events[0]?.node).toBe('n');
    const ready = podEventsFor({ type: 'MODIFIED', object: pod('p-1', 'u2', { node: 'n', ready: true }) }, scheduled.state, 30);
    expect(ready.events).toEqual([{ t: 30, pod: 'p-1', type: 'ready', revision: 'r1', version: 'v1' }]);
  });
  it('reports deletion of a Ready pod as deleting + not-ready, then deleted', () => {
    const state = { uid: 'u1', ready: true, deleting: false, scheduled: true };
    const deleting = podEventsFor({ type: 'MODIFIED', object: pod('p-0', 'u1', { node: 'n', ready: true, deleting: true }) }, state, 5);
    expect(deleting.events.map((e) => e.type)).toEqual(['deleting', 'not-ready']);
    const gone = podEventsFor({ type: 'DELETED', object: pod('p-0', 'u1', { node: 'n', deleting: true }) }, deleting.state, 9);
    expect(gone.events.map((e) => e.type)).toEqual(['deleted']);
    expect(gone.state).toBeUndefined();
  });
  it('treats a new UID under the same name as a new pod', () => {
    const state = { uid: 'old', ready: true, deleting: false, scheduled: true };
    expect(podEventsFor({ type: 'ADDED', object: pod('p-0', 'new', { node: 'n' }) }, state, 1).events.map((e) => e.type)).toEqual(['created', 'scheduled']);
  });
});

describe('PodWatch', () => {
  it('takes the pods that already exist as its baseline and records what happens after', async () => {
    const watchOutput = [
      { type: 'ADDED', object: pod('p-0', 'u0', { node: 'n', ready: true }) },
      { type: 'MODIFIED', object: pod('p-0', 'u0', { node: 'n', ready: true, deleting: true }) },
      { type: 'DELETED', object: pod('p-0', 'u0', { node: 'n', deleting: true }) },
      { type: 'ADDED', object: pod('p-0', 'u1', { revision: 'r2' }) },
    ]
      .map((e) => JSON.stringify(e, null, 4))
      .join('\n');
    const runner = new FakeRunner([
      { match: /get pods --selector app=x --output json/, stdout: JSON.stringify({ items: [pod('p-0', 'u0', { node: 'n', ready: true })] }) },
      { match: /--watch/, stdout: watchOutput },
    ]);
    let now = 0;
    const watch = new PodWatch(new Kubectl(runner, 'kubectl', {}), 'app=x', () => (now += 10));
    await watch.start(60_000);
    await new Promise((r) => setTimeout(r, 10));
    const events = await watch.stop();
    expect(events.map((e) => `${e.pod} ${e.type} ${e.revision}`)).toEqual(['p-0 deleting r1', 'p-0 not-ready r1', 'p-0 deleted r1', 'p-0 created r2']);
  });
});
