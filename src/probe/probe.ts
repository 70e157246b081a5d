import type { ProbeSample } from '../demos/record.js';
import type { HttpReply } from './http.js';
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
 * Source ports for the probe's connections, taken in turn from a range so that none is used again
 * for ~15 minutes at 10 requests/s.
 *
 * Why: while a Service has no endpoints (the recreate demo's outage) kube-proxy rejects
 * connections, and each rejected SYN leaves an un-NATed SYN_SENT conntrack entry for up to 120 s.
 * A later connection that the kernel happens to give the same source port matches that entry, is
 * not NATed to a pod, and hangs on the NodePort that kube-proxy holds open. Measured on the local
 * cluster: 7 of 679 probe requests of a canary run right after a recreate run timed out that way,
 * 0 with this. One client reusing its own ports is an artefact of probing, not what users see.
 */
export class SourcePorts {
  private next: number;
  constructor(
    private readonly first = 20_000,
    private readonly last = 29_999,
    start = first + Math.floor(Math.random() * (last - first)),
  ) {
    this.next = start;
  }

  take(): number {
    const port = this.next;
    this.next = port >= this.last ? this.first : port + 1;
    return port;
  }
}

/**
 * Sends GET / through the Service every `intervalMs`, on schedule whether or not the previous
 * request has answered (a slow pod must not slow the probe down), and keeps every result.
 */
export class Probe {
  readonly samples: ProbeSample[] = [];
  private timer?: NodeJS.Timeout;
  private readonly inFlight = new Set<Promise<void>>();
  private readonly ports = new SourcePorts();

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
    const request = this.send().then((reply) => {
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

  /** One request; a source port some other socket holds is skipped, not counted as a failure. */
  private async send(): Promise<HttpReply> {
    for (let attempt = 0; ; attempt++) {
      const reply = await this.target.get('/', this.options.timeoutMs, this.ports.take());
      if (reply.error !== 'EADDRINUSE' || attempt === 4) return reply;
    }
  }
}
