// What the browser tests do with the page: wait for what it should come to show, walk it with the keyboard, check
// the layout fits the tray window, and save screenshots for docs/.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BrowserContext, Page } from 'playwright-core';

export const SCREENSHOTS = fileURLToPath(new URL('../../docs/screenshots', import.meta.url));

/** The tray window's size (electron/main.ts opens it frameless at this size). */
export const TRAY = { width: 360, height: 560 };

/**
 * The context's page as the tray window: its size, light theme, no motion, any page error failing the test, and the
 * CSP violations collected from the start.
 */
export async function trayPage(context: BrowserContext): Promise<{ page: Page; violations: string[] }> {
  const page = context.pages()[0] ?? (await context.newPage());
  await page.setViewportSize(TRAY);
  await page.emulateMedia({ colorScheme: 'light', reducedMotion: 'reduce' });
  page.on('pageerror', (err) => assert.fail(`page error: ${err.stack}`));
  return { page, violations: await watchCsp(page) };
}

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

// Scripts below are strings: page.evaluate runs them over the DevTools protocol, outside the page's CSP.
const NAME_OF = `(el) => {
  const label = el.labels && el.labels[0];
  const labelText = label
    ? [...label.childNodes].filter((n) => !n.contains(el) && n.nodeName !== 'SELECT').map((n) => n.textContent).join('')
    : '';
  return el.getAttribute('aria-label') || labelText.trim() || el.textContent.trim() || el.tagName;
}`;
const CONTROLS = 'button, input, select, textarea, summary, a[href]';

/** Every visible control a keyboard user must be able to reach, by its accessible-ish name. */
export async function controls(page: Page): Promise<string[]> {
  return (await page.evaluate(`(() => {
    const nameOf = ${NAME_OF};
    const all = document.querySelectorAll('${CONTROLS}');
    return [...all].filter((el) => !el.disabled && (el.offsetParent !== null || el.type === 'file')).map(nameOf);
  })()`)) as string[];
}

/**
 * Focuses the page's first control, then presses Tab until focus leaves the page or comes round again, returning
 * what got focus in order; each control reached by Tab must show the focus ring (a solid outline of at least 2 px,
 * on the control or, for the hidden file input, on its label's button).
 */
export async function tabStops(page: Page, limit = 30): Promise<string[]> {
  const first = String(
    await page.evaluate(`(() => {
    const el = document.querySelector('${CONTROLS}');
    el.focus();
    return (${NAME_OF})(el);
  })()`),
  );
  const stops = [first];
  for (let i = 0; i < limit; i++) {
    await page.keyboard.press('Tab');
    const stop = (await page.evaluate(`(() => {
      const el = document.activeElement;
      if (!el || el === document.body) return null;
      const ringed = el.type === 'file' ? el.closest('label').querySelector('span') : el;
      const style = getComputedStyle(ringed);
      return { name: (${NAME_OF})(el), ring: style.outlineStyle === 'solid' && parseFloat(style.outlineWidth) >= 2 };
    })()`)) as { name: string; ring: boolean } | null;
    if (stop === null || stop.name === first) break;
    assert.ok(stop.ring, `no visible focus ring on "${stop.name}"`);
    stops.push(stop.name);
  }
  return stops;
}

/** Nothing scrolls sideways in the tray window; with `fitsHeight`, the home screen needs no vertical scroll either. */
export async function assertFitsTray(page: Page, fitsHeight = false): Promise<void> {
  const m = (await page.evaluate(`(() => {
    const doc = document.documentElement;
    const scroller = document.querySelector('main, .panel');
    return {
      pageWide: doc.scrollWidth, pageClient: doc.clientWidth,
      wide: scroller ? scroller.scrollWidth : 0, client: scroller ? scroller.clientWidth : 0,
      tall: scroller ? scroller.scrollHeight : 0, clientHeight: scroller ? scroller.clientHeight : 0,
    };
  })()`)) as Record<'pageWide' | 'pageClient' | 'wide' | 'client' | 'tall' | 'clientHeight', number>;
  assert.ok(m.pageWide <= m.pageClient, `the page scrolls sideways: ${m.pageWide} > ${m.pageClient}`);
  assert.ok(m.wide <= m.client, `the view scrolls sideways: ${m.wide} > ${m.client}`);
  if (fitsHeight) assert.ok(m.tall <= m.clientHeight, `the home screen scrolls: ${m.tall} > ${m.clientHeight}`);
}

/** CSP violations the page reports (securitypolicyviolation events and console messages), collected from now on. */
export async function watchCsp(page: Page): Promise<string[]> {
  const violations: string[] = [];
  page.on('console', (m) => {
    if (m.text().includes('Content Security Policy')) violations.push(m.text());
  });
  await page.exposeFunction('reportCspViolation', (v: string) => violations.push(v));
  await page.addInitScript(`document.addEventListener('securitypolicyviolation', (e) =>
    window.reportCspViolation(e.violatedDirective + ' blocked ' + e.blockedURI))`);
  return violations;
}
