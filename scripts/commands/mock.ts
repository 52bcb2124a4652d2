// The partner mock: Prism on the contract, behind a thin front that answers as the receiver does
// (see src/partner-mock/front.ts).
//   npm run mock        MOCK_PORT (4010), MOCK_HOST (127.0.0.1; 0.0.0.0 to reach it from containers)
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { loadMockSettings, orExit } from '../../src/service/environment.ts';
import { contractUrl, loadContract } from '../../src/contract/document.ts';
import { createMockFront } from '../../src/partner-mock/front.ts';
import { onNpmExit } from '../../src/service/shutdown.ts';
import { exitWith, parseCommandLine } from './command-line.ts';
import { freePort } from './free-port.ts';
import { prismPath } from './prism-path.ts';

const { values } = parseCommandLine(
  'mock',
  `Usage: npm run mock [-- --verbose]

Serves a mock of the receiver from the contract, for partner teams: Prism, strict on requests,
behind a front that answers what the receiver can judge without the signing secret exactly as the
receiver does. Contract violations are answered 422 with the receiver's problem document.
It cannot check signatures themselves (it has no secret) and stores nothing.

  MOCK_PORT                   port (default 4010)
  MOCK_HOST                   address to listen on (default 127.0.0.1; 0.0.0.0 for other hosts and containers)
  BODY_LIMIT                  largest body, as the receiver's (default 1mb)
  WEBHOOK_TOLERANCE_SECONDS   signature timestamp tolerance, as the receiver's (default 300)

It prints one line per request with its verdict. --verbose adds Prism's own lines: each request it
was passed and every check of every branch of the contract.`,
  { verbose: { type: 'boolean', default: false } },
);
const settings = orExit(() => loadMockSettings());

const prismPort = await freePort();
// Prism's own lines (each request, and each check of every oneOf branch) go to this terminal
// with --verbose; otherwise only when Prism fails to start.
const prism = spawn(process.execPath, [prismPath, 'mock', '--host', '127.0.0.1', '--port', String(prismPort), contractUrl.pathname], {
  stdio: ['ignore', 'pipe', 'inherit'],
});
const prismExited = once(prism, 'exit');
const prismStartup: string[] = [];
let prismListening = false;
await new Promise<void>((resolve) => {
  createInterface({ input: prism.stdout }).on('line', (line) => {
    if (values.verbose) console.log(line);
    else if (!prismListening) prismStartup.push(line);
    if (line.includes('Prism is listening')) {
      prismListening = true;
      resolve();
    }
  });
  void prismExited.then(() => {
    if (!values.verbose) for (const line of prismStartup) console.log(line);
    exitWith(prismListening ? 'Prism exited.' : 'Prism exited before it listened; its output is above.');
  });
});

const log = (line: string) => console.log(`${new Date().toISOString()}  ${line}`);
const front = (await createMockFront({ contract: loadContract(), prismUrl: `http://127.0.0.1:${prismPort}`, log, ...settings })).listen(
  settings.port,
  settings.host,
);
front.once('error', (error: NodeJS.ErrnoException) => {
  prism.kill('SIGTERM');
  exitWith(
    error.code === 'EADDRINUSE'
      ? `Port ${settings.port} is in use; set MOCK_PORT to another port, or stop the process that holds it.`
      : error.message,
  );
});
front.once('listening', () => {
  const address = front.address();
  const port = typeof address === 'object' && address ? address.port : settings.port;
  const host = settings.host === '0.0.0.0' ? 'localhost' : settings.host;
  console.log(`mock listening on http://${host}:${port}/webhooks/ada (MOCK_HOST=${settings.host}); Ctrl-C to stop`);
});

const stop = () => {
  front.close();
  front.closeAllConnections();
  prism.kill('SIGTERM');
};
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, stop);
onNpmExit(stop);
