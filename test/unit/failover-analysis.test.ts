// The failover analysis fed recorded events of each mode, with figures worked out by hand below
// each case: which explanation the figures support, and none they do not.
import { describe, expect, it } from 'vitest';
import {
  crashProbeMinimumMs,
  explainFailover,
  failoverFigures,
  hangDetectionWindow,
  podClockWithin,
  type FailoverContext,
} from '../../src/demos/failover-analysis.js';
import type { PodEvent, ProbeSample } from '../../src/demos/record.js';

const POD = 'helm-python-1';
const ok = (t: number, pod = 'helm-python-0'): ProbeSample => ({ t, ok: true, latencyMs: 2, pod });
const refused = (t: number): ProbeSample => ({ t, ok: false, latencyMs: 1, error: 'ECONNREFUSED' });
const hung = (t: number): ProbeSample => ({ t, ok: false, latencyMs: 1000, error: 'no answer within 1000 ms' });
const ev = (t: number, type: PodEvent['type'], pod = POD): PodEvent => ({ t, pod, type });
const chart = { periodSeconds: 1, failureThreshold: 2, timeoutSeconds: 1, successThreshold: 1 };

describe('the readiness probe bounds, from its settings', () => {
  it('a dead process (refused at once): failureThreshold failures need (F − 1) × periodSeconds at the least', () => {
    expect(crashProbeMinimumMs(chart)).toBe(1000);
    expect(crashProbeMinimumMs({ periodSeconds: 10, failureThreshold: 3, timeoutSeconds: 1 })).toBe(20_000);
  });
  it('a stopped process (each probe times out): (F − 1) × max(P, T) + T, up to one period more', () => {
    // P 1, F 2, T 1: 1 × 1 + 1 = 2 s, up to 3 s.
    expect(hangDetectionWindow(chart)).toEqual({ minMs: 2000, maxMs: 3000 });
    // P 10, F 3, T 1: 2 × 10 + 1 = 21 s, up to 31 s.
    expect(hangDetectionWindow({ periodSeconds: 10, failureThreshold: 3, timeoutSeconds: 1 })).toEqual({ minMs: 21_000, maxMs: 31_000 });
    // T longer than P: the next probe waits for the previous one, 2 × 5 + 5 = 15 s, up to 16 s.
    expect(hangDetectionWindow({ periodSeconds: 1, failureThreshold: 3, timeoutSeconds: 5 })).toEqual({ minMs: 15_000, maxMs: 16_000 });
  });
  it("the pod's clock counts only when it falls within the command's run", () => {
    expect(podClockWithin(1710, 2350, 2280)).toBe(2280);
    expect(podClockWithin(1710, 2350, 2500)).toBeNull();
    expect(podClockWithin(1710, 2350, null)).toBeNull();
  });
});

