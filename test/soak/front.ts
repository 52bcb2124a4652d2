// The load balancer in front of the replicas on PostgreSQL: each request goes to the next
// replica in turn, and to the one after when a replica refuses the connection (it is down), as
// nginx's `proxy_next_upstream error` does; a replica that fails once it has the request gets a
// 503 answered for it, since the request may have been taken. By hand: a few lines, and the
// project has no proxy library to do just this.
import { createServer, request, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface RoundRobinFront {
  url: string;
  close(): Promise<void>;
}

interface Upstream {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

function forward(port: number, method: string, path: string, headers: IncomingHttpHeaders, body: Buffer): Promise<Upstream> {
  return new Promise((resolve, reject) => {
    const outgoing = request({ host: '127.0.0.1', port, method, path, headers }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () => resolve({ status: response.statusCode!, headers: response.headers, body: Buffer.concat(chunks) }));
      response.on('error', reject);
    });
    outgoing.on('error', reject);
    outgoing.end(body);
  });
}

/** Hop-by-hop headers: they describe one connection, not the answer, and this front answers on its own. */
const hopByHop = new Set(['transfer-encoding', 'connection', 'keep-alive']);

export async function startRoundRobinFront(ports: readonly number[]): Promise<RoundRobinFront> {
  let next = 0;
  async function pass(incoming: IncomingMessage, outgoing: ServerResponse, body: Buffer): Promise<void> {
    const first = next;
    next = (next + 1) % ports.length;
    for (let tried = 0; tried < ports.length; tried += 1) {
      try {
        const answer = await forward(ports[(first + tried) % ports.length]!, incoming.method!, incoming.url!, incoming.headers, body);
        const headers = Object.fromEntries(Object.entries(answer.headers).filter(([name]) => !hopByHop.has(name)));
        outgoing.writeHead(answer.status, headers).end(answer.body);
        return;
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'ECONNREFUSED') break;
      }
    }
    outgoing.writeHead(503, { 'retry-after': '1' }).end();
  }
  const server = createServer((incoming, outgoing) => {
    const chunks: Buffer[] = [];
    incoming.on('data', (chunk: Buffer) => chunks.push(chunk));
    incoming.on('end', () => void pass(incoming, outgoing, Buffer.concat(chunks)));
  });
  server.keepAliveTimeout = 1000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
