// What the command-line scripts share: argument parsing that answers --help with the usage,
// --version with the version, and a mistake with the one problem and where to read more (exit 2),
// never a stack trace.
import { parseArgs, type ParseArgsOptionsConfig } from 'node:util';
import { packageVersion } from '../../src/service/project.ts';
import { argumentProblem } from '../../src/support/argument-problem.ts';

/** Ends the process with one line on standard error; for mistakes a person can fix. */
export function exitWith(message: string, code = 1): never {
  console.error(message);
  process.exit(code);
}

/**
 * Parses the command line of `npm run <command>`. `--help` and `-h` print `usage` and exit 0,
 * `--version` prints the version and exits 0; a wrong argument prints what is wrong and a pointer
 * to --help, and exits 2.
 */
export function parseCommandLine<const Options extends ParseArgsOptionsConfig>(command: string, usage: string, options: Options) {
  const fail = (message: string): never => exitWith(`${message}\nSee: npm run ${command} -- --help`, 2);
  const count = (name: string, raw: string | undefined, minimum = 1) => {
    const value = Number(raw);
    return Number.isInteger(value) && value >= minimum
      ? value
      : fail(`--${name} must be a whole number of at least ${minimum}, got ${JSON.stringify(raw)}.`);
  };
  type Config = {
    allowPositionals: true;
    strict: true;
    options: Options & { help: { type: 'boolean'; short: 'h' }; version: { type: 'boolean' } };
  };
  const config = {
    allowPositionals: true,
    strict: true,
    options: { ...options, help: { type: 'boolean', short: 'h' }, version: { type: 'boolean' } },
  } as Config;
  let parsed;
  try {
    parsed = parseArgs(config);
  } catch (error) {
    return fail(argumentProblem(error as Error & { code?: string }, Object.keys(config.options)));
  }
  if ((parsed.values as { help?: boolean }).help) {
    console.log(usage);
    process.exit(0);
  }
  if ((parsed.values as { version?: boolean }).version) {
    console.log(`ada-webhooks ${packageVersion()}`);
    process.exit(0);
  }
  return { values: parsed.values, positionals: parsed.positionals, fail, count };
}
