import { describe, expect, it } from 'vitest';
import type { ProbeSample } from '../../src/probe/sample.js';
import type { Source } from '../../src/probe/http.js';
import { Probe, SourceAddresses } from '../../src/probe/probe.js';
import type { ServiceTarget } from '../../src/probe/target.js';
import { outageWindows, summarizeProbe } from '../../src/probe/stats.js';

const ok = (t: number, pod = 'p-0', version = 'v1', latencyMs = 5): ProbeSample => ({ t, ok: true, latencyMs, pod, version });
const fail = (t: number): ProbeSample => ({ t, ok: false, latencyMs: 1000, error: 'ECONNREFUSED' });

describe('outageWindows', () => {
  it('is empty when every request succeeded', () => {
    expect(outageWindows([ok(0), ok(100), ok(200)])).toEqual([]);
  });
  it('runs from the first failure to the next success, counting the failures', () => {
    expect(outageWindows([ok(0), fail(100), fail(200), fail(300), ok(400), ok(500), fail(600), ok(700)])).toEqual([
      { start: 100, end: 400, durationMs: 300, failures: 3 },
      { start: 600, end: 700, durationMs: 100, failures: 1 },
    ]);
  });
  it('closes an outage still open at the end at its last failure', () => {
    expect(outageWindows([ok(0), fail(100), fail(250)])).toEqual([{ start: 100, end: 250, durationMs: 150, failures: 2 }]);
  });
  it('orders samples by time first (answers arrive out of order)', () => {
    expect(outageWindows([ok(400), fail(200), ok(0), fail(100)])).toEqual([{ start: 100, end: 400, durationMs: 300, failures: 2 }]);
  });
});

describe('summarizeProbe', () => {
  it('counts requests, failures, ratio, longest outage, latency and the spread', () => {
    const samples = [ok(0, 'p-0', 'v1', 4), ok(100, 'p-1', 'v1', 6), fail(200), fail(300), ok(400, 'p-1', 'v2', 10), ok(500, 'p-0', 'v2', 8)];
    const summary = summarizeProbe(samples, 100);
    expect(summary).toMatchObject({ intervalMs: 100, requests: 6, ok: 4, failures: 2, longestOutageMs: 200 });
    expect(summary.successRatio).toBeCloseTo(4 / 6);
    expect(summary.latencyMs).toEqual({ p50: 6, p99: 10, max: 10 });
    expect(summary.perPod).toEqual({ 'p-0': 2, 'p-1': 2 });
    expect(summary.perVersion).toEqual({ v1: 2, v2: 2 });
  });
  it('reports a ratio of 1 and no outage when nothing was sent', () => {
    expect(summarizeProbe([], 100)).toMatchObject({ requests: 0, successRatio: 1, longestOutageMs: 0, latencyMs: { p50: 0, p99: 0, max: 0 } });
  });
});

describe('SourceAddresses', () => {
  const linux = { platform: 'linux' as const };
  it('on Linux gives a loopback target its own 127/8 address and ports in turn, shared by every probe', () => {
    const first = new SourceAddresses('http://127.0.0.1:31987', { random: () => 0.5, ...linux });
    expect(first.address).toBe('127.128.128.128');
    const a = first.take();
    const b = new SourceAddresses('http://127.0.0.1:8000', linux).take();
    expect(a.address).toBe('127.128.128.128');
    expect(b.port).toBe(a.port! >= 29_999 ? 20_000 : a.port! + 1);
    expect(a.port).toBeGreaterThanOrEqual(20_000);
    expect(a.port).toBeLessThanOrEqual(29_999);
  });
  it('leaves address and port to the kernel for targets that are not an IPv4 loopback address', () => {
    for (const url of ['http://192.0.2.10:31987', 'http://localhost:8000', 'http://[::1]:8000', 'http://128.0.0.1:80', undefined]) {
      const sources = new SourceAddresses(url, linux);
      expect(sources.take(), String(url)).toEqual({});
      expect(sources.pinned).toBe(false);
    }
  });
  it.each(['darwin', 'win32', 'freebsd'] as const)(
    'never pins on %s, where the stale-conntrack artefact cannot happen (and 127.x.y.z other than 127.0.0.1 is not there)',
    (platform) => {
      const sources = new SourceAddresses('http://127.0.0.1:31987', { platform });
      expect(sources.address).toBeUndefined();
      expect(sources.take()).toEqual({});
    },
  );
  it('stops pinning for good on EADDRNOTAVAIL or EADDRINUSE, and only on those', () => {
    for (const error of ['EADDRNOTAVAIL', 'EADDRINUSE']) {
      const sources = new SourceAddresses('http://127.0.0.1:31987', linux);
      expect(sources.unpin('ECONNREFUSED')).toBe(false);
      expect(sources.unpin(undefined)).toBe(false);
      expect(sources.take().address).toMatch(/^127\./);
      expect(sources.unpin(error)).toBe(true);
      expect(sources.take()).toEqual({});
      expect(sources.unpin(error)).toBe(false);
    }
  });
});

describe('Probe with a source the kernel will not bind', () => {
  /** A target that fails every pinned request the way a kernel without 127.x.y.z does, and answers the others. */
  function fakeTarget(): ServiceTarget & { sources: Source[] } {
    const sources: Source[] = [];
    return {
      url: 'http://127.0.0.1:31987',
      description: 'a fake',
      sources,
      get(_path: string, _timeoutMs: number, source: Source = {}) {
        sources.push(source);
        if (source.address) return Promise.resolve({ ok: false, error: 'EADDRNOTAVAIL', ms: 0 });
        return Promise.resolve({ ok: true, status: 200, body: { pod: 'helm-python-0', version: 'v1', counter: sources.length }, ms: 1 });
      },
    } as ServiceTarget & { sources: Source[] };
  }

  it('sends that request again unpinned, counts no failure, and pins no later request', async () => {
    const target = fakeTarget();
    const probe = new Probe(target, { intervalMs: 5, timeoutMs: 100, clock: () => 0 }, new SourceAddresses(target.url, { platform: 'linux' }));
    probe.start();
    await new Promise((resolve) => setTimeout(resolve, 40));
    const samples = await probe.stop();
    expect(samples.length).toBeGreaterThan(2);
    expect(samples.every((s) => s.ok)).toBe(true);
    // One pinned attempt, then the kernel's choice for it and every later request.
    expect(target.sources.filter((s) => s.address)).toHaveLength(1);
    expect(target.sources[0]?.address).toMatch(/^127\./);
    expect(target.sources.slice(1).every((s) => s.address === undefined && s.port === undefined)).toBe(true);
    expect(target.sources).toHaveLength(samples.length + 1);
  });
});
