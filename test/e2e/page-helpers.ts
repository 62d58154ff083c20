// What both browser tests do with the page: wait for what it should come to show, and save screenshots for docs/.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Page } from 'playwright-core';

export const SCREENSHOTS = fileURLToPath(new URL('../../docs/screenshots', import.meta.url));

/** Polls `condition` until it holds; fails the test when it still does not after `timeoutMs`. */
export async function until(condition: () => Promise<boolean>, timeoutMs = 5000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > end) assert.fail('condition not met in time');
    await new Promise((ok) => setTimeout(ok, 50));
  }
}

/** The whole page as docs/screenshots/<name>.png. */
export function screenshot(page: Page, name: string): Promise<Buffer> {
  return page.screenshot({ path: join(SCREENSHOTS, `${name}.png`), fullPage: true });
}
