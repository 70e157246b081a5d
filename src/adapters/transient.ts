// What a briefly absent control plane looks like in a helm or kubectl error, and a watch that
// resumes across it (client-go's informer: list, watch, and when the watch ends, list again and
// carry on from there).
import { setTimeout as sleep } from 'node:timers/promises';
import type { ToolStream } from '../process/runner.js';

/**
 * The API server restarting (connection refused, reset, EOF, GOAWAY), answering 5xx while it
 * starts, or etcd not answering it in time. A change that failed with one of these may be tried
 * again when it is safe to repeat; a watch that ended with one is resumed.
 */
const TRANSIENT =
  /connection refused|ECONNREFUSED|ECONNRESET|ETIMEDOUT|EPIPE|socket hang up|socket disconnected|cannot reach the Kubernetes API server|The connection to the server \S+ was refused|connection reset|unexpected EOF|\bEOF\b|http2: server sent GOAWAY|i\/o timeout|TLS handshake timeout|Unable to connect to the server|Kubernetes cluster unreachable|the server is currently unable to handle the request|\(ServiceUnavailable\)|\(InternalError\)|Internal error occurred|etcdserver: (request timed out|leader changed|too many requests)|context deadline exceeded|Timeout: request did not complete|the server was unable to return a response in the time allotted|an error on the server|unable to decode an event from the watch stream|status code 50[0234]|\b50[0234] (Internal Server Error|Bad Gateway|Service Unavailable|Gateway Timeout)/i;

export function isTransient(text: string): boolean {
  return TRANSIENT.test(text);
}

/** Names the fault in a few words, for the record and the messages: "connection refused", "etcd timeout", … */
export function faultName(text: string): string {
  if (/connection refused|ECONNREFUSED|connection to the server \S+ was refused/i.test(text)) return 'API server refused connections';
  if (/etcdserver|Timeout: request did not complete|unable to return a response in the time/i.test(text)) return 'etcd timeout';
  if (/\b50[0234]\b|ServiceUnavailable|InternalError|Internal error occurred|currently unable to handle/i.test(text)) return 'API server 5xx';
  if (/EOF|connection reset|ECONNRESET|socket hang up|GOAWAY|an error on the server|unable to decode an event/i.test(text))
    return 'connection to the API server broken';
  if (/timeout|deadline/i.test(text)) return 'API server did not answer';
  return 'API server unreachable';
}

/** A stretch during which a watch was broken: from its end until a fresh list succeeded. */
export interface WatchBreak {
  /** ms on the caller's clock when the watch ended. */
  t: number;
  /** When the list after it succeeded and the watch started again; absent while still away. */
  resumedT?: number;
  /** 'ended': the server closed the watch (normal, every few minutes); else the fault's name. */
  reason: string;
  /** Lists that failed before one succeeded (0 after a normal end). */
  failedLists: number;
}

/** True when a break means the control plane was away (not a watch the server merely closed). */
export const controlPlaneAway = (b: WatchBreak): boolean => b.reason !== 'ended' || b.failedLists > 0;

export interface ResumeHooks {
  /** Starts the watch, to end after `timeoutMs` at the latest. */
  open(timeoutMs: number): ToolStream;
  /** Lists what is there now and brings the caller's state up to it (throws while the API is away). */
  relist(): Promise<void>;
  clock(): number;
  /** Told when a watch breaks and when it resumes. */
  onBreak?(brk: WatchBreak): void;
}

/** A watch ends this soon after it started at the earliest before it is started again (no tight loop). */
const MIN_WATCH_MS = 1000;
/** Between failed lists while the API server is away. */
const RETRY_MS = 1000;

/**
 * One long watch that survives the API server: when the stream ends before `stop()` (the server
 * closed it, or it broke with a transient error), it lists again, lets the caller diff, and
 * watches from there, until the deadline. A watch that fails for another reason (forbidden, a bad
 * selector, kubectl missing) ends for good, as before.
 */
export class ResumingWatch {
  readonly breaks: WatchBreak[] = [];
  private stream?: ToolStream;
  private stopped = false;
  private readonly abort = new AbortController();
  private loop?: Promise<void>;
  private deadline = 0;

  constructor(private readonly hooks: ResumeHooks) {}

  /** Starts the first watch; `first` settles when that one exits (for a caller waiting on it). */
  start(timeoutMs: number): { first: ToolStream } {
    this.deadline = Date.now() + timeoutMs;
    const first = this.hooks.open(timeoutMs);
    this.stream = first;
    this.loop = this.follow(first, Date.now());
    return { first };
  }

  private async follow(stream: ToolStream, openedAt: number): Promise<void> {
    for (;;) {
      const exit = await stream.exited;
      if (this.stopped || Date.now() >= this.deadline) return;
      if (exit.exitCode !== 0 && !isTransient(exit.stderr)) return;
      const brk: WatchBreak = { t: this.hooks.clock(), reason: exit.exitCode === 0 ? 'ended' : faultName(exit.stderr), failedLists: 0 };
      this.breaks.push(brk);
      this.hooks.onBreak?.(brk);
      if (!(await this.wait(Math.max(0, openedAt + MIN_WATCH_MS - Date.now())))) return;
      for (let failed: string | undefined; (failed = await this.relist()) !== undefined;) {
        // A watch that merely ended (kubectl exits 0 when the API server goes away) takes the fault of the list.
        if (brk.failedLists++ === 0 && brk.reason === 'ended') brk.reason = faultName(failed);
        if (!(await this.wait(RETRY_MS))) return;
      }
      if (this.stopped) return;
      brk.resumedT = this.hooks.clock();
      this.hooks.onBreak?.(brk);
      openedAt = Date.now();
      stream = this.stream = this.hooks.open(this.deadline - openedAt);
    }
  }

  /** Lists again: undefined when it worked, else what the failure said. */
  private async relist(): Promise<string | undefined> {
    try {
      await this.hooks.relist();
      return undefined;
    } catch (error) {
      return `${(error as Error).message}\n${(error as { detail?: string }).detail ?? ''}`;
    }
  }

  /** Sleeps unless stopped or past the deadline; false when the watch is to end. */
  private async wait(ms: number): Promise<boolean> {
    if (ms > 0) await sleep(ms, undefined, { signal: this.abort.signal }).catch(() => undefined);
    return !this.stopped && Date.now() < this.deadline;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.abort.abort();
    await this.stream?.stop();
    await this.loop;
  }
}
