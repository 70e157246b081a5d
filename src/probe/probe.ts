import type { ProbeSample } from './sample.js';
import type { AppReply, HttpReply, Source } from './http.js';
import type { ServiceTarget } from './target.js';

export interface ProbeOptions {
  intervalMs: number;
  timeoutMs: number;
  /** ms since the run started: the probe's and the watch's clocks are the same. */
  clock: () => number;
}

/**
 * Where the probe's connections come from: for a loopback target, an address of its own in
 * 127.0.0.0/8 for each probe, and source ports taken in turn from one range for the whole process.
 *
 * Why: while a Service has no endpoints (the recreate demo's outage) kube-proxy rejects
 * connections, and each rejected SYN leaves an un-NATed SYN_SENT conntrack entry for up to 120 s.
 * A later connection from the same address and port matches that entry, is not NATed to a pod, and
 * hangs on the NodePort that kube-proxy holds open. Measured on the local cluster: 7 of 679 probe
 * requests of a canary run right after a recreate run timed out that way; and once, when a new
 * probe's ports ran into the previous probe's rejected ones, every request from then on. A fresh
 * address per probe and ports never reused within minutes keep one client's own history out of the
 * measurement: real users do not share one address and port sequence.
 */
export class SourceAddresses {
  private static nextPort = 20_000 + Math.floor(Math.random() * 10_000);
  readonly address?: string;

  constructor(targetUrl: string | undefined, random: () => number = Math.random) {
    const host = targetUrl ? new URL(targetUrl).hostname : '';
    if (host === 'localhost' || host.startsWith('127.')) {
      const octet = () => 1 + Math.floor(random() * 254);
      this.address = `127.${octet()}.${octet()}.${octet()}`;
    }
  }

  /** The next source; the port cycles through 20000-29999, ~15 minutes at 10 requests/s. */
  take(): Source {
    const port = SourceAddresses.nextPort;
    SourceAddresses.nextPort = port >= 29_999 ? 20_000 : port + 1;
    return { ...(this.address && { address: this.address }), port };
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
  private readonly sources: SourceAddresses;

  constructor(
    private readonly target: ServiceTarget,
    private readonly options: ProbeOptions,
  ) {
    this.sources = new SourceAddresses(target.url);
  }

  /** Fires on a fixed schedule (start + n × interval), so a late timer does not lower the rate. */
  start(): void {
    const started = performance.now();
    let n = 0;
    const tick = () => {
      this.fire();
      n += 1;
      this.timer = setTimeout(tick, Math.max(0, started + n * this.options.intervalMs - performance.now()));
    };
    tick();
  }

  /** Stops sending and waits for the requests still in flight. */
  async stop(): Promise<ProbeSample[]> {
    clearTimeout(this.timer);
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
      const reply = await this.target.get('/', this.options.timeoutMs, this.sources.take());
      if (reply.error !== 'EADDRINUSE' || attempt === 4) return reply;
    }
  }
}
