// Encryption at rest: the service as `npm start` runs it with INBOX_ENCRYPTION_KEY unset against
// the same service with a key, over the same traffic (an end user per conversation, so that each
// of them has a data key of their own); each on a fresh SQLite inbox.
import { randomBytes } from 'node:crypto';
import type { Compare, Traffic } from './load.ts';
import { startService } from './servers.ts';

interface EncryptionBenchOptions {
  compare: Compare;
  traffic: Traffic;
  /** A DATABASE_URL of an inbox of its own. */
  freshInbox: (name: string) => string;
}

export async function encryptionFigures({ compare, traffic, freshInbox }: EncryptionBenchOptions): Promise<void> {
  const [plain, encrypted] = await Promise.all([
    startService(freshInbox('encryption-off')),
    startService(freshInbox('encryption-on'), { INBOX_ENCRYPTION_KEY: randomBytes(32).toString('base64') }),
  ]);
  try {
    await compare(
      `Encryption at rest: npm start without and with INBOX_ENCRYPTION_KEY, ${traffic.conversations.length} end users`,
      { name: 'npm start, encryption off', servers: [plain], traffic },
      { name: 'npm start, INBOX_ENCRYPTION_KEY set', servers: [encrypted], traffic },
    );
  } finally {
    await Promise.all([plain.stop(), encrypted.stop()]);
  }
}
