import type { OutageWindow, ProbeSample, ProbeSummary } from './sample.js';

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? 0;
}

/**
 * Outage windows: a run of consecutive failed samples (in time order), from the first failure
 * to the next success (or the last failure when none followed).
 */
export function outageWindows(samples: ProbeSample[]): OutageWindow[] {
  const ordered = [...samples].sort((a, b) => a.t - b.t);
  const windows: OutageWindow[] = [];
  let open: { start: number; last: number; failures: number } | undefined;
  for (const sample of ordered) {
    if (!sample.ok) {
      open ??= { start: sample.t, last: sample.t, failures: 0 };
      open.last = sample.t;
      open.failures += 1;
    } else if (open) {
      windows.push({ start: open.start, end: sample.t, durationMs: sample.t - open.start, failures: open.failures });
      open = undefined;
    }
  }
  if (open) windows.push({ start: open.start, end: open.last, durationMs: open.last - open.start, failures: open.failures });
  return windows;
}

export function summarizeProbe(samples: ProbeSample[], intervalMs: number): ProbeSummary {
  const ok = samples.filter((s) => s.ok);
  const outages = outageWindows(samples);
  const latencies = ok.map((s) => s.latencyMs).sort((a, b) => a - b);
  const tally = (key: 'pod' | 'version') =>
    ok.reduce<Record<string, number>>((counts, s) => {
      const value = s[key];
      if (value !== undefined) counts[value] = (counts[value] ?? 0) + 1;
      return counts;
    }, {});
  return {
    intervalMs,
    requests: samples.length,
    ok: ok.length,
    failures: samples.length - ok.length,
    successRatio: samples.length ? ok.length / samples.length : 1,
    longestOutageMs: Math.max(0, ...outages.map((o) => o.durationMs)),
    outages,
    latencyMs: { p50: percentile(latencies, 50), p99: percentile(latencies, 99), max: latencies.at(-1) ?? 0 },
    perPod: tally('pod'),
    perVersion: tally('version'),
  };
}
