// Debian's Chromium driven by playwright-core: Playwright's own browser download cannot run here,
// so .ci/run installs the `chromium` package. CHROMIUM_PATH names another Chromium.
import { existsSync } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';

const chromiumPath = process.env['CHROMIUM_PATH'] || '/usr/bin/chromium';

/**
 * Chromium, launched for a suite's `before` hook. Without it, outside CI the suite is skipped with
 * one loud line that says how to install it, so that `npm test` passes on a fresh clone; in CI
 * (CI=true) a missing browser fails the run.
 */
export async function launchBrowserOrSkip(suite: Mocha.Context): Promise<Browser> {
  if (!existsSync(chromiumPath)) {
    const missing = `no Chromium at ${chromiumPath}: install Debian's package (apt-get install -y chromium), as .ci/run does`;
    if (process.env['CI'] === 'true') throw new Error(`The browser tests need Chromium, and CI runs them: ${missing}.`);
    console.warn(`    SKIPPED the browser tests: ${missing}.`);
    suite.skip();
  }
  return chromium.launch({ executablePath: chromiumPath });
}
