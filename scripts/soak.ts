// The seeded fault-injection soak: the service as users run it, under seeded traffic and faults,
// checked against its promises (docs/soak.md).
//   npm run soak -- [--seed N] [--minutes M] [--backend sqlite|postgres] [--forward nats|rabbitmq|none]
import { parseCommandLine } from './commands/command-line.ts';
import { backends, forwards, newSeed, type Backend, type Forward } from '../test/soak/options.ts';

const usage = `Usage: npm run soak -- [options]

Runs the receiver as \`npm start\` does, with forwarding, drift, retention, tracing and the inspector on,
sends seeded traffic while injecting seeded faults, waits until the system is quiet, checks the
inbox, the broker and the handlers' record against the receiver's promises, and prints one report.
The same seed sends the same traffic and injects the same faults.

Options:
  --seed N            the seed (default: a new one, printed)
  --minutes M         how long traffic is sent (default: 10; fractions allowed)
  --backend NAME      sqlite (one receiver) or postgres (two replicas behind a round-robin front); default sqlite
  --forward NAME      nats, rabbitmq or none; default nats
  --version           the version of ada-webhooks
  -h, --help          this text`;

const { values, positionals, fail, count } = parseCommandLine('soak', usage, {
  seed: { type: 'string' },
  minutes: { type: 'string', default: '10' },
  backend: { type: 'string', default: 'sqlite' },
  forward: { type: 'string', default: 'nats' },
});
if (positionals.length > 0) fail(`Unexpected argument ${JSON.stringify(positionals[0])}.`);
const minutes = Number(values.minutes);
if (!(minutes > 0 && minutes <= 24 * 60))
  fail(`--minutes must be a number of minutes above 0, such as 10 or 0.5, got ${JSON.stringify(values.minutes)}.`);
const oneOf = <T extends string>(name: string, value: string, allowed: readonly T[]): T =>
  (allowed as readonly string[]).includes(value)
    ? (value as T)
    : fail(`--${name} must be one of ${allowed.join(', ')}, got ${JSON.stringify(value)}.`);
const backend: Backend = oneOf('backend', values.backend, backends);
const forward: Forward = oneOf('forward', values.forward, forwards);
const seed = values.seed === undefined ? newSeed() : count('seed', values.seed, 0);

console.log(`soak seed ${seed}`);
// Loaded once the options are read: the soak loads the brokers' and PostgreSQL's clients.
const { runSoak } = await import('../test/soak/soak.ts');
const { passed } = await runSoak({ seed, minutes, backend, forward });
process.exitCode = passed ? 0 : 1;
