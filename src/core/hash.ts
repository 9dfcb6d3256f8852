// Small, fast, dependency-free hashes for seeds, ids and dedup keys (not for security).

/**
 * 128-bit MurmurHash3-style mix of a string into four 32-bit words (cyrb128).
 * Stable across platforms and Node versions: derived seeds and ids depend on it.
 */
export function hash128(text: string): [number, number, number, number] {
  let h1 = 1779033703;
  let h2 = 3144134277;
  let h3 = 1013904242;
  let h4 = 2773480762;
  for (let i = 0; i < text.length; i++) {
    const k = text.charCodeAt(i);
    h1 = h2 ^ Math.imul(h1 ^ k, 597399067);
    h2 = h3 ^ Math.imul(h2 ^ k, 2869860233);
    h3 = h4 ^ Math.imul(h3 ^ k, 951274213);
    h4 = h1 ^ Math.imul(h4 ^ k, 2716044179);
  }
  h1 = Math.imul(h3 ^ (h1 >>> 18), 597399067);
  h2 = Math.imul(h4 ^ (h2 >>> 22), 2869860233);
  h3 = Math.imul(h1 ^ (h3 >>> 17), 951274213);
  h4 = Math.imul(h2 ^ (h4 >>> 19), 2716044179);
  h1 ^= h2 ^ h3 ^ h4;
  h2 ^= h1;
  h3 ^= h1;
  h4 ^= h1;
  return [h1 >>> 0, h2 >>> 0, h3 >>> 0, h4 >>> 0];
}

/** 32-bit unsigned hash of a string. */
export function hash32(text: string): number {
  return hash128(text)[0];
}

/** Hex digest of `hash128`, `chars` long (at most 32). */
export function hashHex(text: string, chars = 16): string {
  const parts = hash128(text);
  let out = '';
  for (const p of parts) out += p.toString(16).padStart(8, '0');
  return out.slice(0, chars);
}
