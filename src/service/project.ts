// Where the project lives, whatever the working directory: defaults that name files (the SQLite
// inbox, the development secret) are resolved against it, so that a process manager starting the
// receiver from / uses the same files as `npm start` in the project.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const projectDirectory = fileURLToPath(new URL('../..', import.meta.url));

/** The default home of the SQLite inbox and the development secret. */
export const dataDirectory = join(projectDirectory, 'data');

/** The version of ada-webhooks, as the project's package.json says. */
export const packageVersion = (): string =>
  (JSON.parse(readFileSync(join(projectDirectory, 'package.json'), 'utf8')) as { version: string }).version;
