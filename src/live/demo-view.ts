// What every demo command does to show its live view: the view on stderr (the panel on a
// terminal, one line per event off one), the lab's progress lines turned into the panel's notes,
// and Ctrl-C told in the panel. demo-update, demo-failover and demo-scale open it the same way.

import { interrupts } from '../interrupt.js';
import type { Lab } from '../lab-context.js';
import type { LiveEvent } from '../events.js';
import { createLiveView, loggerInto, type LiveView } from './view.js';

export interface DemoView {
  readonly view: LiveView;
  /** The lab to run the demo with: its progress lines become notes while the panel is up. */
  readonly lab: Lab;
  /** ms since the run's start (the events' clock), 0 before it. */
  clock(): number;
  /** Feeds the view; off a terminal the first phase also says what the run does (the panel's header says it on one). */
  feed(event: LiveEvent): void;
  /** Leaves the last frame on screen and lets Ctrl-C speak for itself again. */
  stop(): void;
}

/**
 * `startLine`: what the run does, said once off a terminal when its first phase begins, not before:
 * a release that is not there fails with one line.
 */
export async function openDemoView(lab: Lab, startLine?: () => string): Promise<DemoView> {
  const view = await createLiveView({ stream: lab.stderr, json: lab.json });
  const clock = () => (view.state.epochMs === undefined ? 0 : Date.now() - view.state.epochMs);
  if (view.interactive) {
    interrupts.narrator = (signal) =>
      view.feed({
        kind: 'note',
        t: clock(),
        warn: true,
        text: `interrupted (${signal === 'SIGINT' ? 'Ctrl-C' : signal}): undoing the demo's changes first (again stops at once)`,
      });
  }
  let said = false;
  return {
    view,
    lab: { ...lab, log: loggerInto(view, lab.log, clock) },
    clock,
    feed(event) {
      if (event.kind === 'phase' && !said && startLine && !view.interactive) lab.log.info(startLine());
      if (event.kind === 'phase') said = true;
      view.feed(event);
    },
    stop() {
      view.stop();
      interrupts.narrator = undefined;
    },
  };
}
