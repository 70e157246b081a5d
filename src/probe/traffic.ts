import type { AppReply, HttpReply } from './http.js';
import type { ServiceTarget } from './target.js';

export interface PodShare {
  pod: string;
  versions: string[];
  requests: number;
  /** The highest counter the pod answered with. */
  lastCounter: number;
}

export interface TrafficResult {
  target: string;
  sent: number;
  ok: number;
  failed: number;
  durationMs: number;
  pods: PodShare[];
  errors: Record<string, number>;
}

export interface TrafficOptions {
  /** Stop after this many requests, or */
  requests?: number;
  /** after this long. */
  durationMs?: number;
  concurrency: number;
  timeoutMs: number;
}

/** Counts replies by pod as they come, so a long run keeps no reply in memory. */
export class TrafficTally {
  private readonly pods = new Map<string, PodShare>();
  private readonly errors: Record<string, number> = {};
  private ok = 0;
  private sent = 0;

  add(reply: HttpReply): void {
    this.sent += 1;
    const body = (reply.body ?? {}) as AppReply;
    if (!reply.ok || typeof body.pod !== 'string') {
      const reason = reply.error ?? (reply.ok ? 'unexpected answer' : `HTTP ${reply.status}`);
      this.errors[reason] = (this.errors[reason] ?? 0) + 1;
      return;
    }
    this.ok += 1;
    const share = this.pods.get(body.pod) ?? { pod: body.pod, versions: [], requests: 0, lastCounter: 0 };
    share.requests += 1;
    if (typeof body.counter === 'number') share.lastCounter = Math.max(share.lastCounter, body.counter);
    if (typeof body.version === 'string' && !share.versions.includes(body.version)) share.versions.push(body.version);
    this.pods.set(body.pod, share);
  }

  get count(): number {
    return this.sent;
  }

  result(): Pick<TrafficResult, 'ok' | 'failed' | 'pods' | 'errors'> {
    const pods = [...this.pods.values()].sort((a, b) => a.pod.localeCompare(b.pod, 'en', { numeric: true }));
    return { ok: this.ok, failed: this.sent - this.ok, pods, errors: { ...this.errors } };
  }
}

/** Sends GET / through the Service until the request count or the duration is reached. */
export async function sendTraffic(target: ServiceTarget, options: TrafficOptions): Promise<TrafficResult> {
  const started = performance.now();
  const deadline = options.durationMs === undefined ? Infinity : started + options.durationMs;
  const limit = options.requests ?? Infinity;
  const tally = new TrafficTally();
  let issued = 0;
  const worker = async () => {
    while (issued < limit && performance.now() < deadline) {
      issued += 1;
      tally.add(await target.get('/', options.timeoutMs));
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, options.concurrency) }, worker));
  return { target: target.description, sent: tally.count, durationMs: Math.round(performance.now() - started), ...tally.result() };
}
