// Stopping criteria on decoded text: step stop strings (default a blank line) found as the text grows,
// and the final-answer pattern. Pure functions; imports nothing.

export interface StopMatch {
  /** Where the stop string starts: the candidate text is `text.slice(0, index)`. */
  index: number;
  stop: string;
}

/**
 * The earliest stop string in `text` at or after `from`, ignoring matches with only whitespace before
 * them (a model that opens a step with the delimiter has not written a step yet). Ties at one index go
 * to the longest stop string. `from` lets a caller rescan only the tail that may hold a new match.
 */
export function findStopString(text: string, stops: readonly string[], from = 0): StopMatch | null {
  const firstContent = text.search(/\S/);
  if (firstContent < 0) return null;
  let best: StopMatch | null = null;
  for (const stop of stops) {
    let i = text.indexOf(stop, Math.max(0, from));
    while (i >= 0 && i <= firstContent) i = text.indexOf(stop, i + 1);
    if (i < 0) continue;
    if (best === null || i < best.index || (i === best.index && stop.length > best.stop.length)) best = { index: i, stop };
  }
  return best;
}

/** Where to resume scanning after `checkedLength` characters were scanned, so no match across the boundary is missed. */
export function rescanFrom(checkedLength: number, stops: readonly string[]): number {
  let longest = 0;
  for (const s of stops) longest = Math.max(longest, s.length);
  // A few extra characters: byte-level decoders may rewrite the last character once its bytes complete.
  return Math.max(0, checkedLength - longest - 4);
}
