import type { Histories, ThrottleState } from "../../packages/server/src/throttle/throttle-state.js";

/** The histories of `keys` live at `now`, read through an admission that records nothing. */
export function peek(state: ThrottleState, keys: readonly string[], now: number): Promise<Histories> {
  return state.admit(keys, now, (histories) => ({ verdict: histories, record: [] }));
}
