import { describe, expect, it } from 'vitest';
import type { HttpReply } from '../../src/probe/http.js';
import { sendTraffic } from '../../src/probe/traffic.js';
import type { ServiceTarget } from '../../src/probe/target.js';

/** Sends exactly these replies, one request at a time, through a target that answers them in order. */
function tallyReplies(replies: HttpReply[]) {
  const target: ServiceTarget = { description: 'scripted', get: async () => replies.shift() ?? { ok: false, error: 'unscripted', ms: 0 } };
  return sendTraffic(target, { requests: replies.length, concurrency: 1, timeoutMs: 100 });
}

describe('sendTraffic tallies', () => {
  it('counts replies per pod, versions, highest counter and failure reasons', async () => {
    const tally = await tallyReplies([
      { ok: true, status: 200, body: { pod: 'helm-python-1', counter: 4, version: 'v1' }, ms: 3 },
      { ok: true, status: 200, body: { pod: 'helm-python-0', counter: 7, version: 'v1' }, ms: 3 },
      { ok: true, status: 200, body: { pod: 'helm-python-1', counter: 5, version: 'v2' }, ms: 3 },
      { ok: false, error: 'ECONNREFUSED', ms: 1 },
      { ok: false, status: 503, ms: 1 },
      { ok: true, status: 200, body: 'not json', ms: 1 },
    ]);
    expect(tally.sent).toBe(6);
    expect(tally.ok).toBe(3);
    expect(tally.failed).toBe(3);
    expect(tally.pods).toEqual([
      { pod: 'helm-python-0', versions: ['v1'], requests: 1, lastCounter: 7 },
      { pod: 'helm-python-1', versions: ['v1', 'v2'], requests: 2, lastCounter: 5 },
    ]);
    expect(tally.errors).toEqual({ ECONNREFUSED: 1, 'HTTP 503': 1, 'unexpected answer': 1 });
  });

  it('orders pods by ordinal, 2 before 10', async () => {
    const replies = ['p-10', 'p-2'].map((pod) => ({ ok: true, status: 200, body: { pod, counter: 1, version: 'v1' }, ms: 1 }));
    expect((await tallyReplies(replies)).pods.map((p) => p.pod)).toEqual(['p-2', 'p-10']);
  });
});

describe('sendTraffic', () => {
  it('sends exactly the number of requests asked for, with bounded concurrency', async () => {
    let inFlight = 0;
    let most = 0;
    let n = 0;
    const target: ServiceTarget = {
      description: 'fake',
      async get() {
        inFlight += 1;
        most = Math.max(most, inFlight);
        await new Promise((r) => setTimeout(r, 1));
        inFlight -= 1;
        n += 1;
        return { ok: true, status: 200, body: { pod: `p-${n % 2}`, counter: n, version: 'v1' }, ms: 1 };
      },
    };
    const result = await sendTraffic(target, { requests: 25, concurrency: 4, timeoutMs: 100 });
    expect(result.sent).toBe(25);
    expect(n).toBe(25);
    expect(most).toBe(4);
    expect(result.pods.reduce((sum, p) => sum + p.requests, 0)).toBe(25);
  });
});
