import { isPodReady, REVISION_LABEL, VERSION_LABEL, type Pod } from '../adapters/kube-objects.js';
import type { Kubectl } from '../adapters/kubectl.js';
import { ResumingWatch, type WatchBreak } from '../adapters/transient.js';
import type { PodEvent } from './record.js';

/** Splits a stream of concatenated JSON documents (what `kubectl get -w -o json` prints). */
export class JsonStreamSplitter {
  private buffer = '';
  private depth = 0;
  private inString = false;
  private escaped = false;
  private start = -1;

  push(chunk: string): unknown[] {
    const documents: unknown[] = [];
    const offset = this.buffer.length;
    this.buffer += chunk;
    for (let i = offset; i < this.buffer.length; i++) {
      const c = this.buffer[i];
      if (this.inString) {
        if (this.escaped) this.escaped = false;
        else if (c === '\\') this.escaped = true;
        else if (c === '"') this.inString = false;
      } else if (c === '"') this.inString = true;
      else if (c === '{') {
        if (this.depth++ === 0) this.start = i;
      } else if (c === '}' && --this.depth === 0) {
        documents.push(JSON.parse(this.buffer.slice(this.start, i + 1)));
        this.buffer = this.buffer.slice(i + 1);
        i = -1;
      }
    }
    return documents;
  }
}

interface PodState {
  uid: string;
  ready: boolean;
  deleting: boolean;
  scheduled: boolean;
}

interface WatchEvent {
  type: 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK' | 'ERROR';
  object: Pod & { metadata: { uid?: string } };
}

/** Turns one watch event into the pod events it means, given what was known of the pod before. */
export function podEventsFor(event: WatchEvent, previous: PodState | undefined, t: number): { events: PodEvent[]; state?: PodState } {
  const pod = event.object;
  const name = pod.metadata.name;
  const base = {
    pod: name,
    ...(pod.metadata.labels?.[REVISION_LABEL] && { revision: pod.metadata.labels[REVISION_LABEL] }),
    ...(pod.metadata.labels?.[VERSION_LABEL] && { version: pod.metadata.labels[VERSION_LABEL] }),
  };
  const events: PodEvent[] = [];
  const uid = pod.metadata.uid ?? name;
  const known = previous && previous.uid === uid ? previous : undefined;
  if (event.type === 'DELETED') {
    if (known?.ready) events.push({ t, type: 'not-ready', ...base });
    events.push({ t, type: 'deleted', ...base });
    return { events };
  }
  const state: PodState = {
    uid,
    ready: isPodReady(pod) && !pod.metadata.deletionTimestamp,
    deleting: Boolean(pod.metadata.deletionTimestamp),
    scheduled: Boolean(pod.spec?.nodeName),
  };
  if (!known) events.push({ t, type: 'created', ...base });
  if (state.scheduled && !known?.scheduled) events.push({ t, type: 'scheduled', ...base, node: pod.spec!.nodeName! });
  if (state.deleting && !known?.deleting) events.push({ t, type: 'deleting', ...base });
  if (state.ready && !known?.ready) events.push({ t, type: 'ready', ...base });
  if (!state.ready && known?.ready) events.push({ t, type: 'not-ready', ...base });
  return { events, state };
}

/** Told of each pod event; `baseline` for a pod there when the watch began (its state then). */
export type PodListener = (event: PodEvent & { baseline?: boolean }) => void;

function baselineType(state: PodState): PodEvent['type'] {
  if (state.deleting) return 'deleting';
  if (state.ready) return 'ready';
  return state.scheduled ? 'scheduled' : 'created';
}

/**
 * Watches the release's pods with one long-running `kubectl get --watch` and records what happens
 * to them: created, scheduled, ready, not-ready, deleting, deleted (with revision and version).
 * The initial list arrives as ADDED events; those are the baseline, not events of the run.
 * When the watch ends or breaks (the API server closed it or restarted), it lists the pods again,
 * records what changed meanwhile (a pod gone: deleted; a pod with a new UID: deleted, created)
 * and watches again; the new watch's initial ADDED events then repeat nothing already recorded.
 */
export class PodWatch {
  readonly events: PodEvent[] = [];
  private readonly states = new Map<string, PodState>();
  private readonly last = new Map<string, WatchEvent['object']>();
  private watch?: ResumingWatch;
  private baseline = true;

  constructor(
    private readonly kubectl: Kubectl,
    private readonly selector: string,
    private readonly clock: () => number,
    /** Told of every pod event as it happens, and of the pods there at the start (`baseline`): the live view. */
    private readonly listener?: PodListener,
    /** Told when the watch breaks and when it resumes (`k8s-lab watch` says so). */
    private readonly onBreak?: (brk: WatchBreak) => void,
  ) {}

  /** The times the watch ended or broke, and when it resumed. */
  get breaks(): WatchBreak[] {
    return this.watch?.breaks ?? [];
  }

  /** Starts watching; resolves once the pods that exist now are known. */
  async start(timeoutMs: number): Promise<void> {
    let resolveReady!: () => void;
    const ready = new Promise<void>((resolve) => (resolveReady = resolve));
    const initial = new Set((await this.kubectl.pods(this.selector)).map((p) => p.metadata.name));
    const onEvent = (event: WatchEvent) => {
      const name = event.object.metadata.name;
      if (this.baseline && initial.has(name) && event.type === 'ADDED') {
        const { events, state } = this.apply(event);
        initial.delete(name);
        if (state && this.listener) this.listener({ ...(events[0] ?? { t: this.clock(), pod: name }), type: baselineType(state), baseline: true });
      } else this.record(this.apply(event).events);
      if (initial.size === 0 && this.baseline) {
        this.baseline = false;
        resolveReady();
      }
    };
    this.watch = new ResumingWatch({
      open: (ms) => {
        const splitter = new JsonStreamSplitter();
        return this.kubectl.watchPods(this.selector, ms, (chunk) => {
          for (const document of splitter.push(chunk)) if ((document as WatchEvent).object?.metadata) onEvent(document as WatchEvent);
        });
      },
      relist: async () => this.relist(await this.kubectl.pods(this.selector)),
      clock: this.clock,
      onBreak: this.onBreak,
    });
    const { first } = this.watch.start(timeoutMs);
    if (initial.size === 0) {
      this.baseline = false;
      resolveReady();
    }
    await Promise.race([ready, first.exited]);
  }

  private apply(event: WatchEvent): { events: PodEvent[]; state?: PodState } {
    const name = event.object.metadata.name;
    const result = podEventsFor(event, this.states.get(name), this.clock());
    if (result.state) {
      this.states.set(name, result.state);
      this.last.set(name, event.object);
    } else {
      this.states.delete(name);
      this.last.delete(name);
    }
    return result;
  }

  private record(events: PodEvent[]): void {
    this.events.push(...events);
    if (this.listener) for (const podEvent of events) this.listener(podEvent);
  }

  /** After a break: what the list shows against what the watch knew (informer semantics: list, diff). */
  private relist(pods: Pod[]): void {
    const now = new Map(pods.map((p) => [p.metadata.name, p as WatchEvent['object']]));
    for (const [name, old] of [...this.last]) {
      const current = now.get(name);
      if (!current || (current.metadata.uid ?? name) !== this.states.get(name)?.uid) this.record(this.apply({ type: 'DELETED', object: old }).events);
    }
    for (const pod of now.values()) this.record(this.apply({ type: this.states.has(pod.metadata.name) ? 'MODIFIED' : 'ADDED', object: pod }).events);
  }

  async stop(): Promise<PodEvent[]> {
    await this.watch?.stop();
    return this.events;
  }
}
