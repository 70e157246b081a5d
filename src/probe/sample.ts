// What the probe measures: one sample per request, and their summary (stats.ts). A run record
// (demos/record.ts) keeps both.

/** One probe request through the Service. `t` is ms since the run started. */
export interface ProbeSample {
  t: number;
  ok: boolean;
  latencyMs: number;
  status?: number;
  pod?: string;
  version?: string;
  counter?: number;
  error?: string;
}

/** A time span with no successful probe request: from the first failure to the next success. */
export interface OutageWindow {
  start: number;
  end: number;
  durationMs: number;
  failures: number;
}

export interface ProbeSummary {
  intervalMs: number;
  requests: number;
  ok: number;
  failures: number;
  /** ok / requests, 1 when no request was sent. */
  successRatio: number;
  longestOutageMs: number;
  outages: OutageWindow[];
  latencyMs: { p50: number; p99: number; max: number };
  /** Successful requests answered by each pod. */
  perPod: Record<string, number>;
  /** Successful requests answered by each app version. */
  perVersion: Record<string, number>;
}
