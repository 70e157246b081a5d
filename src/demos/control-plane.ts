// When the control plane was away during a run, from what the demo itself met: its pod watch
// broken (and resumed once a list answered again) and its changes failing with a fault of the API
// server. The report puts these beside the Service's outages, so that neither is blamed on the
// strategy nor hidden.
import type { ChangeFault } from '../adapters/changes.js';
import { controlPlaneAway, type ReadOutage, type WatchBreak } from '../adapters/transient.js';

export interface ControlPlaneWindow {
  /** ms since the run started. */
  start: number;
  end: number;
  /** What was met: "pod watch: API server refused connections", "helm upgrade helm-python: etcd timeout (run again)". */
  seen: string[];
}

export interface ControlPlaneRecord {
  away: ControlPlaneWindow[];
  /** Changes that failed with a fault of the API server, and how many of those attempts were run again. */
  changeFaults: number;
  retried: number;
}

/** Windows closer than this are one. */
const MERGE_GAP_MS = 2000;

/**
 * The windows when the control plane was away (merged, in order), or undefined when it never was:
 * from the pod watch's breaks, the changes' failed attempts and the reads tried again, on the run's
 * clock: a read before the start (finding the Service) is put at 0, one after the end left out.
 */
export function controlPlaneWindows(
  breaks: WatchBreak[],
  faults: ChangeFault[],
  startedAtMs: number,
  endMs: number,
  reads: ReadOutage[] = [],
): ControlPlaneRecord | undefined {
  const raw: ControlPlaneWindow[] = [
    ...breaks.filter(controlPlaneAway).map((b) => ({ start: b.t, end: b.resumedT ?? endMs, seen: [`pod watch: ${b.reason}`] })),
    ...faults.map((f) => {
      const t = f.at - startedAtMs;
      return { start: t, end: t, seen: [`${f.doing}: ${f.fault}${f.retried ? ' (run again)' : ''}`] };
    }),
    ...reads
      .filter((r) => r.start - startedAtMs <= endMs)
      .map((r) => ({
        start: Math.max(0, r.start - startedAtMs),
        end: Math.min(Math.max(0, r.end - startedAtMs), endMs),
        seen: [`${r.what}: ${r.fault}${r.answered ? ' (tried again)' : ' (given up)'}`],
      })),
  ].sort((a, b) => a.start - b.start);
  if (!raw.length) return undefined;
  const away: ControlPlaneWindow[] = [];
  for (const w of raw) {
    const last = away.at(-1);
    if (last && w.start <= last.end + MERGE_GAP_MS) {
      last.end = Math.max(last.end, w.end);
      for (const s of w.seen) if (!last.seen.includes(s)) last.seen.push(s);
    } else away.push({ ...w, seen: [...w.seen] });
  }
  return { away, changeFaults: faults.length, retried: faults.filter((f) => f.retried).length };
}

/**
 * How long after a window the cluster may still be catching up: what watches the API server
 * (kube-proxy, which routes the Service; the kubelets) lists again with client-go's backoff, which
 * grows to 30 s between tries while the server is away, so it may notice changes made meanwhile
 * (a pod going) that much later. Twice that, to cover a try just missed.
 */
export const CATCH_UP_MS = 60_000;

/** The time (ms since the run started) falls inside a window or within CATCH_UP_MS after one. */
export function nearControlPlaneFault(cp: ControlPlaneRecord | undefined, t: number): boolean {
  return Boolean(cp?.away.some((w) => t >= w.start && t <= w.end + CATCH_UP_MS));
}
