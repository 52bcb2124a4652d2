// What the command-line scripts share: argument parsing that answers mistakes with the usage text.
import { parseArgs, type ParseArgsOptionsConfig } from 'node:util';


export function parseCommandLine<const Options extends ParseArgsOptionsConfig>(usage: string, options: Options) {
  const fail = (message: string): never => {
    console.error(`${message}\n\n${usage}`);
    process.exit(2);
  };
  const count = (name: string, raw: string | undefined) => {
    const value = Number(raw);
    return Number.isInteger(value) && value >= 1 ? value : fail(`--${name} must be a whole number of at least 1.`);
  };
  try {
    const { values, positionals } = parseArgs({ allowPositionals: true, strict: true, options });
    return { values, positionals, fail, count };
  } catch (error) {
    return fail((error as Error).message);
  }
}
