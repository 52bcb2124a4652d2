// Outside production, a receiver started without ADA_WEBHOOK_SECRET uses a secret of its own,
// created once and kept in the project's data/ folder, so that `npm start` and `npm run send`
// work at once, from any working directory.
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { dataDirectory } from './project.ts';

export const developmentSecretPath = join(dataDirectory, 'development-secret.txt');

/** The development secret, created on first use. */
export function developmentSecret(): string {
  try {
    return readFileSync(developmentSecretPath, 'utf8').trim();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  const secret = `whsec_${randomBytes(24).toString('base64')}`;
  mkdirSync(dirname(developmentSecretPath), { recursive: true });
  writeFileSync(developmentSecretPath, `${secret}\n`, { mode: 0o600, flag: 'wx' });
  return secret;
}
