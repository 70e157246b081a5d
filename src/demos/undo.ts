import { CLAIM_TEMPLATE, describeEvents, isObserved, isPodReady, podOrdinal, REVISION_LABEL, type PersistentVolumeClaim } from '../adapters/kube-objects.js';
import { helmChanges } from '../adapters/changes.js';
import type { RolloutState } from '../rollout.js';
import type { DemoSession } from './session.js';

/** The release as the demo found it: what undoing returns it to. */
export interface StartingPoint {
  /** The Helm revision before the demo's first change. */
  revision: number;
  version: string;
  replicas: number;
  /** PVCs of the release before the demo: never deleted when undoing. */
  claims: string[];
}

/** PVCs the demo made for pods beyond the replica count (canaries), which the demo's pods no longer use. */
export function claimsLeftBehind(claims: string[], start: StartingPoint, release: string): string[] {
  const prefix = `${CLAIM_TEMPLATE}-${release}-`;
  return claims.filter((name) => name.startsWith(prefix) && !start.claims.includes(name) && podOrdinal(name) >= start.replicas);
}

const liveNotReady = ({ pods }: RolloutState) => pods.filter((p) => !p.metadata.deletionTimestamp && !isPodReady(p));

/** Live pods that are not Ready. */
export function notReadyPods(state: RolloutState): string[] {
  return liveNotReady(state).map((p) => p.metadata.name);
}

/** Live pods neither Ready nor on the StatefulSet's update revision: stuck on a bad version. */
export function stuckPods(state: RolloutState): string[] {
  return liveNotReady(state)
    .filter((p) => p.metadata.labels?.[REVISION_LABEL] !== state.statefulSet.status?.updateRevision)
    .map((p) => p.metadata.name);
}

/** Each pod that is not Ready with its events, in one line: why a rollout is stuck. */
export async function explainNotReady(session: DemoSession, state: RolloutState): Promise<string> {
  const explained = await Promise.all(
    liveNotReady(state).map(async ({ metadata }) => {
      const events = await session.lab.kubectl.events(metadata).catch(() => []);
      const said = describeEvents(events);
      return `${metadata.name}: ${said || 'no events'}`;
    }),
  );
  return explained.join('; ');
}

/** The documented recovery, spelled out for someone who wants to do it by hand. */
export function recoveryCommands(session: DemoSession, start: StartingPoint, pods: string[]): string {
  const { namespace } = session.lab.target;
  const ns = namespace ? ` -n ${namespace}` : '';
  const replace = pods.length ? ` && kubectl delete pod ${pods.join(' ')}${ns}` : '';
  return `helm rollback ${session.lab.release} ${start.revision}${ns}${replace}`;
}

/**
 * Puts the release back where the demo found it, as Kubernetes documents for a stuck StatefulSet
 * rollout (revert the template, then replace the pods stuck on the bad one), without an outage:
 *
 * 1. hold: the old template with `partition` = the replica count, so the controller replaces no
 *    more pods and re-creates a missing one on the old revision, while the pods under way finish;
 *    pods not Ready on the new template are replaced (one that never becomes Ready would hold up
 *    everything), and it waits until every pod is Ready;
 * 2. `helm rollback` to the revision before the demo (version, replicas, updateStrategy and
 *    partition 0 as they were): the controller replaces the pods still on the new version one at a
 *    time, highest ordinal first, each once the others are Ready; it waits until all are;
 * 3. deletes the PVCs the demo made for canary pods that are gone.
 *
 * Reverting in one step instead lets the controller delete a Ready pod while another is still
 * coming up: both down at once. Returns what it did, one line each; the caller runs it as a phase,
 * with `session.undoing` set.
 */
export async function undoDemo(session: DemoSession, start: StartingPoint, { keepNewClaims }: { keepNewClaims: boolean }): Promise<string[]> {
  const { lab } = session;
  const done: string[] = [];
  const say = (line: string) => {
    done.push(line);
    lab.log.info(`  ${line}`);
  };

  await session.upgrade({
    'app.version': start.version,
    'app.broken': false,
    replicaCount: start.replicas,
    'updateStrategy.type': 'RollingUpdate',
    'updateStrategy.partition': start.replicas,
  });
  say(`held at ${start.version} with partition ${start.replicas}: no more pods change while those under way finish`);
  const held = await session.waitFor({ until: (s) => isObserved(s.statefulSet), waitingFor: 'the held StatefulSet' });
  const stuck = stuckPods(held);
  if (stuck.length) {
    await session.deletePods(stuck);
    say(`replaced ${stuck.join(', ')} (not Ready on the new version)`);
  }
  await session.waitFor({ waitingFor: `pods of ${lab.release} Ready before the rollback` });

  await lab.apply(helmChanges.rollback(lab.helm, await lab.helm.major(), lab.release, start.revision, session.timeoutMs));
  say(`helm rollback ${lab.release} ${start.revision}: ${start.version}, ${start.replicas} replicas, updateStrategy RollingUpdate, partition 0`);
  const settled = await session.waitFor({ waitingFor: `pods of ${lab.release} back on ${start.version}` });
  say(`${settled.pods.filter((p) => !p.metadata.deletionTimestamp).length} pods Ready on ${start.version}`);

  const claims = (await lab.kubectl.list<PersistentVolumeClaim>('persistentvolumeclaims', lab.releaseSelector)).map((c) => c.metadata.name);
  const leftBehind = claimsLeftBehind(claims, start, lab.release);
  if (leftBehind.length && keepNewClaims) say(`kept ${leftBehind.join(', ')} (--keep-canary-pvcs)`);
  else if (leftBehind.length) {
    await session.deletePvcs(leftBehind);
    say(`deleted ${leftBehind.join(', ')} (made for canary pods that are gone)`);
  }
  return done;
}
