import type { ProbeSample } from './sample.js';
import type { AppReply, HttpReply, Source } from './http.js';
import type { ServiceTarget } from './target.js';

export interface ProbeOptions {
  intervalMs: number;
  timeoutMs: number;
  /** ms since the run started: the probe's and the watch's clocks are the same. */
  clock: () => number;
  /** Told of each sample as its answer (or failure) arrives: the live view. */
  onSample?: (sample: ProbeSample) => void;
}

/** A pinned source the kernel would not bind: the address is not there (macOS has only 127.0.0.1) or the port is taken. */
const BIND_ERRORS = new Set(['EADDRNOTAVAIL', 'EADDRINUSE']);

/** `127.0.0.1`, `127.1.2.3`: a literal IPv4 loopback address (`localhost` may resolve to ::1, which a 127/8 source cannot reach). */
export function isIpv4Loopback(host: string): boolean {
  return /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
}

/**
 * Where the probe's connections come from: on Linux, for a loopback target, an address of its own
 * in 127.0.0.0/8 for each probe, and source ports taken in turn from one range for the whole
 * process. Anywhere else the kernel chooses, as it does for any client.
 *
 * Why: while a Service has no endpoints (the recreate demo's outage) kube-proxy rejects
 * connections, and each rejected SYN leaves an un-NATed SYN_SENT conntrack entry for up to 120 s.
 * A later connection from the same address and port matches that entry, is not NATed to a pod, and
 * hangs on the NodePort that kube-proxy holds open. Measured on the local cluster: 7 of 679 probe
 * requests of a canary run right after a recreate run timed out that way; and once, when a new
 * probe's ports ran into the previous probe's rejected ones, every request from then on. A fresh
 * address per probe and ports never reused within minutes keep one client's own history out of the
 * measurement: real users do not share one address and port sequence. That artefact needs the
 * client on the node itself (a loopback target) and Linux conntrack; elsewhere (macOS and Windows,
 * which have only 127.0.0.1, or a remote node) pinning would only risk failing binds.
 *
 * When a pinned bind fails anyway (EADDRNOTAVAIL, EADDRINUSE), that request is sent again with the
 * kernel's choice, and so is every later one (`unpin`).
 */
export class SourceAddresses {
  private static nextPort = 20_000 + Math.floor(Math.random() * 10_000);
  private pinning: boolean;
  readonly address?: string;

  constructor(
    targetUrl: string | undefined,
    { random = Math.random, platform = process.platform }: { random?: () => number; platform?: NodeJS.Platform } = {},
  ) {
    const host = targetUrl ? new URL(targetUrl).hostname : '';
    this.pinning = platform === 'linux' && isIpv4Loopback(host);
    if (this.pinning) {
      const octet = () => 1 + Math.floor(random() * 254);
      this.address = `127.${octet()}.${octet()}.${octet()}`;
    }
  }

  /** Whether sources are still pinned (false from the first failed bind on). */
  get pinned(): boolean {
    return this.pinning;
  }

  /** The next source: pinned, the port cycling through 20000-29999 (~15 minutes at 10 requests/s); else the kernel's choice. */
  take(): Source {
    if (!this.pinning) return {};
    const port = SourceAddresses.nextPort;
    SourceAddresses.nextPort = port >= 29_999 ? 20_000 : port + 1;
    return { address: this.address, port };
  }

  /** A request failed with `error`: if it was a pinned bind that failed, stop pinning and return true (send it again). */
  unpin(error: string | undefined): boolean {
    if (!this.pinning || !error || !BIND_ERRORS.has(error)) return false;
    this.pinning = false;
    return true;
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
    sources: SourceAddresses = new SourceAddresses(target.url),
  ) {
    this.sources = sources;
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
      const sample: ProbeSample = {
        t,
        ok,
        latencyMs: reply.ms,
        ...(reply.status !== undefined && { status: reply.status }),
        ...(typeof body.pod === 'string' && { pod: body.pod }),
        ...(typeof body.version === 'string' && { version: body.version }),
        ...(typeof body.counter === 'number' && { counter: body.counter }),
        ...(!ok && { error: reply.error ?? `HTTP ${reply.status}` }),
      };
      this.samples.push(sample);
      this.options.onSample?.(sample);
    });
    this.inFlight.add(request);
    void request.finally(() => this.inFlight.delete(request));
  }

  /** One request; a pinned source the kernel will not bind is not counted as a failure: sent again unpinned. */
  private async send(): Promise<HttpReply> {
    const reply = await this.target.get('/', this.options.timeoutMs, this.sources.take());
    return this.sources.unpin(reply.error) ? this.target.get('/', this.options.timeoutMs, this.sources.take()) : reply;
  }
}
