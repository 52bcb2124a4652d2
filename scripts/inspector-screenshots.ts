// Draws the pictures of the inspector guide (docs/inspector.md): the service (src/main.ts) on a
// fresh inbox, the contract's examples sent to it signed (two of them changed so that the contract
// refuses them), then Debian's Chromium signed in to the page.
//   node scripts/inspector-screenshots.ts   (writes docs/inspector-list.png and docs/inspector-quarantined.png)
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { chromium } from 'playwright-core';
import { loadContract } from '../src/contract/document.ts';
import { sign } from '../src/intake/signature.ts';
import { freePort } from './commands/free-port.ts';

const root = new URL('..', import.meta.url).pathname;
const secret = `whsec_${Buffer.alloc(32, 3).toString('base64')}`;
const token = 'a-token-only-for-drawing-the-screenshots-0123';
const directory = mkdtempSync(join(tmpdir(), 'ada-screenshots-'));
const port = await freePort();
const url = `http://127.0.0.1:${port}`;
const service = spawn(process.execPath, [join(root, 'src/main.ts')], {
  env: {
    ...process.env,
    PORT: String(port),
    HOST: '127.0.0.1',
    ADA_WEBHOOK_SECRET: secret,
    INSPECTOR_TOKEN: token,
    DATABASE_URL: `sqlite:${join(directory, 'inbox.sqlite')}`,
    LOG_LEVEL: 'warn',
  },
  stdio: ['ignore', 'ignore', 'inherit'],
});

try {
  while (
    !(await fetch(`${url}/healthz`)
      .then((response) => response.ok)
      .catch(() => false))
  )
    await sleep(50);
  const examples = loadContract().components.examples;
  /** An example as an event whose `data` has objects to change. */
  const example = (name: string) => structuredClone(examples[name]!.value) as { data: Record<string, Record<string, unknown>> };
  const events = Object.keys(examples)
    .filter((name) => name !== 'UnknownEvent')
    .map(example);
  const fax = example('ConversationMessageLink');
  fax.data['channel']!['modality'] = 'fax';
  const newRole = example('ConversationMessageText');
  newRole.data['author']!['role'] = 'supervisor';
  let quarantined = '';
  for (const [index, event] of [...events, newRole, fax].entries()) {
    const id = `msg_2Qx${String(index).padStart(2, '0')}Zr8dQmVb6TqL1nH4cE5w`;
    const timestamp = Math.floor(Date.now() / 1000);
    const body = JSON.stringify(event);
    const response = await fetch(`${url}/webhooks/ada`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'svix-id': id,
        'svix-timestamp': String(timestamp),
        'svix-signature': sign(secret, id, timestamp, body),
      },
      body,
    });
    if (response.status === 422) quarantined = id;
    await sleep(30);
  }
  await sleep(1000);

  const browser = await chromium.launch({ executablePath: '/usr/bin/chromium' });
  const page = await browser.newPage({ viewport: { width: 1400, height: 820 } });
  await page.goto(`${url}/inspector`);
  await page.getByLabel('Token').fill(token);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('heading', { name: 'Deliveries' }).waitFor();
  await page.screenshot({ path: join(root, 'docs/inspector-list.png') });
  await page.goto(`${url}/inspector/delivery?id=${quarantined}`);
  await page.locator('pre.json mark').first().scrollIntoViewIfNeeded();
  await page.screenshot({ path: join(root, 'docs/inspector-quarantined.png'), fullPage: true });
  await browser.close();
  console.log('Wrote docs/inspector-list.png and docs/inspector-quarantined.png');
} finally {
  service.kill('SIGTERM');
  await once(service, 'exit');
  rmSync(directory, { recursive: true, force: true });
}
