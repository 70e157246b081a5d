import { LabError } from '../errors.js';
import type { Lab } from '../lab-context.js';
import { DEFAULTS } from '../defaults.js';
import { openProxiedReader, type ProxiedReader } from '../counters.js';
import { resolveTarget, untilRouted, type ServiceTarget } from '../probe/target.js';
import { ROUTE_WAIT_MS } from '../limits.js';
import { sendTraffic } from '../probe/traffic.js';
import { renderTable } from '../ui/table.js';

export interface TrafficCommandOptions {
  requests?: number;
  duration?: number;
  concurrency: number;
  url?: string;
  requestTimeout: number;
}

export async function traffic(lab: Lab, options: TrafficCommandOptions): Promise<void> {
  // Only when the Service is reached through the API server: one kubectl proxy for every request.
  let reader: ProxiedReader | undefined;
  try {
    await sendAndReport(lab, options, await resolveTarget(lab.kubectl, lab.release, options.url, async () => (reader = await openProxiedReader(lab))?.kubectl));
  } finally {
    await reader?.close();
  }
}

async function sendAndReport(lab: Lab, options: TrafficCommandOptions, target: ServiceTarget): Promise<void> {
  lab.log.info(
    `sending ${options.duration ? `requests for ${Math.round(options.duration / 1000)} s` : `${options.requests ?? DEFAULTS.traffic.requests} requests`} to ${target.description}`,
  );
  await untilRouted(target, ROUTE_WAIT_MS, (reason) => lab.log.info(`waiting up to ${ROUTE_WAIT_MS / 1000} s for ${target.description} to answer (${reason})`));
  const result = await sendTraffic(target, {
    requests: options.duration ? undefined : (options.requests ?? DEFAULTS.traffic.requests),
    durationMs: options.duration,
    concurrency: options.concurrency,
    timeoutMs: options.requestTimeout,
  });
  const reasons = Object.entries(result.errors)
    .map(([reason, n]) => `${n}× ${reason}`)
    .join(', ');
  lab.log.result(result, () =>
    [
      renderTable(
        ['POD', 'VERSION', 'REQUESTS', 'SHARE', 'COUNTER'],
        result.pods.map((p) => [p.pod, p.versions.join(','), p.requests, `${Math.round((100 * p.requests) / Math.max(1, result.sent))}%`, p.lastCounter]),
      ),
      '',
      `${result.sent} requests in ${(result.durationMs / 1000).toFixed(1)} s: ${result.ok} ok, ${result.failed} failed${result.failed ? ` (${reasons})` : ''}`,
    ].join('\n'),
  );
  if (result.ok === 0) throw new LabError(`no request to ${target.description} succeeded (${reasons})`, 'check the pods with `k8s-lab status`, or pass --url');
}