describe('--mode kill: the pod went not Ready before any readiness probe could fail twice', () => {
  // The exec ran 1.71 → 2.35 s; the pod's clock says the SIGKILL went at 2.28 s. One request, sent
  // at 2.58 s, was refused; the watch saw the pod not Ready at 2.68 s and Ready at 4.90 s.
  const run = {
    pod: POD,
    failure: { requestedAt: 1710, doneAt: 2350, podClockAt: 2280 },
    podEvents: [ev(2680, 'not-ready'), ev(4900, 'ready'), ev(3000, 'ready', 'helm-python-0')],
    samples: [ok(2180, POD), ok(2480), refused(2580), ok(2680), ok(2780), ok(5000, POD)],
  };
  const context: FailoverContext = {
    mode: 'kill',
    pod: POD,
    replicas: 2,
    readiness: chart,
    liveness: null,
    restarts: { before: 0, after: 1 },
    requestTimeoutMs: 1000,
    restart: { exitedAt: '2026-12-03T09:00:02Z', startedAt: '2026-12-03T09:00:03Z' },
  };

  it('figures: from the SIGKILL at 2.28 s', () => {
    expect(failoverFigures(run)).toEqual({
      at: 2280,
      basis: 'signal',
      notReadyMs: 400, // 2680 − 2280
      // 2580 − 2280 = 300; the next success at 2680: 100 ms.
      failed: { count: 1, firstMs: 300, lastMs: 300, spanMs: 100, timedOut: 0, refused: 1, other: 0, otherErrors: {} },
      lastFailedAfterNotReadyMs: -100, // 300 − 400
      readyAgainMs: 2620, // 4900 − 2280
      resumedMs: null,
      readyAfterResumeMs: null,
    });
  });

  it('says the container exit, not the probe, took it out; no claim about the probe bounding it', () => {
    const { bound, lines, advice } = explainFailover(failoverFigures(run), context);
    expect(bound).toBe('container-exit');
    expect(lines[0]).toBe(
      'helm-python-1 went not Ready 0.4 s after the SIGKILL, sooner than its readiness probe could have taken it out (failureThreshold 2 failures 1 s apart take 1.0 s at the least). ' +
        'So the probe did not bound this outage: the kubelet saw the container exit, and a container that is not running is never Ready.',
    );
    expect(lines[1]).toBe('1 probe request failed, sent from 0.3 s to 0.3 s after it: 1 refused (ECONNREFUSED: nothing listened on the port any more).');
    expect(lines[2]).toBe('Every one was sent before the pod watch saw the pod not Ready.');
    // 2.62 s after the kill, 2.62 − 0.4 = 2.22 s after not Ready.
    expect(lines[3]).toBe(
      'Ready again 2.6 s after the SIGKILL, 2.2 s after it went not Ready: the container restarted in the same pod (restarts 0 → 1) and its readiness probe passed.',
    );
    expect(lines[4]).toBe(
      'The kubelet recorded the exit at 2026-12-03T09:00:02Z and started the container again at 2026-12-03T09:00:03Z (timestamps to the second): sooner than the 10 s a crash back-off waits, so none held this restart back.',
    );
    expect(advice).toMatch(/^It cost 1 failed request over 0\.1 s\. Tuning the readiness probe would not have shortened it/);
    expect(advice).toContain('1 pod of 2 here');
    expect([...lines, advice].join(' ')).not.toMatch(/periodSeconds 1 × failureThreshold 2|lower readinessProbe/);
  });

  it('a restart the kubelet held back 10 s is named as its back-off', () => {
    const lines = explainFailover(failoverFigures(run), { ...context, restart: { exitedAt: '2026-12-03T09:00:02Z', startedAt: '2026-12-03T09:00:12Z' } }).lines;
    expect(lines.at(-1)).toMatch(/it held the restart back 10\.0 s, its crash back-off/);
  });

  it('not Ready no sooner than the probe could have: the run does not say which came first', () => {
    // Not Ready at 3.78 s: 1.5 s after the kill, later than the 1 s two failed probes need.
    const later = { ...run, podEvents: [ev(3780, 'not-ready'), ev(4900, 'ready')] };
    const { bound, lines, advice } = explainFailover(failoverFigures(later), context);
    expect(bound).toBe('unclear');
    expect(lines[0]).toBe(
      'helm-python-1 went not Ready 1.5 s after the SIGKILL, no sooner than its readiness probe could have (1.0 s): this run does not tell the kubelet seeing the container exit from the probe failing.',
    );
    expect(advice).toMatch(/This run does not show what bounded it/);
  });

  it("a record that kept only the command's start counts from there and says so", () => {
    const old = { ...run, failure: { requestedAt: 1710, doneAt: 1710, podClockAt: null } };
    const figures = failoverFigures(old);
    // 2680 − 1710 = 970: still under the 1 s two failed probes need.
    expect([figures.at, figures.basis, figures.notReadyMs, figures.failed.firstMs]).toEqual([1710, 'command', 970, 870]);
    expect(explainFailover(figures, context).lines[0]).toMatch(
      /^helm-python-1 went not Ready 1\.0 s after the start of the kubectl exec that sent the SIGKILL, sooner than/,
    );
  });
});

