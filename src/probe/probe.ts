import type { ProbeSample } from '../demos/record.js';
import type { ServiceTarget } from './target.js';

export interface ProbeOptions {
  intervalMs: number;
  timeoutMs: number;
  /** ms since the run started: the probe's and the watch's clocks are the same. */
  clock: () => number;
}

interface AppReply {
  pod?: unknown;
  version?: unknown;
  counter?: unknown;
}

/**
 * Sends GET / through the Service every `intervalMs`, on schedule whether or not the previous
 * request has answered (a slow pod must not slow the probe down), and keeps every result.
 */
export class Probe {
  readonly samples: ProbeSample[] = [];
  private timer?: NodeJS.Timeout;
  private readonly inFlight = new Set<Promise<void>>();

  constructor(
    private readonly target: ServiceTarget,
    private readonly options: ProbeOptions,
  ) {}

  start(): void {
    this.fire();
    this.timer = setInterval(() => this.fire(), this.options.intervalMs);
  }

  /** Stops sending and waits for the requests still in flight. */
  async stop(): Promise<ProbeSample[]> {
    clearInterval(this.timer);
    await Promise.all(this.inFlight);
    return this.samples.sort((a, b) => a.t - b.t);
  }

  /** Samples taken from `since` (ms since start) on. */
  samplesSince(since: number): ProbeSample[] {
    return this.samples.filter((s) => s.t >= since);
  }

  private fire(): void {
    const t = this.options.clock();
    const request = this.target.get('/', this.options.timeoutMs).then((reply) => {
      const body = (reply.body ?? {}) as AppReply;
      const ok = reply.ok && typeof body.pod === 'string';
      this.samples.push({
        t,
        ok,
        latencyMs: reply.ms,
        ...(reply.status !== undefined && { status: reply.status }),
        ...(typeof body.pod === 'string' && { pod: body.pod }),
        ...(typeof body.version === 'string' && { version: body.version }),
        ...(typeof body.counter === 'number' && { counter: body.counter }),
        ...(!ok && { error: reply.error ?? `HTTP ${reply.status}` }),
      });
    });
    this.inFlight.add(request);
    void request.finally(() => this.inFlight.delete(request));
  }
}
