// The soak's one source of randomness: every choice of a run (its traffic, its faults, what its
// handlers do) is drawn from a generator seeded by the run's seed, so that a seed replays.
import { createHash } from 'node:crypto';
import { uniformInt } from 'pure-rand/distribution/uniformInt';
import { xoroshiro128plus } from 'pure-rand/generator/xoroshiro128plus';
import type { RandomGenerator } from 'pure-rand/types/RandomGenerator';

export class SeededRandom {
  readonly #generator: RandomGenerator;

  constructor(seed: number) {
    this.#generator = xoroshiro128plus(seed);
  }

  /** An integer from `from` to `to`, both included. */
  int(from: number, to: number): number {
    return uniformInt(this.#generator, from, to);
  }

  /** True with probability `chance` (0 to 1), to a millionth. */
  chance(chance: number): boolean {
    return this.int(0, 999_999) < chance * 1_000_000;
  }

  pick<T>(items: readonly T[]): T {
    return items[this.int(0, items.length - 1)]!;
  }

  /** The items in a seeded order (Fisher-Yates). */
  shuffle<T>(items: readonly T[]): T[] {
    const shuffled = [...items];
    for (let last = shuffled.length - 1; last > 0; last -= 1) {
      const other = this.int(0, last);
      [shuffled[last], shuffled[other]] = [shuffled[other]!, shuffled[last]!];
    }
    return shuffled;
  }

  /** One of `weighted`'s keys, each as likely as its weight. */
  weighted<K extends string>(weighted: Readonly<Record<K, number>>): K {
    const entries = Object.entries(weighted) as [K, number][];
    let draw = this.int(0, entries.reduce((sum, [, weight]) => sum + weight, 0) - 1);
    for (const [key, weight] of entries) {
      if (draw < weight) return key;
      draw -= weight;
    }
    throw new Error('no weight');
  }
}

/** A number from 0 to 1 that depends only on its parts: a choice made alike by every process of a run. */
export const hashedDraw = (...parts: (string | number)[]): number =>
  createHash('sha256').update(JSON.stringify(parts)).digest().readUInt32BE(0) / 2 ** 32;
