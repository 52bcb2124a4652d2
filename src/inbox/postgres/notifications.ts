// Notices of new deliveries from other replicas: a dedicated connection LISTENs on the inbox's
// channel, and reconnects by itself when PostgreSQL restarts. A notice that is lost meanwhile is
// covered by the dispatcher's polling; every reconnection counts as a notice, in case one was.
import pg from 'pg';

const reconnectDelayMs = 1000;

export class NotificationListener {
  readonly #config: pg.ClientConfig;
  readonly #channel: string;
  /** Notices whose payload is this are our own, already announced in this process. */
  readonly #ownPayload: string;
  readonly #onNotice: () => void;
  #client: pg.Client | undefined;
  #retry: NodeJS.Timeout | undefined;
  #stopped = false;

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
    await this.#client?.end().catch(() => {});
  }

  async #connect(): Promise<void> {
    const client = new pg.Client(this.#config);
    this.#client = client;
    client.on('notification', ({ payload }) => {
      if (payload !== this.#ownPayload) this.#onNotice();
    });
    client.on('error', () => this.#reconnectLater(client));
    client.on('end', () => this.#reconnectLater(client));
    try {
      await client.connect();
      await client.query(`LISTEN ${client.escapeIdentifier(this.#channel)}`);
      this.#onNotice();
    } catch {
      this.#reconnectLater(client);
    }
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
