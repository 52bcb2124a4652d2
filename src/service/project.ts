// Where the project lives, whatever the working directory: defaults that name files (the SQLite
// inbox, the development secret) are resolved against it, so that a process manager starting the
// receiver from / uses the same files as `npm start` in the project.
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const projectDirectory = fileURLToPath(new URL('../..', import.meta.url));

/** The default home of the SQLite inbox and the development secret. */
export const dataDirectory = join(projectDirectory, 'data');
