// The development loop: the receiver, restarted when src/, the contract or generated/ change
// (Node's --watch), beside the type checker in watch mode, so that a handler that does not compile
// is reported at once rather than found by the receiver at run time.
//   npm run dev
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { onNpmExit } from '../../src/service/shutdown.ts';
import { parseCommandLine } from './command-line.ts';

parseCommandLine(
  'dev',
  `Usage: npm run dev

Runs the receiver (src/main.js) and restarts it when src/, openapi/ or generated/ change, with the
TypeScript compiler checking the project beside it (tsc --watch). Stop both with Ctrl-C.
The receiver reads the same environment variables as npm start.`,
  {},
);

const project = fileURLToPath(new URL('../..', import.meta.url));
const children: ChildProcess[] = [
  spawn(
    process.execPath,
    ['--watch-path=src', '--watch-path=openapi', '--watch-path=generated', '--watch-preserve-output', 'src/main.js'],
    { cwd: project, stdio: 'inherit' },
  ),
  spawn(process.execPath, [fileURLToPath(import.meta.resolve('typescript/bin/tsc')), '--noEmit', '--watch', '--preserveWatchOutput'], {
    cwd: project,
    stdio: 'inherit',
  }),
];

const stopAll = () => {
  for (const child of children) child.kill('SIGTERM');
};
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, stopAll);
onNpmExit(stopAll);
// When one of them ends (Ctrl-C, or the receiver refused its configuration), the other goes too.
for (const child of children) {
  child.once('exit', (code) => {
    stopAll();
    process.exitCode ||= code ?? 0;
  });
}
