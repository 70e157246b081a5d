import { CATCH_UP_MS, nearControlPlaneFault, type ControlPlaneRecord } from '../demos/control-plane.js';
import { formatDuration, markdownText } from './format.js';

/**
 * One paragraph when the control plane was away during a run: its windows, what the demo met, and
 * the Service's outages inside them, so that an outage is blamed neither on the strategy nor hidden.
 */
export function controlPlaneNote(cp: ControlPlaneRecord | undefined, outages: { start: number; end: number }[] = []): string | undefined {
  if (!cp?.away.length) return undefined;
  const windows = cp.away.map((w) => `${formatDuration(w.start)}–${formatDuration(w.end)} (${w.seen.map((s) => markdownText(s)).join('; ')})`).join(', ');
  const inside = outages.filter((o) => cp.away.some((w) => o.start <= w.end && o.end >= w.start)).length;
  const after = outages.filter((o) => !cp.away.some((w) => o.start <= w.end && o.end >= w.start) && nearControlPlaneFault(cp, o.start)).length;
  const catchingUp = after
    ? ` ${after} more began in the ${CATCH_UP_MS / 1000} s after it came back, while what watches the API server (kube-proxy, which routes the Service; the kubelets) catches up: client-go lists again with a backoff that grows to 30 s while the server is away.`
    : '';
  const changes = cp.changeFaults ? ` ${cp.changeFaults} attempt${cp.changeFaults === 1 ? '' : 's'} of a change met it, ${cp.retried} run again.` : '';
  const blame = outages.length
    ? ` ${inside} of the ${outages.length} Service outage window${outages.length === 1 ? '' : 's'} overlap${inside === 1 ? 's' : ''} it: those are the cluster's as much as the strategy's.${catchingUp}`
    : ' The Service had no outage meanwhile.';
  return `**The control plane was away during this run** (from the start, the demo's pod watch broken until a list answered again, reads tried again, and changes failing with a fault of the API server): ${windows}.${changes}${blame}`;
}
