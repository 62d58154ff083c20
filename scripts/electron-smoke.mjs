#!/usr/bin/env node
// Starts the real Electron app and checks what only a real Electron can show: a window with our title, the preload's
// API in an isolated renderer without Node, a Content-Security-Policy that refuses eval, the tray (best effort: Electron
// offers no way to list tray icons from outside), then quits it. Run by .github/workflows/release.yml on Linux (under
// xvfb-run), Windows and macOS after `npm run build:app`, with node_modules' Electron. Not on the packaged app:
// Playwright drives Electron through --inspect, which the packaged app's NodeCliInspect fuse turns off (as it must).
// It cannot run on the build machines: the Electron binary cannot be downloaded there.
import assert from 'node:assert/strict';
import { _electron as electron } from 'playwright-core';

const check = (what) => process.stdout.write(`ok - ${what}\n`);

const app = await electron.launch({ args: ['.'], timeout: 60_000 });
try {
  const page = await app.firstWindow({ timeout: 30_000 });
  await page.waitForLoadState('domcontentloaded');
  assert.equal(await page.title(), 'Outpost VPN');
  check('a window titled "Outpost VPN"');
  assert.equal(page.url(), 'app://outpost/index.html');
  const served = await page.evaluate(async () => {
    const response = await fetch('/index.html');
    return { type: response.headers.get('content-type'), csp: response.headers.get('content-security-policy') };
  });
  assert.equal(served.type, 'text/html; charset=utf-8');
  assert.match(served.csp ?? '', /default-src 'self'/);
  const outside = await page.evaluate(async () => (await fetch('/%2e%2e/package.json')).status);
  assert.equal(outside, 404);
  check('the page comes from app://outpost/ with its CSP header; a path out of dist/renderer is a 404');

  const renderer = await page.evaluate(() => ({
    api: typeof globalThis.outpost,
    node: typeof globalThis.require !== 'undefined' || typeof globalThis.process !== 'undefined',
  }));
  assert.deepEqual(renderer, { api: 'object', node: false });
  check('the preload API `window.outpost` is there, Node is not');

  const evalRefused = await page.evaluate(() => {
    try {
      // biome-ignore lint/security/noGlobalEval: the point is that the CSP refuses it
      eval('1');
      return false;
    } catch {
      return true;
    }
  });
  assert.equal(evalRefused, true, 'the CSP refuses eval');
  const csp = await page.evaluate(
    () => document.querySelector('meta[http-equiv="Content-Security-Policy"]')?.getAttribute('content') ?? '',
  );
  assert.match(csp, /default-src 'self'/);
  check('the Content-Security-Policy holds (eval refused)');

  const windows = await app.evaluate(({ BrowserWindow }) =>
    BrowserWindow.getAllWindows().map((w) => ({
      title: w.getTitle(),
      sandboxed: w.webContents.getLastWebPreferences()?.sandbox,
      resizable: w.isResizable(),
      menu: w.isMenuBarVisible(),
    })),
  );
  assert.equal(windows.length, 1);
  assert.equal(windows[0].sandboxed, true, 'the renderer is sandboxed');
  assert.equal(windows[0].resizable, false, 'the tray window has a fixed size');
  assert.equal(windows[0].menu, false, 'no menu bar');
  check('one window, sandboxed, fixed size, no menu bar');

  // best effort: a tray icon cannot be listed; a failed Tray would have thrown in main and closed the app already
  check(`tray: app still running after start-up (pid ${app.process().pid})`);
} finally {
  await app.evaluate(({ app: electronApp }) => electronApp.quit()).catch(() => undefined);
  await app.close();
}
check('quit');
