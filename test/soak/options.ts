// What a soak run is asked for, apart from the rest so that the command reads its options before
// it loads the soak.
export const backends = ['sqlite', 'postgres'] as const;
export type Backend = (typeof backends)[number];
export const forwards = ['nats', 'rabbitmq', 'none'] as const;
export type Forward = (typeof forwards)[number];

export interface SoakOptions {
  seed: number;
  /** How long traffic is sent; the run takes longer, to become quiet and be checked. */
  minutes: number;
  backend: Backend;
  forward: Forward;
}

/** A new seed to print, when none is given: 31 bits, so that it reads and types back easily. */
export const newSeed = (): number => Math.floor(Math.random() * 2 ** 31);
