// The service's command line: `npm start -- --help` (the variables it reads, each in a line),
// `--version`; it takes its settings from the environment, so any other argument is a mistake.
import { parseArgs } from 'node:util';
import { argumentProblem } from '../support/argument-problem.ts';
import { packageVersion } from './project.ts';
import { variableMeanings } from './variables.ts';

export function serviceUsage(): string {
  const width = Math.max(...Object.keys(variableMeanings).map((name) => name.length));
  return [
    'Usage: npm start [-- --help | --version]   (or node src/main.js under a process manager)',
    '',
    "Receives Ada's signed webhooks, stores them in the inbox and runs your handlers.",
    'Its settings are environment variables (defaults in parentheses):',
    '',
    ...Object.entries(variableMeanings).map(([name, meaning]) => `  ${name.padEnd(width)}  ${meaning}`),
    `  ${'OTEL_*'.padEnd(width)}  traces through the OpenTelemetry SDK (off): see docs/tracing.md`,
    '',
    'Every variable, its default and what it does: docs/reference.md',
  ].join('\n');
}

/**
 * Answers `--help` and `--version` and exits 0; refuses any other argument in one line and exits 2.
 * Returns when there is nothing on the command line: the service is to start.
 */
export function answerCommandLine(args: string[]): void {
  let values: { help?: boolean; version?: boolean };
  try {
    ({ values } = parseArgs({ args, options: { help: { type: 'boolean', short: 'h' }, version: { type: 'boolean' } }, strict: true }));
  } catch (error) {
    console.error(
      `${argumentProblem(error as Error)} The service takes --help and --version; its settings are environment variables (npm start -- --help).`,
    );
    process.exit(2);
  }
  if (values.help) console.log(serviceUsage());
  else if (values.version) console.log(`ada-webhooks ${packageVersion()}`);
  else return;
  process.exit(0);
}
