// Notices of new deliveries from other replicas: a dedicated connection LISTENs on the inbox's
// channel, and reconnects by itself when PostgreSQL restarts. A notice that is lost meanwhile is
// covered by the dispatcher's polling; every reconnection counts as a notice, in case one was.
import pg from 'pg';

const reconnectDelayMs = 1000;

/**
 * Other replicas' notices wake this one at most once in this window (the first at once, the rest
 * of the window's as one at its end). The replica that stored a delivery claims it itself, so a
 * notice mostly wakes the others into a claim that finds nothing: under load each delivery cost
 * every other replica a claim, a transaction and its CPU. Bounded, a replica pays about 40 claims a
 * second for the others' deliveries, however many they store, and one that only another replica
 * can take waits at most this much longer.
 */
const noticeWindowMs = 25;

export class NotificationListener {
  readonly #config: pg.ClientConfig;
  readonly #channel: string;
  /** Notices whose payload is this are our own, already announced in this process. */
  readonly #ownPayload: string;
  readonly #onNotice: () => void;
  #client: pg.Client | undefined;
  #retry: NodeJS.Timeout | undefined;
  #stopped = false;
  /** Set while a notice was passed on less than a window ago; `#noticedAgain` when another came since. */
  #window: NodeJS.Timeout | undefined;
  #noticedAgain = false;

  constructor(config: pg.ClientConfig, channel: string, ownPayload: string, onNotice: () => void) {
    this.#config = config;
    this.#channel = channel;
    this.#ownPayload = ownPayload;
    this.#onNotice = onNotice;
    void this.#connect();
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#retry);
    clearTimeout(this.#window);
    await this.#client?.end().catch(() => {});
  }

  async #connect(): Promise<void> {
    const client = new pg.Client(this.#config);
    this.#client = client;
    client.on('notification', ({ payload }) => {
      if (payload !== this.#ownPayload) this.#noticed();
    });
    client.on('error', () => this.#reconnectLater(client));
    client.on('end', () => this.#reconnectLater(client));
    try {
      await client.connect();
      await client.query(`LISTEN ${client.escapeIdentifier(this.#channel)}`);
      this.#noticed();
    } catch {
      this.#reconnectLater(client);
    }
  }

  /** Passes a notice on, or merges it into the one due at the end of the window. */
  #noticed(): void {
    if (this.#window) {
      this.#noticedAgain = true;
      return;
    }
    this.#onNotice();
    this.#window = setTimeout(() => {
      this.#window = undefined;
      if (!this.#noticedAgain || this.#stopped) return;
      this.#noticedAgain = false;
      this.#noticed();
    }, noticeWindowMs);
    this.#window.unref();
  }

  #reconnectLater(client: pg.Client): void {
    if (this.#stopped || client !== this.#client || this.#retry) return;
    this.#client = undefined;
    void client.end().catch(() => {});
    this.#retry = setTimeout(() => {
      this.#retry = undefined;
      void this.#connect();
    }, reconnectDelayMs);
    this.#retry.unref();
  }
}
