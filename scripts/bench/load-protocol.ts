// What the bench process and its load generator (load-generator.ts) say to each other.
export interface Traffic {
  /** A message event with `__ID__`, `__CONVERSATION__` (its conversation's id and its end user's) and `__TIMESTAMP__` where each delivery's values go. */
  template: string;
  /** The conversations that the deliveries go to in turn; one is a single busy conversation. */
  conversations: readonly string[];
}

/** One job: load every target at once for `seconds`, each with its connections. */
export interface GeneratorRequest {
  targets: { url: string; connections: number }[];
  traffic: Traffic;
  seconds: number;
  /** Requests per second offered in all, when the load should not be as fast as the servers answer. */
  rate?: number | undefined;
  /** Deliveries signed before the clock starts; more are signed under load only if these run out. */
  pool: number;
}

export interface SignedDelivery {
  body: Buffer;
  headers: Record<string, string>;
}

/** An answer that was not 2xx, as it came. */
export interface GeneratorFailure {
  url: string;
  status: number;
  body: string;
}

export interface TargetFigures {
  requestsPerSecond: number;
  p50: number;
  p99: number;
  errors: number;
  requests: number;
  /** Answers by HTTP status. */
  statusCodes: Record<string, number>;
}

export type GeneratorReport =
  | { kind: 'started' }
  | {
      kind: 'finished';
      targets: TargetFigures[];
      /** CPU time the generator used while it loaded, all its threads. */
      cpuSeconds: number;
      wallSeconds: number;
      /** Deliveries signed under load because the pool ran out (each took the generator's CPU). */
      signedUnderLoad: number;
      failures: GeneratorFailure[];
    }
  | { kind: 'failed'; message: string };