describe('--mode kill on the cluster: a reset and refusals', () => {
  it('names each kind of failure by its error', () => {
    // Measured on the 1.37.2 cluster: the SIGKILL at 4.024 s (pod clock); one request reset, four refused.
    const run = {
      pod: POD,
      failure: { requestedAt: 2890, doneAt: 4164, podClockAt: 4024 },
      podEvents: [ev(4790, 'not-ready'), ev(5679, 'ready')],
      samples: [ok(3930, POD), { ...refused(4030), error: 'ECONNRESET' }, refused(4131), refused(4231), ok(4331), refused(4531), refused(4705), ok(4731)],
    };
    const f = failoverFigures(run);
    // 4030 − 4024 = 6 ms to 4705 − 4024 = 681 ms; not Ready 4790 − 4024 = 766 ms; Ready 5679 − 4024 = 1655 ms.
    expect([f.failed.count, f.failed.firstMs, f.failed.lastMs, f.notReadyMs, f.readyAgainMs]).toEqual([5, 6, 681, 766, 1655]);
    expect(f.failed.otherErrors).toEqual({ ECONNRESET: 1 });
    const { bound, lines } = explainFailover(f, {
      mode: 'kill',
      pod: POD,
      replicas: 2,
      readiness: chart,
      liveness: null,
      restarts: { before: 0, after: 1 },
      requestTimeoutMs: 1000,
    });
    expect(bound).toBe('container-exit');
    expect(lines[1]).toBe(
      '5 probe requests failed, sent from 0.0 s to 0.7 s after it: 4 refused (ECONNREFUSED: nothing listened on the port any more), 1 ECONNRESET.',
    );
  });
});

