// Node's argument parser explains each mistake at length; one short sentence is enough for a person.

/** The one sentence that says what is wrong with a command line that util.parseArgs refused. */
export function argumentProblem(error: Error & { code?: string }): string {
  const option = /'(-[^']*)'/.exec(error.message)?.[1];
  switch (error.code) {
    case 'ERR_PARSE_ARGS_UNKNOWN_OPTION':
      return `Unknown option ${option ?? ''}.`;
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
