import { setTimeout as sleep } from 'node:timers/promises';
import type { StatefulSet } from '../adapters/kube-objects.js';
import { inNamespace } from '../adapters/kubectl.js';
import { demoProbe, podEvent } from '../demos/harness.js';
import { JsonStreamSplitter, PodWatch } from '../demos/watch.js';
import { interrupts } from '../interrupt.js';
import type { Lab } from '../lab-context.js';
import { eventText } from '../live/panel.js';
import { createLiveView, loggerInto } from '../live/view.js';
import { controlPlaneAway, ResumingWatch, type WatchBreak } from '../adapters/transient.js';
import { openProxiedReader, type ProxiedReader } from '../counters.js';
import { resolveTarget } from '../probe/target.js';

export interface WatchOptions {
  traffic?: boolean;
  /** Stop after this long (ms); else at Ctrl-C. */
  for?: number;
  interval: number;
  url?: string;
}

/** How long the watches may run when no --for is given: they are stopped at Ctrl-C long before. */
const UNTIL_STOPPED_MS = 24 * 60 * 60 * 1000;

/**
 * The live panel on its own: the release's pods (one pod watch), its StatefulSet (one watch of it)
 * and, with --traffic, a probe of its Service, until Ctrl-C (exit 0) or --for. It takes the
 * harness's pod events and probe (demos/harness.ts), not runOnHarness: it changes nothing, has no
 * phases, undo or record, and must not wait for a settled StatefulSet (it is how a user looks at one
 * mid-update).
 */
export async function watchRelease(lab: Lab, options: WatchOptions): Promise<void> {
  const view = await createLiveView({ stream: lab.stderr, json: lab.json });
  const t0 = Date.now();
  const clock = () => Date.now() - t0;
  // A kubectl proxy only when the probe falls back to the API server: one for every request.
  let reader: ProxiedReader | undefined;
  const openProxy = async () => (reader = await openProxiedReader(lab, (options.for ?? UNTIL_STOPPED_MS) + 60_000))?.kubectl;
  const target = options.traffic ? await resolveTarget(lab.kubectl, lab.release, options.url, openProxy) : undefined;
  // Ctrl-C ends the watch, which is what it is for: exit 0, nothing to undo.
  await interrupts
    .whileUndoable(async (signal) => {
      interrupts.narrator = () => {};
      if (!view.interactive)
        lab.log.info(
          `watching ${lab.release}${inNamespace(lab.target)}${options.for ? ` for ${options.for / 1000} s` : ' until Ctrl-C'}${target ? `, probing ${target.description} every ${options.interval} ms` : ''}`,
        );
      const watchMs = options.for ?? UNTIL_STOPPED_MS;
      view.feed({ kind: 'start', t: 0, epochMs: t0, title: `watching ${lab.release}${inNamespace(lab.target)}`, release: lab.release });
      const log = loggerInto(view, lab.log, clock);
      // One line when the API server comes back after it was away: the watches carried on.
      const onBreak = (b: WatchBreak) => {
        if (b.resumedT !== undefined && controlPlaneAway(b))
          log.warn(`the API server was away ${((b.resumedT - b.t) / 1000).toFixed(1)} s (${b.reason}): listed again, watching on, nothing missed`);
      };
      const pods = new PodWatch(
        lab.kubectl,
        lab.releaseSelector,
        clock,
        (e) => {
          view.feed(podEvent(e));
          // Off a terminal the pods there at the start are listed too: the lines that follow are changes to them.
          if (e.baseline && !view.interactive)
            lab.stderr.write(
              `${eventText({ t: e.t, subject: e.pod, what: `${view.state.pods.get(e.pod)?.state ?? e.type} (at the start)`, version: e.version })}\n`,
            );
        },
        onBreak,
      );
      const feedStatefulSet = (object: StatefulSet) =>
        view.feed({
          kind: 'statefulset',
          t: clock(),
          replicas: object.spec.replicas,
          partition: object.spec.updateStrategy?.rollingUpdate?.partition,
          currentRevision: object.status?.currentRevision,
          updateRevision: object.status?.updateRevision,
          readyReplicas: object.status?.readyReplicas,
        });
      const statefulSet = new ResumingWatch({
        open: (ms) => {
          const splitter = new JsonStreamSplitter();
          return lab.kubectl.watchStatefulSet(lab.release, ms, (chunk) => {
            for (const document of splitter.push(chunk)) {
              const object = (document as { object?: StatefulSet }).object;
              if (object?.spec) feedStatefulSet(object);
            }
          });
        },
        relist: async () => {
          const object = await lab.kubectl.statefulSet(lab.release);
          if (object) feedStatefulSet(object);
        },
        clock,
      });
      statefulSet.start(watchMs);
      const probe = target && demoProbe(target, options.interval, clock, (event) => view.feed(event));
      try {
        await pods.start(watchMs);
        probe?.start();
        await sleep(Math.max(0, watchMs - clock()), undefined, { signal }).catch(() => undefined);
      } finally {
        await Promise.all([probe?.stop(), pods.stop(), statefulSet.stop()]);
        view.stop();
        interrupts.narrator = undefined;
      }
    })
    .finally(() => reader?.close());
  const { state } = view;
  if (!lab.json) return;
  lab.log.result(
    {
      release: lab.release,
      statefulSet: state.statefulSet ?? null,
      pods: [...state.pods.values()].map(({ name, state: podState, version, revision, counter }) => ({
        name,
        state: podState,
        version: version ?? null,
        revision: revision ?? null,
        counter: counter ?? null,
      })),
      probe: target
        ? { sent: state.probe.sent, ok: state.probe.ok, failed: state.probe.failed, outages: state.probe.outages, longestOutageMs: state.probe.longestMs }
        : null,
    },
    () => '',
  );
}
