// Reads across a control plane that is briefly away: resumeRead tries a read again every second
// while it fails with a transient fault, within its limit; the demo's reader (ResumingReader) does
// so for GETs and execs that got no answer; the outages go into the record's control-plane windows.
import { describe, expect, it } from 'vitest';
import type { ApiReader, ProxyResponse } from '../../src/adapters/exec-channel.js';
import { Kubectl } from '../../src/adapters/kubectl.js';
import { resumeRead, ResumingReader, type ReadOutage } from '../../src/adapters/transient.js';
import { controlPlaneWindows } from '../../src/demos/control-plane.js';
import { FakeRunner } from '../support/fake-runner.js';

/** A clock that moves only when the code under test sleeps. */
function fakeTime(start = 0) {
  let t = start;
  return { now: () => t, sleep: async (ms: number) => void (t += ms) };
}

const refused = () => Object.assign(new Error('connect ECONNREFUSED 10.0.0.1:6443'), { code: 'ECONNREFUSED' });

/** Answers (or rejects with) each scripted outcome in turn, the last one forever; counts the calls. */
function scripted<T>(outcomes: (T | Error)[]): { read: () => Promise<T>; calls: () => number } {
  let calls = 0;
  return {
    read: async () => {
      const outcome = outcomes[Math.min(calls++, outcomes.length - 1)]!;
      if (outcome instanceof Error) throw outcome;
      return outcome;
    },
    calls: () => calls,
  };
}

describe('resumeRead', () => {
  it('tries a refused read again every second until it answers: one outage from the first failure to the answer', async () => {
    const time = fakeTime(50_000);
    const outages: ReadOutage[] = [];
    const { read, calls } = scripted([refused(), refused(), refused(), 'pods']);
    const value = await resumeRead('API reads', read, { limitMs: 60_000, onOutage: (o) => outages.push(o), ...time });
    expect(value).toBe('pods');
    expect(calls()).toBe(4);
    // Failed at 50 000, 51 000 and 52 000 (a second apart), answered at 53 000.
    expect(outages).toEqual([{ start: 50_000, end: 53_000, what: 'API reads', fault: 'API server refused connections', failed: 3, answered: true }]);
  });

  it('gives up when the next attempt would be past its limit, throwing the last failure; the outage says so', async () => {
    const time = fakeTime();
    const outages: ReadOutage[] = [];
    const last = Object.assign(new Error('etcdserver: request timed out'), {});
    const { read, calls } = scripted<string>([refused(), refused(), last]);
    await expect(resumeRead('API reads', read, { limitMs: 2500, onOutage: (o) => outages.push(o), ...time })).rejects.toBe(last);
    // Attempts at 0, 1000, 2000; a fourth at 3000 would be past 2500.
    expect(calls()).toBe(3);
    expect(outages).toEqual([{ start: 0, end: 2000, what: 'API reads', fault: 'API server refused connections', failed: 3, answered: false }]);
  });

  it('throws any other failure at once (no outage); one after a refusal ends the outage as answered', async () => {
    const time = fakeTime();
    const outages: ReadOutage[] = [];
    const forbidden = new Error('listing pods: not allowed: (Forbidden)');
    const once = scripted<string>([forbidden]);
    await expect(resumeRead('API reads', once.read, { limitMs: 60_000, onOutage: (o) => outages.push(o), ...time })).rejects.toBe(forbidden);
    expect(once.calls()).toBe(1);
    expect(outages).toEqual([]);
    const after = scripted<string>([refused(), forbidden]);
    await expect(resumeRead('API reads', after.read, { limitMs: 60_000, onOutage: (o) => outages.push(o), ...time })).rejects.toBe(forbidden);
    expect(outages).toEqual([{ start: 0, end: 1000, what: 'API reads', fault: 'API server refused connections', failed: 1, answered: true }]);
  });

  it("k8s-lab's own LabError for an unreachable API server (its detail) and a read that timed out are transient", async () => {
    const time = fakeTime();
    const outages: ReadOutage[] = [];
    const lab = Object.assign(new Error('reading statefulset helm-python: cannot reach the Kubernetes API server'), { detail: 'GET https://x: ECONNRESET' });
    const { read } = scripted([lab, new Error('no answer within 10 s'), 'ok']);
    expect(await resumeRead('finding the Service', read, { limitMs: 60_000, onOutage: (o) => outages.push(o), ...time })).toBe('ok');
    expect(outages.map((o) => [o.failed, o.end - o.start])).toEqual([[2, 2000]]);
  });
});

/** An ApiReader answering each GET and exec from a script, counting the calls. */
function fakeApi(gets: (ProxyResponse | Error)[], execs: (string | Error)[] = []) {
  const get = scripted(gets);
  const exec = scripted(execs);
  const api: ApiReader = { get: () => get.read(), exec: () => exec.read(), stop: async () => {} };
  return { api, gets: get.calls, execs: exec.calls };
}

