import type { LiveEvent } from '../../src/events.js';
import { applyEvent, initialState, type LiveState } from '../../src/live/state.js';

/** A state with every event of a sequence applied, as the live view folds them one at a time: what the panel tests render. */
export function stateOf(events: LiveEvent[]): LiveState {
  const state = initialState();
  for (const event of events) applyEvent(state, event);
  return state;
}
