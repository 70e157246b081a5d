// What a briefly absent control plane looks like in a helm or kubectl error, and a watch that
// resumes across it (client-go's informer: list, watch, and when the watch ends, list again and
// carry on from there).
import { setTimeout as sleep } from 'node:timers/promises';
import type { ToolStream } from '../process/runner.js';
import type { ApiReader, ProxyResponse } from './exec-channel.js';

/**
 * The API server restarting (connection refused, reset, EOF, GOAWAY), answering 5xx while it
 * starts, or etcd not answering it in time. A change that failed with one of these may be tried
 * again when it is safe to repeat; a watch that ended with one is resumed.
 */
const TRANSIENT =
  /connection refused|ECONNREFUSED|ECONNRESET|ETIMEDOUT|EPIPE|socket hang up|socket disconnected|cannot reach the Kubernetes API server|The connection to the server \S+ was refused|connection reset|unexpected EOF|\bEOF\b|http2: server sent GOAWAY|i\/o timeout|TLS handshake timeout|Unable to connect to the server|Kubernetes cluster unreachable|the server is currently unable to handle the request|\(ServiceUnavailable\)|\(InternalError\)|Internal error occurred|etcdserver: (request timed out|leader changed|too many requests)|context deadline exceeded|no answer within \d+|Timeout: request did not complete|the server was unable to return a response in the time allotted|an error on the server|unable to decode an event from the watch stream|status code 50[0234]|\b50[0234] (Internal Server Error|Bad Gateway|Service Unavailable|Gateway Timeout)/i;

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
  if (/timeout|deadline|no answer within/i.test(text)) return 'API server did not answer';
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

/** A read that met the control plane away and was tried again: from its first failed attempt until it was answered (or given up). */
export interface ReadOutage {
  /** Epoch ms of the first failed attempt. */
  start: number;
  /** Epoch ms when it was answered, or given up. */
  end: number;
  /** What was read, for the record: "API reads", "counter files (exec)", "finding the Service". */
  what: string;
  /** The first failure's fault (faultName). */
  fault: string;
  /** Failed attempts. */
  failed: number;
  /** False when the limit ran out first: the read failed. */
  answered: boolean;
}

export interface ResumeOptions {
  /** How long a read may go on being tried again, from its first attempt. */
  limitMs: number;
  /** Told of each outage once it is over (answered, or given up). */
  onOutage?(outage: ReadOutage): void;
  sleep?(ms: number): Promise<void>;
  /** Epoch ms. */
  now?(): number;
}

/** Between attempts of a read while the control plane is away (as the watch's lists). */
const READ_RETRY_MS = 1000;

/** An error's message with what it carries (a LabError's detail, a Node error's code, its cause): what isTransient reads. */
export function errorText(error: unknown): string {
  const e = error as { message?: string; detail?: string; code?: string; cause?: unknown } | undefined;
  return [e?.code, e?.message ?? String(error), e?.detail, e?.cause === undefined ? undefined : String(e.cause)].filter(Boolean).join('\n');
}

/**
 * Runs a read, and again every second while it fails with a transient fault (`transient`, by
 * default isTransient of the error) and its limit lasts; any other failure, or the last one,
 * is thrown. A read is safe to repeat. Each stretch of failed attempts is told to `onOutage`.
 */
export async function resumeRead<T>(
  what: string,
  read: () => Promise<T>,
  { limitMs, onOutage, sleep: pause = (ms) => sleep(ms), now = Date.now }: ResumeOptions,
  transient: (error: unknown) => boolean = (error) => isTransient(errorText(error)),
): Promise<T> {
  const deadline = now() + limitMs;
  let outage: ReadOutage | undefined;
  const over = (answered: boolean) => {
    if (!outage) return;
    outage.end = now();
    outage.answered = answered;
    onOutage?.(outage);
  };
  for (;;) {
    let failure: unknown;
    try {
      const value = await read();
      over(true);
      return value;
    } catch (error) {
      failure = error;
    }
    if (!transient(failure)) {
      over(true); // answered, with another failure: the control plane was back
      throw failure;
    }
    outage ??= { start: now(), end: now(), what, fault: faultName(errorText(failure)), failed: 0, answered: false };
    outage.failed++;
    if (now() + READ_RETRY_MS >= deadline) {
      over(false);
      throw failure;
    }
    await pause(READ_RETRY_MS);
  }
}

/** A 5xx of the API server itself: not through its proxy to a pod or Service, whose 5xx is the app's (or the node's). */
function serverFault(path: string, answer: ProxyResponse): boolean {
  return answer.statusCode >= 500 && !/\/proxy(\/|\?|$)/.test(path) && isTransient(`status code ${answer.statusCode}\n${answer.body}`);
}

/** An exec that got no answer (refused, reset, timed out): not one the API server answered with a failure (the pod gone, the kubelet unreachable). */
function execUnanswered(error: unknown): boolean {
  const { code, message = '' } = error as { code?: string; message?: string };
  return (code !== undefined && isTransient(code)) || /^no answer within|socket hang up|Unexpected server response: 50[0234]/.test(message);
}

/** A GET that answered 5xx from the API server, thrown so that resumeRead tries it again; the answer is kept. */
class ServerFault extends Error {
  constructor(readonly answer: ProxyResponse) {
    super(`status code ${answer.statusCode}: ${answer.body.slice(0, 200)}`);
  }
}

/**
 * The demo's reader of the API server (counters, exec, the StatefulSet and its pods) across a
 * control plane that is briefly away: a GET that got no answer or a 5xx of the API server's own,
 * or an exec that got no answer, is tried again within the limit (resumeRead). When the limit
 * runs out a GET answers as the server last did (a 5xx), or fails as before.
 */
export class ResumingReader implements ApiReader {
  constructor(
    private readonly api: ApiReader,
    private readonly options: ResumeOptions,
  ) {}

  async get(path: string): Promise<ProxyResponse> {
    const read = async () => {
      const answer = await this.api.get(path);
      if (serverFault(path, answer)) throw new ServerFault(answer);
      return answer;
    };
    return resumeRead('API reads', read, this.options).catch((error: unknown) => {
      if (error instanceof ServerFault) return error.answer;
      throw error;
    });
  }

  exec(namespace: string, pod: string, container: string, command: string[]): Promise<string> {
    return resumeRead('exec in pods', () => this.api.exec(namespace, pod, container, command), this.options, execUnanswered);
  }

  stop(): Promise<void> {
    return this.api.stop();
  }
}