describe('ResumingReader', () => {
  const ok = { statusCode: 200, body: '{"items":[]}' };
  const unavailable = {
    statusCode: 503,
    body: '{"kind":"Status","message":"the server is currently unable to handle the request","reason":"ServiceUnavailable","code":503}',
  };

  it("tries a GET again after no answer and after the API server's own 503; a pod proxy's 503 is the app's: answered at once", async () => {
    const time = fakeTime();
    const outages: ReadOutage[] = [];
    const { api, gets } = fakeApi([refused(), unavailable, ok]);
    const reader = new ResumingReader(api, { limitMs: 60_000, onOutage: (o) => outages.push(o), ...time });
    expect(await reader.get('/apis/apps/v1/namespaces/lab/statefulsets/helm-python')).toEqual(ok);
    expect(gets()).toBe(3);
    expect(outages).toEqual([{ start: 0, end: 2000, what: 'API reads', fault: 'API server refused connections', failed: 2, answered: true }]);

    const pod = fakeApi([unavailable, ok]);
    const direct = new ResumingReader(pod.api, { limitMs: 60_000, ...time });
    expect(await direct.get('/api/v1/namespaces/lab/pods/helm-python-0:8000/proxy/counter.json')).toEqual(unavailable);
    expect(pod.gets()).toBe(1);
  });

  it('answers as the server last did (its 5xx) once the limit runs out', async () => {
    const time = fakeTime();
    const { api, gets } = fakeApi([unavailable]);
    const reader = new ResumingReader(api, { limitMs: 3500, ...time });
    expect(await reader.get('/version')).toEqual(unavailable);
    // 0, 1000, 2000, 3000; 4000 would be past 3500.
    expect(gets()).toBe(4);
  });

  it('tries an exec again when it got no answer, never when the API server answered with a failure (the kubelet away)', async () => {
    const time = fakeTime();
    const outages: ReadOutage[] = [];
    const { api, execs } = fakeApi([], [refused(), '{"counter": 7}']);
    const reader = new ResumingReader(api, { limitMs: 60_000, onOutage: (o) => outages.push(o), ...time });
    expect(await reader.exec('lab', 'helm-python-0', 'app', ['cat', '/data/counter.json'])).toBe('{"counter": 7}');
    expect(execs()).toBe(2);
    expect(outages.map((o) => [o.what, o.failed])).toEqual([['exec in pods', 1]]);

    const kubelet = new Error('error dialing backend: dial tcp 10.0.0.2:10250: connect: connection refused');
    const node = fakeApi([], [kubelet, 'never']);
    await expect(new ResumingReader(node.api, { limitMs: 60_000, ...time }).exec('lab', 'helm-python-0', 'app', ['cat', 'x'])).rejects.toBe(kubelet);
    expect(node.execs()).toBe(1);
  });
});

describe("Kubectl reading through a demo's resuming reader", () => {
  it('reads through the resuming reader; readingOnce() (the pod watch) asks the reader underneath, once', async () => {
    const once = fakeApi([refused()]);
    const time = fakeTime();
    const resuming = new ResumingReader(fakeApi([refused(), { statusCode: 200, body: '{"metadata":{"name":"helm-python"},"spec":{}}' }]).api, {
      limitMs: 60_000,
      ...time,
    });
    const kubectl = new Kubectl(new FakeRunner([]), 'kubectl', {}).withProxy({
      proxy: resuming,
      once: once.api,
      namespace: 'lab',
      direct: { server: 'https://10.0.0.1:6443' },
    });
    expect((await kubectl.statefulSet('helm-python'))?.metadata.name).toBe('helm-python');
    await expect(kubectl.readingOnce().statefulSet('helm-python')).rejects.toThrow('cannot reach the Kubernetes API server');
    expect(once.gets()).toBe(1);
  });
});

describe('controlPlaneWindows with reads tried again', () => {
  it('puts each read outage on the run clock, merges it with a watch break within 2 s, cuts one past the end, drops one after it', () => {
    const started = 1_000_000;
    const read = (start: number, end: number, what: string, answered = true): ReadOutage => ({
      start: started + start,
      end: started + end,
      what,
      fault: 'API server refused connections',
      failed: 3,
      answered,
    });
    const cp = controlPlaneWindows([{ t: 20_000, resumedT: 31_000, reason: 'API server refused connections', failedLists: 10 }], [], started, 60_000, [
      read(-4000, -1000, 'finding the Service'), // before the start: at 0
      read(21_000, 32_500, 'API reads'), // inside the break, ends 1.5 s after it: merged, the window to 32 500
      read(58_000, 65_000, 'exec in pods', false), // still failing at the end (60 000): cut there
      read(61_000, 62_000, 'API reads'), // after the end: left out
    ]);
    expect(cp).toEqual({
      away: [
        { start: 0, end: 0, seen: ['finding the Service: API server refused connections (tried again)'] },
        { start: 20_000, end: 32_500, seen: ['pod watch: API server refused connections', 'API reads: API server refused connections (tried again)'] },
        { start: 58_000, end: 60_000, seen: ['exec in pods: API server refused connections (given up)'] },
      ],
      changeFaults: 0,
      retried: 0,
    });
  });
});
