// The live view's driver: on a terminal, the panel (panel.ts) redrawn in place at most 4 times a
// second with log-update; off one (CI, a pipe, --json), each event as one timestamped line. Both
// read only the events they are fed: no cluster call of their own.

import { chalkStderr } from 'chalk';
import type { Logger } from '../ui/logger.js';
import { eventText, renderPanel } from './panel.js';
import type { LiveEvent } from '../events.js';
import { applyEvent, eventLine, initialState, type LiveState } from './state.js';

/** Redraws at most this often. */
export const FRAME_MS = 250;

export interface LiveView {
  /** Redrawn in place (a terminal) rather than printed line by line. */
  readonly interactive: boolean;
  readonly state: LiveState;
  feed(event: LiveEvent): void;
  /** Draws the last frame and leaves it on screen (or does nothing more, off a terminal). */
  stop(): void;
}

export interface LiveViewOptions {
  stream: NodeJS.WritableStream & { isTTY?: boolean; columns?: number };
  env?: NodeJS.ProcessEnv;
  /** --json: never redraw. */
  json?: boolean;
  /** Date.now, replaceable in tests. */
  now?: () => number;
}

/**
 * The colour level for the panel: FORCE_COLOR wins (chalk reads it), then a non-empty NO_COLOR
 * turns colour off, else whatever the stream takes.
 */
export function colorLevel(env: NodeJS.ProcessEnv): number {
  if (env.FORCE_COLOR !== undefined) return chalkStderr.level;
  if (env.NO_COLOR) return 0;
  return chalkStderr.level;
}

/** Whether the panel redraws in place: a terminal, not CI, not --json. */
export function isInteractive({ stream, env = process.env, json = false }: LiveViewOptions): boolean {
  return Boolean(stream.isTTY) && !json && !env.CI && env.TERM !== 'dumb';
}

export async function createLiveView(options: LiveViewOptions): Promise<LiveView> {
  const state = initialState();
  const now = options.now ?? Date.now;
  if (!isInteractive(options)) {
    return {
      interactive: false,
      state,
      feed(event) {
        const line = eventLine(state, event);
        applyEvent(state, event);
        if (line) options.stream.write(`${eventText(line)}\n`);
      },
      stop() {},
    };
  }
  // Loaded only for a terminal.
  const { createLogUpdate } = await import('log-update');
  const { stream } = options;
  const draw = createLogUpdate(stream);
  const color = colorLevel(options.env ?? process.env);
  const frame = () =>
    renderPanel(state, { width: Math.max(40, Math.min(stream.columns ?? 80, 120)), color, now: state.epochMs === undefined ? 0 : now() - state.epochMs });
  // A frame every FRAME_MS (the times shown move on), none when nothing is running.
  const timer = setInterval(() => {
    if (state.epochMs === undefined) return;
    draw(frame());
  }, FRAME_MS);
  timer.unref();
  let stopped = false;
  return {
    interactive: true,
    state,
    feed(event) {
      applyEvent(state, event);
    },
    stop() {
      if (stopped) return;
      stopped = true;
      clearInterval(timer);
      // Nothing was drawn when the run never started (a release that is not there).
      if (state.epochMs === undefined) return;
      draw(frame());
      draw.done();
    },
  };
}

/**
 * The logger to use while a panel is up: progress lines become notes in the panel's event list
 * (anything written to the terminal meanwhile would be drawn over); data still goes to stdout.
 */
export function loggerInto(view: LiveView, log: Logger, clock: () => number): Logger {
  if (!view.interactive) return log;
  // Before the run starts (and the panel with it), lines are printed as usual.
  const note = (text: string, warn: boolean, otherwise: (text: string) => void) => {
    if (view.state.epochMs === undefined) otherwise(text);
    else view.feed({ kind: 'note', t: clock(), text: text.trim(), warn });
  };
  return {
    ...log,
    info: (message) => note(message, false, log.info),
    success: (message) => note(message, false, log.success),
    warn: (message) => note(message, true, log.warn),
    error: (message) => note(message, true, log.error),
  };
}
