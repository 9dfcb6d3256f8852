// A bounded least-recently-used map for comparison results keyed by (gold, pred). Imports nothing.

/** LRU cache on a Map (insertion order = recency). Capacity 0 disables it. */
export class LruCache<V> {
  private readonly map = new Map<string, V>();

  /** @param capacity maximum entries kept (oldest evicted first); 0 keeps nothing. */
  constructor(readonly capacity: number) {}

  get size(): number {
    return this.map.size;
  }

  get(key: string): V | undefined {
    const v = this.map.get(key);
    if (v === undefined) return undefined;
    this.map.delete(key);
    this.map.set(key, v);
    return v;
  }

  set(key: string, value: V): void {
    if (this.capacity <= 0) return;
    this.map.delete(key);
    this.map.set(key, value);
    while (this.map.size > this.capacity) {
      const oldest = this.map.keys().next().value as string;
      this.map.delete(oldest);
    }
  }

  clear(): void {
    this.map.clear();
  }
}

/** Cache key of a (gold, pred) pair; NUL cannot appear in either after JSON decoding in practice. */
export function pairKey(gold: string, pred: string): string {
  return `${gold}\u0000${pred}`;
}
