import { setTimeout as sleep } from 'node:timers/promises';
import { helmChanges, kubectlChanges } from '../adapters/changes.js';
import { readCounters, statefulSetPods, type CounterReading, type FileReader } from '../counters.js';
import type { Lab } from '../lab-context.js';
import { DELETE_PVCS_MS } from '../limits.js';
import { chartDir } from '../paths.js';
import type { Probe } from '../probe/probe.js';
import { waitForStatefulSet, type RolloutState, type WaitOptions } from '../rollout.js';
import type { Phase } from './record.js';
import type { PodWatch } from './watch.js';

/**
 * A chart value the demos change; strings are passed with --set-string. No null: under
 * --reuse-values Helm keeps the previous value beneath a null (unset a value with "" instead).
 */
export type ValueChange = Record<string, string | number | boolean>;

/** What a strategy works with while the probe and the watch run. */
export class DemoSession {
  readonly phases: Phase[] = [];
  readonly notes: string[] = [];
  /** Some change reached the cluster (a helm upgrade was started, pods were deleted). */
  changed = false;
  /** Putting the release back: Ctrl-C no longer stops the steps (a second one stops k8s-lab). */
  undoing = false;
  /** Awaited before each phase while not undoing (--step waits for Enter here). */
  beforePhase?: (name: string, detail: string) => Promise<void>;

  constructor(
    readonly lab: Lab,
    readonly probe: Probe,
    readonly watch: PodWatch,
    readonly clock: () => number,
    readonly timeoutMs: number,
    private readonly onPhase: (name: string, detail: string) => void,
    /** Reads the pods' counter files (through the demo's kubectl proxy, else with kubectl exec). */
    private readonly files: FileReader,
    /** Ctrl-C: every step checks it before it starts, and waits stop on it. */
    readonly signal?: AbortSignal,
  ) {}

  /** The interruption to stop on: none while the demo undoes its changes. */
  private get stopSignal(): AbortSignal | undefined {
    return this.undoing ? undefined : this.signal;
  }

  /** Throws the interruption, unless the demo is already undoing its changes. */
  checkpoint(): void {
    this.stopSignal?.throwIfAborted();
  }

  /** Runs `body` as a named phase, recording its start and end. */
  async phase<T>(name: string, detail: string, body: () => Promise<T>): Promise<T> {
    this.checkpoint();
    if (this.beforePhase && !this.undoing) {
      await this.beforePhase(name, detail);
      this.checkpoint();
    }
    const phase: Phase = { name, start: this.clock(), end: this.clock(), detail };
    this.phases.push(phase);
    this.onPhase(name, detail);
    try {
      return await body();
    } finally {
      phase.end = this.clock();
    }
  }

  /** `helm upgrade --reuse-values` with the given values: every spec change goes through Helm. */
  async upgrade(values: ValueChange): Promise<void> {
    const sets: string[] = [];
    const setStrings: string[] = [];
    for (const [key, value] of Object.entries(values)) (typeof value === 'string' ? setStrings : sets).push(`${key}=${value}`);
    this.checkpoint();
    this.changed = true;
    const { lab } = this;
    await lab.apply(helmChanges.upgradeReusing(lab.helm, await lab.helm.major(), { release: lab.release, chart: chartDir, sets, setStrings }, this.timeoutMs));
  }

  /** Waits on the pods themselves (Helm 3 and 4 mean different things by --wait). */
  waitFor(options: Omit<WaitOptions, 'timeoutMs'> & { timeoutMs?: number } = {}): Promise<RolloutState> {
    const pollMs = this.lab.kubectl.readsThroughProxy ? 250 : 500;
    return waitForStatefulSet(this.lab.kubectl, this.lab.release, { timeoutMs: this.timeoutMs, pollMs, signal: this.stopSignal, ...options });
  }

  /** Deletes pods without waiting for them to go (`--wait=false`). */
  async deletePods(names: string[], gracePeriodSeconds?: number): Promise<void> {
    this.checkpoint();
    this.changed = true;
    await this.lab.apply(kubectlChanges.deletePods(this.lab.kubectl, names, gracePeriodSeconds));
  }

  /** Deletes PVCs and waits until they are gone; `what` names them in an error. */
  async deletePvcs(names: string[], what = names.join(', ')): Promise<void> {
    await this.lab.apply(kubectlChanges.deletePvcs(this.lab.kubectl, names, DELETE_PVCS_MS, what));
  }

  /** The StatefulSet and its pods right now. */
  state(): Promise<RolloutState> {
    return this.waitFor({ until: () => true });
  }

  async countersOf(pods: string[]): Promise<CounterReading[]> {
    const all = await statefulSetPods(this.lab.kubectl, this.lab.release);
    return readCounters(
      this.lab.kubectl,
      all.filter((p) => pods.includes(p.metadata.name)),
      8,
      this.files,
    );
  }

  async hold(ms: number): Promise<void> {
    await sleep(ms, undefined, { signal: this.stopSignal }).catch(() => this.checkpoint());
  }
}
