// A TCP proxy in front of a broker, to cut the receiver off from it and let it back, as a network
// partition or a broker that went away would; or to cut a connection each time one message goes
// through, as a broker that closes the connection on a message it cannot take would.
import { createConnection, createServer, type AddressInfo, type Socket } from 'node:net';

export interface TcpProxy {
  /** Where it listens, on 127.0.0.1. */
  port: number;
  /** Destroys every open connection, both ways. */
  cut(): void;
  /** While on, accepts each new connection and closes it at once. */
  refuse(on: boolean): void;
  close(): Promise<void>;
}

export interface TcpProxyOptions {
  /** Ends a connection, before passing them on, whenever the client sends these bytes; the next connection is let through. */
  cutWhenSent?: Buffer;
}

export async function startTcpProxy(target: { host: string; port: number }, { cutWhenSent }: TcpProxyOptions = {}): Promise<TcpProxy> {
  const sockets = new Set<Socket>();
  let refusing = false;
  const server = createServer((client) => {
    if (refusing) return void client.destroy();
    const upstream = createConnection(target);
    for (const socket of [client, upstream]) {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
      socket.on('error', () => {});
    }
    if (cutWhenSent) {
      // The bytes may arrive split over two chunks: the end of the previous chunk is searched too.
      let tail = Buffer.alloc(0);
      client.on('data', (chunk: Buffer) => {
        const seen = Buffer.concat([tail, chunk]);
        if (seen.includes(cutWhenSent)) return void client.destroy();
        tail = seen.subarray(Math.max(0, seen.length - cutWhenSent.length + 1));
        upstream.write(chunk);
      });
      upstream.pipe(client);
    } else client.pipe(upstream).pipe(client);
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const cut = () => {
    for (const socket of sockets) socket.destroy();
  };
  return {
    port: (server.address() as AddressInfo).port,
    cut,
    refuse(on) {
      refusing = on;
    },
    async close() {
      refusing = true;
      cut();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}
