// A demo's `kubectl proxy` that dies (killed, out of memory) is started again, so that its reads go
// on: once it is seen gone (its process exited, or its socket refuses, which a live proxy never
// does: the API server away is a 502 from it), at most a few times within the demo's limit.
import { setTimeout as sleep } from 'node:timers/promises';
import type { ApiReader, ProxyResponse } from './exec-channel.js';
import type { KubeProxy } from './pod-exec.js';
import type { ReadOutage } from './transient.js';

/** A few: a proxy that keeps dying has a cause that starting it again will not cure. */
export const MAX_PROXY_RESTARTS = 3;
/** A read cut off (reset) by a proxy: how long its process may take to exit before the proxy counts as alive. */
const EXIT_GRACE_MS = 500;
/** Not worth a new proxy with less of the limit left. */
const MIN_LEFT_MS = 1000;

export interface RestartOptions {
  /** Starts a new `kubectl proxy`, to end after `timeoutMs` at the latest (KubeProxy.start). */
  start(timeoutMs: number): Promise<KubeProxy>;
  /** Epoch ms by which every proxy ends: the first one's limit. */
  deadline: number;
  maxRestarts?: number;
  /** Told of each restart once it is over, as a read outage (the demo's record puts it in its control-plane windows). */
  onOutage?(outage: ReadOutage): void;
  /** Epoch ms. */
  now?(): number;
}

/** The proxy's process is gone, or its socket refuses: a reset waits briefly for the process to exit. */
async function gone(proxy: KubeProxy, error: unknown): Promise<boolean> {
  if (proxy.exit) return true;
  const code = (error as { code?: string } | undefined)?.code;
  if (code === 'ECONNREFUSED' || code === 'ENOENT') return true;
  if (code !== 'ECONNRESET' && code !== 'EPIPE') return false;
  return Promise.race([proxy.exited.then(() => true), sleep(EXIT_GRACE_MS, false, { ref: false })]);
}

/** How a proxy was seen gone, for the record. */
const howGone = (proxy: KubeProxy) => (proxy.exit ? `exited (exit code ${proxy.exit.exitCode})` : 'refused connections');

/**
 * Reads through one `kubectl proxy` at a time: a read that fails because the proxy is gone starts
 * a new one (once for all the reads that saw it gone) and is tried again on it. Any other failure
 * is the caller's, as before (ResumingReader tries the API server's again). `stop()` stops the
 * current proxy, also one still starting.
 */
export class RestartingProxy implements ApiReader {
  /** Restarts tried so far. */
  restarts = 0;
  private current: KubeProxy;
  private restarting?: { next: Promise<KubeProxy | undefined>; outage: ReadOutage };
  private stopped = false;

  constructor(
    first: KubeProxy,
    private readonly options: RestartOptions,
  ) {
    this.current = first;
  }

  get(path: string): Promise<ProxyResponse> {
    return this.through((proxy) => proxy.get(path));
  }

  exec(namespace: string, pod: string, container: string, command: string[]): Promise<string> {
    return this.through((proxy) => proxy.exec(namespace, pod, container, command));
  }

  private async through<T>(read: (proxy: KubeProxy) => Promise<T>): Promise<T> {
    const proxy = this.current;
    try {
      return await read(proxy);
    } catch (error) {
      if (this.stopped || !(await gone(proxy, error))) throw error;
      const next = await this.replace(proxy);
      if (!next) throw error;
      return read(next);
    }
  }

  /** The proxy after `dead`: started once however many reads saw it gone; undefined when none was. */
  private replace(dead: KubeProxy): Promise<KubeProxy | undefined> {
    if (this.current !== dead) return Promise.resolve(this.current);
    if (this.restarting) {
      this.restarting.outage.failed++;
      return this.restarting.next;
    }
    const now = this.options.now ?? Date.now;
    const max = this.options.maxRestarts ?? MAX_PROXY_RESTARTS;
    const left = this.options.deadline - now();
    if (this.restarts >= max || left < MIN_LEFT_MS) return Promise.resolve(undefined);
    this.restarts++;
    const outage: ReadOutage = { start: now(), end: now(), what: 'kubectl proxy', fault: howGone(dead), failed: 1, answered: false };
    const next = this.restart(dead, left).then(
      (proxy) => {
        outage.fault += `, started again (${this.restarts} of ${max})`;
        return proxy;
      },
      (error: Error) => {
        outage.fault += `, not started again: ${error.message}`;
        return undefined;
      },
    );
    this.restarting = { next, outage };
    return next.finally(() => {
      this.restarting = undefined;
      outage.end = now();
      outage.answered = this.current !== dead;
      if (!this.stopped) this.options.onOutage?.(outage);
    });
  }

  private async restart(dead: KubeProxy, timeoutMs: number): Promise<KubeProxy> {
    await dead.stop();
    const next = await this.options.start(timeoutMs);
    if (this.stopped) {
      await next.stop();
      throw new Error('the reader was stopped');
    }
    this.current = next;
    return next;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.restarting?.next;
    await this.current.stop();
  }
}
