// Node's argument parser explains each mistake at length; one short sentence is enough for a person.
import { closestName } from './settings-reader.ts';

/**
 * The one sentence that says what is wrong with a command line that util.parseArgs refused;
 * for an unknown option, the nearest of `known` (option names without their dashes) when one is near.
 */
export function argumentProblem(error: Error & { code?: string }, known: readonly string[] = []): string {
  const option = /'(-[^']*)'/.exec(error.message)?.[1];
  switch (error.code) {
    case 'ERR_PARSE_ARGS_UNKNOWN_OPTION': {
      const name = option?.replace(/^--?/, '') ?? '';
      const closest = closestName(name, known, (candidate) => Math.ceil(candidate.length / 4));
      return `Unknown option ${option ?? ''}${closest ? `; did you mean --${closest}?` : '.'}`;
    }
    case 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE':
      return error.message.includes('argument missing')
        ? `Option ${option ?? ''} needs a value.`
        : `Option ${option ?? ''} takes no value.`;
    case 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL':
      return `Unexpected argument ${/'([^']*)'/.exec(error.message)?.[1] ?? ''}.`;
    default:
      return error.message;
  }
}
