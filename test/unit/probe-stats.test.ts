import { describe, expect, it } from 'vitest';
import type { ProbeSample } from '../../src/demos/record.js';
import { SourceAddresses } from '../../src/probe/probe.js';
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
  it('gives a loopback target its own 127/8 address and ports in turn, shared by every probe', () => {
    const first = new SourceAddresses('http://127.0.0.1:31987', () => 0.5);
    expect(first.address).toBe('127.128.128.128');
    const a = first.take();
    const b = new SourceAddresses('http://localhost:8000').take();
    expect(a.address).toBe('127.128.128.128');
    expect(b.port).toBe(a.port! >= 29_999 ? 20_000 : a.port! + 1);
    expect(a.port).toBeGreaterThanOrEqual(20_000);
    expect(a.port).toBeLessThanOrEqual(29_999);
  });
  it('leaves the address to the kernel for other targets', () => {
    expect(new SourceAddresses('http://192.0.2.10:31987').take().address).toBeUndefined();
    expect(new SourceAddresses(undefined).address).toBeUndefined();
  });
});
