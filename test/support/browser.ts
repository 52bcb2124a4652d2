// Debian's Chromium driven by playwright-core: Playwright's own browser download cannot run here,
// so .ci/run installs the `chromium` package.
import { existsSync } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';

const chromiumPath = '/usr/bin/chromium';

export async function launchBrowser(): Promise<Browser> {
  if (!existsSync(chromiumPath)) {
    throw new Error(`No Chromium at ${chromiumPath}: install Debian's package (apt-get install -y chromium), as .ci/run does.`);
  }
  return chromium.launch({ executablePath: chromiumPath });
}
