import { describe, expect, it } from 'vitest';
import type { Pod } from '../../src/adapters/kube-objects.js';
import { Kubectl } from '../../src/adapters/kubectl.js';
import { JsonStreamSplitter, PodWatch, podEventsFor } from '../../src/demos/watch.js';
import type { Runner, ToolCall, ToolResult, ToolStream } from '../../src/process/runner.js';
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

/** A runner whose list calls and watch streams answer from queues, in order; a stream without `exit` stays open until stopped. */
class QueueRunner implements Runner {
  readonly lines: string[] = [];
  constructor(
    private readonly lists: { exitCode?: number; stdout?: string; stderr?: string }[],
    private readonly watches: { stdout: string; exit?: { exitCode: number; stderr: string } }[],
  ) {}
  async run(call: ToolCall): Promise<ToolResult> {
    this.lines.push(`list ${call.args.join(' ')}`);
    const answer = this.lists.shift();
    if (!answer) throw new Error(`no list answer left for ${call.args.join(' ')}`);
    return { call, exitCode: answer.exitCode ?? 0, stdout: answer.stdout ?? '', stderr: answer.stderr ?? '', timedOut: false, notFound: false, durationMs: 1 };
  }
  stream(call: ToolCall, onStdout: (chunk: string) => void): ToolStream {
    this.lines.push(`watch ${call.args.join(' ')}`);
    const answer = this.watches.shift();
    if (!answer) throw new Error('no watch answer left');
    let stop!: () => void;
    const exited = new Promise<{ exitCode: number; stderr: string }>((resolve) => {
      stop = () => resolve({ exitCode: 0, stderr: '' });
      setImmediate(() => {
        onStdout(answer.stdout);
        if (answer.exit) resolve(answer.exit);
      });
    });
    return { exited, stop: async () => stop() };
  }
}

const stream = (...events: [string, object][]) => events.map(([type, object]) => JSON.stringify({ type, object }, null, 2)).join('\n');
const list = (...pods: object[]) => ({ stdout: JSON.stringify({ items: pods }) });
const REFUSED = { exitCode: 1, stderr: 'The connection to the server 127.0.0.1:6443 was refused - did you specify the right host or port?' };

describe('PodWatch across a broken watch', () => {
  it('re-lists after the API server broke the watch (a list refused once), records what changed meanwhile once, then watches again', async () => {
    const ready0 = pod('p-0', 'u0', { node: 'n', ready: true });
    const runner = new QueueRunner(
      [list(ready0, pod('p-1', 'u1', { node: 'n', ready: true })), REFUSED, list(ready0, pod('p-1', 'u2', { node: 'n', revision: 'r2' }))],
      [
        {
          stdout: stream(
            ['ADDED', ready0],
            ['ADDED', pod('p-1', 'u1', { node: 'n', ready: true })],
            ['MODIFIED', pod('p-1', 'u1', { node: 'n', ready: true, deleting: true })],
          ),
          exit: {
            exitCode: 1,
            stderr:
              'error: an error on the server ("unable to decode an event from the watch stream: http2: server sent GOAWAY") has prevented the request from succeeding',
          },
        },
        // The new watch starts with the pods as they are: ADDED again, already known: nothing new.
        {
          stdout: stream(
            ['ADDED', ready0],
            ['ADDED', pod('p-1', 'u2', { node: 'n', revision: 'r2' })],
            ['MODIFIED', pod('p-1', 'u2', { node: 'n', ready: true, revision: 'r2' })],
          ),
        },
      ],
    );
    let now = 0;
    const seen: string[] = [];
    const breaks: string[] = [];
    const watch = new PodWatch(
      new Kubectl(runner, 'kubectl', {}),
      'app=x',
      () => (now += 10),
      (e) => seen.push(`${e.pod} ${e.type}${e.baseline ? ' (baseline)' : ''}`),
      (b) => breaks.push(`${b.reason} failed=${b.failedLists} resumed=${b.resumedT !== undefined}`),
    );
    await watch.start(60_000);
    for (let i = 0; i < 60 && runner.lines.filter((l) => l.startsWith('watch')).length < 2; i++) await new Promise((r) => setTimeout(r, 100));
    await new Promise((r) => setTimeout(r, 20));
    const events = await watch.stop();
    // Worked by hand: p-1 goes (deleting, not Ready), the watch breaks; while away p-1 was replaced
    // (UID u1 -> u2): the list shows it, so u1 deleted, u2 created and scheduled; the new watch adds
    // only u2's readiness. p-0 never changed: no event for it after its baseline.
    const expected = ['p-1 deleting r1', 'p-1 not-ready r1', 'p-1 deleted r1', 'p-1 created r2', 'p-1 scheduled r2', 'p-1 ready r2'];
    expect(events.map((e) => `${e.pod} ${e.type} ${e.revision}`)).toEqual(expected);
    expect(seen).toEqual(['p-0 ready (baseline)', 'p-1 ready (baseline)', ...expected.map((e) => e.replace(/ r\d$/, ''))]);
    expect(breaks).toEqual(['connection to the API server broken failed=0 resumed=false', 'connection to the API server broken failed=1 resumed=true']);
    expect(runner.lines.map((l) => l.split(' ')[0])).toEqual(['list', 'watch', 'list', 'list', 'watch']);
  });

  it('a watch the server closed (exit 0) resumes; a pod gone meanwhile is recorded as deleted; a forbidden watch ends for good', async () => {
    const runner = new QueueRunner(
      [list(pod('p-0', 'u0', { node: 'n', ready: true }), pod('p-1', 'u1', { node: 'n', ready: true })), list(pod('p-0', 'u0', { node: 'n', ready: true }))],
      [
        {
          stdout: stream(['ADDED', pod('p-0', 'u0', { node: 'n', ready: true })], ['ADDED', pod('p-1', 'u1', { node: 'n', ready: true })]),
          exit: { exitCode: 0, stderr: '' },
        },
        {
          stdout: stream(['ADDED', pod('p-0', 'u0', { node: 'n', ready: true })]),
          exit: { exitCode: 1, stderr: 'Error from server (Forbidden): pods is forbidden' },
        },
      ],
    );
    let now = 0;
    const watch = new PodWatch(new Kubectl(runner, 'kubectl', {}), 'app=x', () => (now += 10));
    await watch.start(60_000);
    for (let i = 0; i < 30 && runner.lines.length < 4; i++) await new Promise((r) => setTimeout(r, 100));
    await new Promise((r) => setTimeout(r, 200));
    const events = await watch.stop();
    // p-1 was Ready when the watch ended and is not in the list: not-ready, deleted. Nothing doubled for p-0.
    expect(events.map((e) => `${e.pod} ${e.type}`)).toEqual(['p-1 not-ready', 'p-1 deleted']);
    expect(watch.breaks.map((b) => [b.reason, b.failedLists, b.resumedT !== undefined])).toEqual([['ended', 0, true]]);
    // The forbidden end was not resumed: no third list.
    expect(runner.lines.map((l) => l.split(' ')[0])).toEqual(['list', 'watch', 'list', 'watch']);
  });
});
