// A small seeded generator (mulberry32): shuffles and splits must be the same
// on every machine for a given seed, which Math.random cannot promise.

export type Rng = () => number;

/** A seeded generator whose position can be saved and restored (a training checkpoint carries it). */
export interface SeededRng extends Rng {
  /** The generator's whole state: one 32-bit integer. */
  state(): number;
  /** Continues from a state that `state()` returned. */
  restore(state: number): void;
}

export function seededRng(seed: number): SeededRng {
  let a = (seed >>> 0) ^ 0x9e3779b9;
  const next = (() => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }) as SeededRng;
  next.state = () => a;
  next.restore = (state: number) => {
    a = state >>> 0;
  };
  return next;
}

/** Fisher–Yates, in place. */
export function shuffleInPlace<T>(items: T[], rng: Rng): T[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(rng() * (i + 1));
    const t = items[i];
    items[i] = items[j];
    items[j] = t;
  }
  return items;
}
