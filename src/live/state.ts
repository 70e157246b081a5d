// The live view's model: what a demo (or `k8s-lab watch`) tells it, as events, and what it knows
// from them. `applyEvent` folds one event into the state; panel.ts draws the state and lines.ts
// prints events as lines. Nothing here reads a clock or a cluster: every time is an event's `t`
// (ms since the start), so a scripted sequence of events always gives the same frames.

import { podOrdinal } from '../adapters/kube-objects.js';
import type { LiveEvent, PodEventType } from '../events.js';

export type { LiveEvent } from '../events.js';

/** A pod's state as the panel shows it. */
export type PodStateName = 'Ready' | 'not Ready' | 'Terminating' | 'Pending' | 'absent';

/** How long the panel counts a pod's answers for (the REQ column). */
export const RECENT_MS = 5_000;
/** Events kept below the panel. */
export const EVENT_LINES = 6;

export interface PodView {
  name: string;
  ordinal: number;
  state: PodStateName;
  since: number;
  version?: string;
  revision?: string;
  /** The last counter value it reported to the probe. */
  counter?: number;
  /** When its last answers arrived (probe sample times), for the REQ column. */
  answered: number[];
}

/** One line of the event list. */
export interface EventLine {
  t: number;
  subject: string;
  what: string;
  version?: string;
  tone?: 'bad' | 'good' | 'warn';
}

export interface LiveState {
  title: string;
  release: string;
  from?: string;
  to?: string;
  strategy?: string;
  /** The replica count before the run: pods at or beyond it are canaries. */
  replicas?: number;
  epochMs?: number;
  phase?: { name: string; detail: string; start: number };
  paused?: { name: string; detail: string; why: string; since: number };
  pods: Map<string, PodView>;
  statefulSet?: Omit<Extract<LiveEvent, { kind: 'statefulset' }>, 'kind' | 't'>;
  probe: {
    sent: number;
    ok: number;
    failed: number;
    /** The latencies of successful requests, in arrival order. */
    latencies: number[];
    /** The outage under way: from its first failed request. */
    outage?: { start: number; failures: number };
    outages: number;
    longestMs: number;
  };
  events: EventLine[];
}

export function initialState(title = '', release = ''): LiveState {
  return { title, release, pods: new Map(), probe: { sent: 0, ok: 0, failed: 0, latencies: [], outages: 0, longestMs: 0 }, events: [] };
}

const STATE_AFTER: Record<PodEventType, PodStateName | undefined> = {
  created: 'Pending',
  scheduled: 'not Ready',
  ready: 'Ready',
  'not-ready': 'not Ready',
  deleting: 'Terminating',
  deleted: 'absent',
};

const EVENT_WORDS: Partial<Record<PodEventType, { what: string; tone?: EventLine['tone'] }>> = {
  created: { what: 'created' },
  ready: { what: 'Ready', tone: 'good' },
  'not-ready': { what: 'not Ready', tone: 'bad' },
  deleting: { what: 'deleting' },
  deleted: { what: 'deleted' },
};

export const seconds = (ms: number): string => `${(Math.max(0, ms) / 1000).toFixed(1)} s`;

/**
 * What one event means as a line of the event list (undefined: it is not listed), given the state
 * before it. lines.ts prints the same lines off a terminal.
 */
export function eventLine(state: LiveState, event: LiveEvent): EventLine | undefined {
  switch (event.kind) {
    case 'phase':
      return { t: event.t, subject: `▸ ${event.name}:`, what: event.detail };
    case 'pod': {
      const words = event.baseline ? undefined : EVENT_WORDS[event.change];
      return words && { t: event.t, subject: event.pod, what: words.what, version: event.version, tone: words.tone };
    }
    case 'sample': {
      const { sample } = event;
      const { outage } = state.probe;
      if (!sample.ok && !outage) return { t: sample.t, subject: 'probe', what: `outage began (${sample.error ?? 'failed'})`, tone: 'bad' };
      if (sample.ok && outage && sample.t >= outage.start) {
        return { t: sample.t, subject: 'probe', what: `outage ended after ${seconds(sample.t - outage.start)}, ${outage.failures} failed`, tone: 'good' };
      }
      return undefined;
    }
    case 'note':
      return { t: event.t, subject: 'note', what: event.text, tone: event.warn ? 'warn' : undefined };
    case 'paused':
      return event.next && { t: event.t, subject: 'paused', what: `next: ${event.next.name} (press Enter)`, tone: 'warn' };
    default:
      return undefined;
  }
}

function podView(state: LiveState, name: string, t: number): PodView {
  let pod = state.pods.get(name);
  if (!pod) {
    pod = { name, ordinal: podOrdinal(name), state: 'absent', since: t, answered: [] };
    state.pods.set(name, pod);
  }
  return pod;
}

/** Folds one event into the state (in place, so a long run costs no copying). */
export function applyEvent(state: LiveState, event: LiveEvent): void {
  const line = eventLine(state, event);
  if (line) {
    state.events.push(line);
    if (state.events.length > EVENT_LINES * 4) state.events.splice(0, state.events.length - EVENT_LINES);
  }
  switch (event.kind) {
    case 'start':
      // A new start is a new subject (demo-scale's temporary release): its pods and probe from scratch.
      state.pods.clear();
      state.probe = initialState().probe;
      state.phase = undefined;
      Object.assign(state, {
        title: event.title,
        release: event.release,
        from: event.from,
        to: event.to,
        replicas: event.replicas,
        strategy: event.strategy,
        epochMs: event.epochMs,
      });
      break;
    case 'phase':
      state.phase = { name: event.name, detail: event.detail, start: event.t };
      state.paused = undefined;
      break;
    case 'paused':
      state.paused = event.next && { ...event.next, since: event.t };
      break;
    case 'pod': {
      const pod = podView(state, event.pod, event.t);
      const next = STATE_AFTER[event.change];
      if (event.version) pod.version = event.version;
      if (event.revision) pod.revision = event.revision;
      // A new pod under the old name: nothing it answered yet.
      if (event.change === 'created') {
        pod.counter = undefined;
        pod.answered = [];
      }
      // A pod being deleted stays Terminating until it is gone, whatever its readiness does.
      if (next && !(pod.state === 'Terminating' && next === 'not Ready') && next !== pod.state) {
        pod.state = next;
        pod.since = event.t;
      }
      break;
    }
    case 'sample': {
      const { sample } = event;
      const { probe } = state;
      probe.sent += 1;
      if (sample.ok) {
        probe.ok += 1;
        probe.latencies.push(sample.latencyMs);
        if (probe.outage && sample.t >= probe.outage.start) {
          probe.longestMs = Math.max(probe.longestMs, sample.t - probe.outage.start);
          probe.outage = undefined;
        }
        if (sample.pod) {
          const pod = podView(state, sample.pod, sample.t);
          pod.answered.push(sample.t);
          // Only the last few seconds are ever shown.
          while (pod.answered.length && pod.answered[0]! < sample.t - 2 * RECENT_MS) pod.answered.shift();
          if (sample.counter !== undefined) pod.counter = sample.counter;
        }
      } else {
        probe.failed += 1;
        if (probe.outage) probe.outage.failures += 1;
        else {
          probe.outage = { start: sample.t, failures: 1 };
          probe.outages += 1;
        }
      }
      break;
    }
    case 'statefulset':
      state.statefulSet = {
        replicas: event.replicas,
        partition: event.partition,
        currentRevision: event.currentRevision,
        updateRevision: event.updateRevision,
        readyReplicas: event.readyReplicas,
      };
      break;
    case 'note':
      break;
  }
}
