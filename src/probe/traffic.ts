import type { HttpReply } from './http.js';
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

interface AppReply {
  pod?: unknown;
  counter?: unknown;
  version?: unknown;
}

/** Tallies replies by pod; pure, so the spread logic is tested without a network. */
export function tallyReplies(replies: HttpReply[]): Pick<TrafficResult, 'ok' | 'failed' | 'pods' | 'errors'> {
  const pods = new Map<string, PodShare>();
  const errors: Record<string, number> = {};
  let ok = 0;
  for (const reply of replies) {
    const body = (reply.body ?? {}) as AppReply;
    if (!reply.ok || typeof body.pod !== 'string') {
      const reason = reply.error ?? (reply.ok ? 'unexpected answer' : `HTTP ${reply.status}`);
      errors[reason] = (errors[reason] ?? 0) + 1;
      continue;
    }
    ok += 1;
    const share = pods.get(body.pod) ?? { pod: body.pod, versions: [], requests: 0, lastCounter: 0 };
    share.requests += 1;
    if (typeof body.counter === 'number') share.lastCounter = Math.max(share.lastCounter, body.counter);
    if (typeof body.version === 'string' && !share.versions.includes(body.version)) share.versions.push(body.version);
    pods.set(body.pod, share);
  }
  return { ok, failed: replies.length - ok, pods: [...pods.values()].sort((a, b) => a.pod.localeCompare(b.pod, 'en', { numeric: true })), errors };
}

/** Sends GET / through the Service until the request count or the duration is reached. */
export async function sendTraffic(target: ServiceTarget, options: TrafficOptions): Promise<TrafficResult> {
  const started = performance.now();
  const deadline = options.durationMs === undefined ? Infinity : started + options.durationMs;
  const limit = options.requests ?? Infinity;
  const replies: HttpReply[] = [];
  let issued = 0;
  const worker = async () => {
    while (issued < limit && performance.now() < deadline) {
      issued += 1;
      replies.push(await target.get('/', options.timeoutMs));
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, options.concurrency) }, worker));
  return { target: target.description, sent: replies.length, durationMs: Math.round(performance.now() - started), ...tallyReplies(replies) };
}
