// The faults the soak injects, each one thing it does to the system and its undoing, built from
// the injectors beside this file.
import type { SmallDisk } from './full-disk.ts';
import type { NatsServer } from './nats-server.ts';
import { terminateConnections } from './postgres.ts';
import type { TcpProxy } from './tcp-proxy.ts';

export interface Fault {
  readonly name: string;
  inject(): Promise<void>;
  heal(): Promise<void>;
}

/** Every connection through the proxy to the broker dropped, and new ones refused until healed. */
export const brokerConnectionCut = (proxy: TcpProxy): Fault => ({
  name: 'broker connection cut',
  async inject() {
    proxy.refuse(true);
    proxy.cut();
  },
  async heal() {
    proxy.refuse(false);
  },
});

/** The NATS server killed (SIGKILL); healed by starting it again on its port and store. */
export const natsServerKilled = (server: NatsServer): Fault => ({
  name: 'NATS server killed',
  inject: () => server.kill(),
  heal: () => server.restart(),
});

/** Every connection to the database ended by the server; the clients' own reconnection is the healing, so heal does nothing. */
export const postgresConnectionsTerminated = (connectionString: string, database: string): Fault => ({
  name: 'PostgreSQL connections terminated',
  async inject() {
    await terminateConnections(connectionString, { database });
  },
  async heal() {},
});

/** The disk filled to its last byte, and its space given back when healed. */
export const diskFull = (disk: SmallDisk): Fault => ({
  name: 'disk full',
  inject: () => disk.fill(),
  heal: () => disk.free(),
});
