// The load generator: a process of its own (forked by load.ts), so that building and signing the
// requests never takes CPU from the process measured, and so that it can be pinned to a core of
// its own. Each job signs its deliveries before the clock starts (distinct ids, spread over the
// traffic's conversations); autocannon then only hands them out. How busy this process was while
// it loaded is reported beside the figures: a generator near a full core may be the bottleneck.
import autocannon from 'autocannon';
import { createSigner } from '../../src/intake/signature.ts';
import { benchSecret } from './servers.ts';
import type { GeneratorFailure, GeneratorReport, GeneratorRequest, SignedDelivery, TargetFigures } from './load-protocol.ts';
import { nextBody } from './load.ts';

const sign = createSigner(benchSecret);
/** How many answers that are not 2xx are sent back with their bodies, per job. */
const failuresKept = 20;
let signed = 0;

function signedDelivery(request: GeneratorRequest): SignedDelivery {
  signed += 1;
  const body = nextBody(request.traffic);
  const id = `msg_bench_${process.pid}_${signed}`;
  const timestamp = Math.floor(Date.now() / 1000);
  return {
    body: Buffer.from(body),
    headers: {
      'content-type': 'application/json',
      'svix-id': id,
      'svix-timestamp': String(timestamp),
      'svix-signature': sign(id, timestamp, body),
    },
  };
}

async function run(request: GeneratorRequest): Promise<GeneratorReport> {
  const pool = Array.from({ length: request.pool }, () => signedDelivery(request));
  let next = 0;
  let signedUnderLoad = 0;
  const failures: GeneratorFailure[] = [];
  const take = () => {
    if (next < pool.length) {
      const delivery = pool[next]!;
      pool[next] = undefined as unknown as SignedDelivery; // given out once: its memory can go
      next += 1;
      return delivery;
    }
    signedUnderLoad += 1;
    return signedDelivery(request);
  };
  process.send!({ kind: 'started' });
  const cpuBefore = process.cpuUsage();
  const started = performance.now();
  const results = await Promise.all(
    request.targets.map(({ url, connections }) =>
      autocannon({
        url: `${url}/webhooks/ada`,
        method: 'POST',
        connections,
        duration: request.seconds,
        ...(request.rate === undefined ? {} : { overallRate: request.rate / request.targets.length }),
        requests: [
          {
            setupRequest: (defaults) => ({ ...defaults, ...take() }),
            onResponse: (status, body) => {
              if ((status < 200 || status > 299) && failures.length < failuresKept) failures.push({ url, status, body });
            },
          },
        ],
      }),
    ),
  );
  const wallSeconds = (performance.now() - started) / 1000;
  const cpu = process.cpuUsage(cpuBefore);
  const targets: TargetFigures[] = results.map((result) => ({
    requestsPerSecond: result.requests.average,
    p50: result.latency.p50,
    p99: result.latency.p99,
    errors: result.errors + result.timeouts + result.non2xx,
    requests: result.requests.total,
    statusCodes: Object.fromEntries(Object.entries(result.statusCodeStats ?? {}).map(([status, { count }]) => [status, count ?? 0])),
  }));
  return { kind: 'finished', targets, cpuSeconds: (cpu.user + cpu.system) / 1e6, wallSeconds, signedUnderLoad, failures };
}

process.on('message', (request: GeneratorRequest) => {
  void run(request).then(
    (report) => process.send!(report),
    (error: unknown) => process.send!({ kind: 'failed', message: String((error as Error).stack ?? error) }),
  );
});
process.on('disconnect', () => process.exit(0));