describe('--mode hang: the readiness probe bounds it', () => {
  // SIGSTOP at 1.30 s by the pod's clock (the exec ran 1.00 → 1.40 s). Requests sent to the stopped
  // app at 1.40, 1.60, 1.80, 2.50 and 3.90 s got no answer within 1 s; the watch saw the pod not
  // Ready at 3.80 s; SIGCONT at 9.20 s (exec 9.00 → 9.30 s); Ready at 10.10 s.
  const samples = [
    ok(1200, POD),
    hung(1400),
    ok(1500),
    hung(1600),
    hung(1800),
    ok(2000),
    hung(2500),
    ok(3000),
    hung(3900),
    ok(4000),
    ok(8000),
    ok(10_300, POD),
  ];
  const run = {
    pod: POD,
    failure: { requestedAt: 1000, doneAt: 1400, podClockAt: 1300 },
    resume: { requestedAt: 9000, doneAt: 9300, podClockAt: 9200 },
    podEvents: [ev(3800, 'not-ready'), ev(10_100, 'ready')],
    samples,
  };
  const context: FailoverContext = {
    mode: 'hang',
    pod: POD,
    replicas: 2,
    readiness: chart,
    liveness: null,
    restarts: { before: 0, after: 0 },
    requestTimeoutMs: 1000,
  };

  it('figures: timed-out requests counted as failed by when they were sent', () => {
    expect(failoverFigures(run)).toEqual({
      at: 1300,
      basis: 'signal',
      notReadyMs: 2500, // 3800 − 1300
      // 1400 − 1300 = 100 to 3900 − 1300 = 2600; from 1400 to the success after 3900, at 4000: 2600.
      failed: { count: 5, firstMs: 100, lastMs: 2600, spanMs: 2600, timedOut: 5, refused: 0, other: 0, otherErrors: {} },
      lastFailedAfterNotReadyMs: 100,
      readyAgainMs: 8800, // 10100 − 1300
      resumedMs: 7900, // 9200 − 1300
      readyAfterResumeMs: 900, // 10100 − 9200
    });
  });

  it('explains the outage by the probe settings (2 to 3 s), the missing liveness probe and the SIGCONT', () => {
    const { bound, lines, advice } = explainFailover(failoverFigures(run), context);
    expect(bound).toBe('readiness-probe');
    expect(lines).toEqual([
      'Requests to the stopped app were not refused but left unanswered: the process still held its port open.',
      'helm-python-1 went not Ready 2.5 s after the SIGSTOP, as its readiness probe allows: failureThreshold 2 probes in a row, each failing after timeoutSeconds 1 s without an answer, one every 1 s (periodSeconds 1, a probe starts only once the previous one is over): 2.0 s to 3.0 s.',
      '5 probe requests failed, sent from 0.1 s to 2.6 s after it: 5 timed out (no answer within 1.0 s, counted failed then).',
      'The last one was sent 0.1 s after the pod went not Ready: for that long the Service still sent it requests, while the EndpointSlice controller and kube-proxy took it out.',
      'After that no request failed until the SIGCONT, 7.9 s after the SIGSTOP: the Service sent every request to the other pod.',
      'The chart defines no liveness probe, so nothing restarted the stopped app (restarts 0 → 0): it stayed not Ready, out of the Service, until the SIGCONT. A real hang would last until someone restarts the pod.',
      'Ready again 0.9 s after the SIGCONT: the next readiness probe passed (successThreshold 1, one every 1 s).',
    ]);
    expect(advice).toBe(
      'It cost 5 failed requests, 5 of them after a client wait of 1.0 s. The readiness probe bounded it: a lower readinessProbe.periodSeconds, failureThreshold or timeoutSeconds (chart values) takes a hung pod out sooner (now 2.0 s to 3.0 s), at the price of also taking out a pod that only stalls for a moment. A client timeout shorter than 1.0 s with a retry hides it. The chart has no livenessProbe: add one (an httpGet on /healthz) to have the kubelet restart a hung container rather than leave it out of service.',
    );
  });

  it('a liveness probe that restarted the container is said to have done it', () => {
    const liveness = { periodSeconds: 2, failureThreshold: 2, timeoutSeconds: 1, successThreshold: 1 };
    const lines = explainFailover(failoverFigures(run), { ...context, liveness, restarts: { before: 0, after: 1 } }).lines;
    expect(lines).toContain(
      'Its liveness probe (periodSeconds 2, failureThreshold 2, timeoutSeconds 1) made the kubelet kill and restart the container (restarts 0 → 1).',
    );
  });

  it('not Ready 0.4 s after the probe bound (as measured on the cluster): the excess is named, not hidden', () => {
    // Not Ready at 4.70 s: 3.4 s after the stop, 0.4 s beyond the 3 s the probe allows.
    const late = { ...run, podEvents: [ev(4700, 'not-ready'), ev(10_100, 'ready')] };
    const { bound, lines } = explainFailover(failoverFigures(late), context);
    expect(bound).toBe('readiness-probe');
    expect(lines[1]).toMatch(
      /^helm-python-1 went not Ready 3\.4 s after the SIGSTOP: its readiness probe allows .*: 2\.0 s to 3\.0 s; the 0\.4 s beyond that is not the probe's, but the kubelet reporting the new status to the API server and the watch seeing it\.$/,
    );
    // 5 s after the stop, beyond 3 s + 1.5 s: the run does not say where it went.
    const later = { ...run, podEvents: [ev(6300, 'not-ready'), ev(10_100, 'ready')] };
    expect(explainFailover(failoverFigures(later), context).bound).toBe('unclear');
  });

  it('not Ready sooner than the probe allows: the report says the measurement contradicts the bound', () => {
    // Not Ready at 2.10 s: 0.8 s after the stop, under the 2 s two timed-out probes take.
    const early = { ...run, podEvents: [ev(2100, 'not-ready'), ev(10_100, 'ready')] };
    const { bound, lines, advice } = explainFailover(failoverFigures(early), context);
    expect(bound).toBe('unclear');
    expect(lines[1]).toMatch(
      /^helm-python-1 went not Ready 0\.8 s after the SIGSTOP, sooner than its readiness probe allows .*: this measurement contradicts that bound/,
    );
    expect(advice).toMatch(/does not show the readiness probe bounding it/);
  });

  it('never seen not Ready (a Ctrl-C 0.3 s into the hang): no claim that the probe took it out, nor that it stayed out', () => {
    const never = { ...run, podEvents: [] };
    const { bound, lines } = explainFailover(failoverFigures(never), context);
    expect(bound).toBe('not-seen');
    expect(lines).toContain('The pod watch did not see helm-python-1 go not Ready while its app was stopped.');
    expect(lines).toContain(
      'The chart defines no liveness probe, so nothing restarted the stopped app (restarts 0 → 0). A real hang would last until someone restarts the pod.',
    );
    expect(lines.join(' ')).not.toMatch(/as its readiness probe allows|stayed not Ready/);
  });
});
