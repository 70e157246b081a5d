import type { CounterSnapshot, DataCheck, PodEvent, ProbeSample } from './record.js';

/**
 * Compares each pod's counter before and after a run. A pod that existed before must still exist,
 * on the same PVC (same UID: a re-created claim is new, empty storage), with a counter that did not
 * go down and that includes every increment the probe saw it acknowledge.
 */
export function checkData(before: CounterSnapshot[], after: CounterSnapshot[], samples: ProbeSample[]): DataCheck[] {
  return before.map((old) => {
    const now = after.find((s) => s.pod === old.pod);
    const acknowledged = samples.filter((s) => s.ok && s.pod === old.pod).length;
    const check = (preserved: boolean, reason?: string): DataCheck => ({
      pod: old.pod,
      before: old.counter,
      after: now?.counter ?? null,
      acknowledged,
      preserved,
      ...(reason && { reason }),
    });
    if (!now) return check(false, 'the pod is gone after the update');
    if (old.counter === null || now.counter === null) return check(false, 'its counter could not be read');
    if (old.pvcUid && now.pvcUid !== old.pvcUid) return check(false, `its PVC changed (${old.pvc} ${old.pvcUid} → ${now.pvc} ${now.pvcUid})`);
    if (now.counter < old.counter) return check(false, `its counter went down (${old.counter} → ${now.counter})`);
    if (now.counter < old.counter + acknowledged) {
      return check(
        false,
        `${old.counter + acknowledged - now.counter} acknowledged increments are missing (${old.counter} + ${acknowledged} acknowledged > ${now.counter})`,
      );
    }
    return check(true);
  });
}

/**
 * The most pods out of service at the same moment: pods that had been Ready (at the start or
 * later) and then were not Ready, terminating or gone. A new pod that never got Ready never served,
 * so it does not count.
 */
export function maxPodsDown(initiallyReady: string[], events: PodEvent[]): number {
  const served = new Set(initiallyReady);
  const down = new Set<string>();
  let most = 0;
  for (const event of [...events].sort((a, b) => a.t - b.t)) {
    if (event.type === 'ready') {
      served.add(event.pod);
      down.delete(event.pod);
    } else if ((event.type === 'not-ready' || event.type === 'deleting' || event.type === 'deleted') && served.has(event.pod)) {
      down.add(event.pod);
    }
    most = Math.max(most, down.size);
  }
  return most;
}

/** v1 → v2, v9 → v10, 1.4.2 → 1.4.3, anything else gets `-next`. */
export function nextVersion(version: string): string {
  const match = /^(.*?)(\d+)$/.exec(version);
  return match ? `${match[1]}${Number(match[2]) + 1}` : `${version}-next`;
}
