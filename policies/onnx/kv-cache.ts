// Prefix KV cache for tree search: the key/value states of token prefixes already run through the
// decoder, in a memory-bounded LRU. A lookup returns the longest cached prefix of a query (entries are
// causal, so the first m positions of any entry sharing m tokens with the query are valid for it).
// Plain typed arrays only; imports nothing.

/** KV data of one layer for one sequence: [heads, length, headDim], float32 (or float16 bits). */
export type KvArray = Float32Array | Uint16Array;

/** The decoder state after a token prefix (batch 1). */
export interface KvState {
  /** Positions held. */
  length: number;
  heads: number;
  headDim: number;
  /** Per layer, [heads, length, headDim]. */
  keys: KvArray[];
  values: KvArray[];
}

export interface KvEntry {
  ids: Int32Array;
  kv: KvState;
  /** Logits after the last token of `ids` (predicting the next token), float32 [vocab]. */
  lastLogits: Float32Array;
  bytes: number;
}

/** A cache hit: how many leading tokens of the query it covers, and the state for exactly those. */
export interface KvHit {
  /** Tokens of the query covered (0 = miss). */
  matched: number;
  /** State for the first `matched` tokens (a copy when the entry was longer). */
  kv: KvState | null;
  /** Next-token logits after the whole query, only when an entry holds exactly the query. */
  lastLogits: Float32Array | null;
}

export interface KvCacheStats {
  entries: number;
  bytes: number;
  hits: number;
  misses: number;
  evictions: number;
  /** Query tokens served from the cache, summed over lookups. */
  reusedTokens: number;
}

/** Bytes held by a state. */
export function kvBytes(kv: KvState): number {
  let n = 0;
  for (let l = 0; l < kv.keys.length; l++) n += kv.keys[l].byteLength + kv.values[l].byteLength;
  return n;
}

/** The first `m` positions of a state (copies: [heads, m, headDim] from [heads, length, headDim]). */
export function sliceKv(kv: KvState, m: number): KvState {
  if (m === kv.length) return kv;
  const { heads, headDim, length } = kv;
  const cut = (src: KvArray): KvArray => {
    const out = src instanceof Float32Array ? new Float32Array(heads * m * headDim) : new Uint16Array(heads * m * headDim);
    for (let h = 0; h < heads; h++) out.set(src.subarray(h * length * headDim, h * length * headDim + m * headDim), h * m * headDim);
    return out;
  };
  return { length: m, heads, headDim, keys: kv.keys.map(cut), values: kv.values.map(cut) };
}

/**
 * LRU of prefix states bounded by `maxBytes`. Entries are plain arrays owned by the cache; `dispose`
 * (on eviction, replacement or `clear`) drops them. Callers copy what they take before awaiting, so an
 * entry evicted meanwhile never changes under them.
 */
export class PrefixKvCache {
  private readonly entries = new Map<string, KvEntry>();
  private bytes = 0;
  private readonly counters = { hits: 0, misses: 0, evictions: 0, reusedTokens: 0 };

  constructor(readonly maxBytes: number) {}

  /**
   * Longest cached prefix of `ids`. With `needLogits`, an exact entry returns its next-token logits;
   * otherwise at most `ids.length - 1` tokens are matched so that at least one token is left to run.
   */
  lookup(ids: readonly number[]): KvHit {
    let best: KvEntry | undefined;
    let bestLen = 0;
    for (const e of this.entries.values()) {
      const n = Math.min(e.ids.length, ids.length);
      let i = 0;
      while (i < n && e.ids[i] === ids[i]) i++;
      if (i > bestLen || (i === bestLen && i > 0 && best !== undefined && e.ids.length === i && best.ids.length !== i)) {
        best = e;
        bestLen = i;
      }
    }
    if (best === undefined || bestLen === 0) {
      this.counters.misses += 1;
      return { matched: 0, kv: null, lastLogits: null };
    }
    this.touch(best);
    this.counters.hits += 1;
    if (bestLen === ids.length && best.ids.length === ids.length) {
      this.counters.reusedTokens += bestLen;
      return { matched: bestLen, kv: best.kv, lastLogits: best.lastLogits };
    }
    const m = Math.min(bestLen, ids.length - 1);
    if (m === 0) return { matched: 0, kv: null, lastLogits: null };
    this.counters.reusedTokens += m;
    return { matched: m, kv: sliceKv(best.kv, m), lastLogits: null };
  }

  /** Stores the state after `ids` (replacing an entry for the same ids); too-large states are not stored. */
  insert(ids: readonly number[], kv: KvState, lastLogits: Float32Array): void {
    if (this.maxBytes <= 0) return;
    const key = keyOf(ids);
    const bytes = kvBytes(kv) + lastLogits.byteLength + ids.length * 4;
    if (bytes > this.maxBytes) return;
    const old = this.entries.get(key);
    if (old !== undefined) this.remove(key, old);
    this.entries.set(key, { ids: Int32Array.from(ids), kv, lastLogits, bytes });
    this.bytes += bytes;
    for (const [k, e] of this.entries) {
      if (this.bytes <= this.maxBytes) break;
      this.remove(k, e);
      this.counters.evictions += 1;
    }
  }

  /** Drops every entry. */
  clear(): void {
    for (const [k, e] of this.entries) this.remove(k, e);
  }

  stats(): KvCacheStats {
    return { entries: this.entries.size, bytes: this.bytes, ...this.counters };
  }

  private touch(e: KvEntry): void {
    const key = keyOf(e.ids);
    this.entries.delete(key);
    this.entries.set(key, e);
  }

  private remove(key: string, e: KvEntry): void {
    this.entries.delete(key);
    this.bytes -= e.bytes;
    disposeEntry(e);
  }
}

/**
 * Releases an entry: the cache drops its references to the arrays (plain memory, freed by the GC). A
 * state handed out by `lookup` stays valid for the caller that holds it.
 */
function disposeEntry(e: KvEntry): void {
  e.kv = { length: 0, heads: e.kv.heads, headDim: e.kv.headDim, keys: [], values: [] };
  e.lastLogits = new Float32Array(0);
}

function keyOf(ids: ArrayLike<number>): string {
  return Array.prototype.join.call(ids, ',');
}
