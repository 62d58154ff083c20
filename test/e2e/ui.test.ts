/**
 * The built renderer in real headless Chromium, driven through the dev/test bridge against scripted handlers:
 * first run → sign in → two-step enrollment → wrong password → Connect → Disconnect, keyboard-only Connect,
 * settings, diagnostics and 200% zoom. Saves a screenshot of each screen to docs/screenshots/.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, before, test } from 'node:test';
import type { BrowserContext, Page } from 'playwright-core';
import { build } from 'vite';
import { type BridgeServer, startBridgeServer } from './bridge-server.js';
import { CHROMIUM, launchChromium } from './chromium.js';
import { type FakeBackend, fakeBackend, GOOD_PASSWORD, TOTP_CODE, VIRTUAL_IP } from './fake-handlers.js';
import { SCREENSHOTS, screenshot, until } from './page-helpers.js';

const work = mkdtempSync(join(tmpdir(), 'outpost-ui-'));
let server: BridgeServer;
let backend: FakeBackend;
let context: BrowserContext;
let page: Page;

before(async () => {
  const outDir = join(work, 'renderer');
  await build({ root: resolve('renderer'), logLevel: 'warn', build: { outDir, emptyOutDir: true } });
  let emit: BridgeServer['emit'] = () => {};
  backend = fakeBackend((event, payload) => emit(event, payload));
  server = await startBridgeServer({ root: outDir, handlers: backend.handlers });
  emit = server.emit;
  mkdirSync(SCREENSHOTS, { recursive: true });
  context = await launchChromium(join(work, 'profile'));
  page = context.pages()[0] ?? (await context.newPage());
  page.on('pageerror', (err) => assert.fail(`page error: ${err.message}`));
});

after(async () => {
  await context?.close();
  await server?.close();
  rmSync(work, { recursive: true, force: true });
});

test('chromium is installed where the test expects it', () => {
  assert.ok(existsSync(CHROMIUM));
});

test('the CSP in the built page lets the app run and forbids inline script', async () => {
  const violations: string[] = [];
  page.on('console', (m) => {
    if (m.text().includes('Content Security Policy')) violations.push(m.text());
  });
  await page.goto(server.pageUrl);
  await page.getByRole('heading', { name: 'Welcome to Outpost' }).waitFor();
  const csp = await page.locator('meta[http-equiv="Content-Security-Policy"]').getAttribute('content');
  assert.match(csp ?? '', /script-src 'self';/);
  assert.doesNotMatch(csp ?? '', /unsafe-inline|unsafe-eval/);
  assert.equal(await page.locator('script:not([src])').count(), 0);
  assert.deepEqual(violations, []);
});

test('first run imports the profile file and asks to sign in', async () => {
  await screenshot(page, 'first-run');
  const profile = { name: 'Example Corp VPN', gateway: 'vpn.example.test', auth: 'eap-mschapv2+totp' };
  await page.getByLabel('Choose profile file').setInputFiles({
    name: 'example.json',
    mimeType: 'application/json',
    buffer: Buffer.from(JSON.stringify(profile)),
  });
  await page.getByRole('heading', { name: 'Sign in to Example Corp VPN' }).waitFor();
  const imported = backend.calls.find((c) => c.command === 'profiles:import');
  assert.deepEqual(imported?.args, [{ name: 'example.json', content: JSON.stringify(profile) }]);
});

test('sign-in without remembering sends no password to be stored', async () => {
  await page.getByLabel('Username').fill('alice');
  await page.getByLabel('Password', { exact: true }).fill('wrong password');
  assert.equal(await page.getByLabel('Remember my password on this computer').isChecked(), false);
  await screenshot(page, 'login');
  await page.getByRole('button', { name: 'Continue' }).click();
  await page.getByRole('heading', { name: 'Two-step verification' }).waitFor();
  const set = backend.calls.find((c) => c.command === 'credentials:set');
  assert.deepEqual(set?.args, [{ profileId: 'p1', username: 'alice', remember: false }]);
});

test('two-step enrollment shows the current code and a countdown', async () => {
  await page.getByLabel('Setup link').fill('not a link');
  await page.getByRole('button', { name: 'Set up codes' }).click();
  await page.getByRole('alert').getByText('That is not a two-step setup link.').waitFor();
  await page.getByLabel('Setup link').fill('otpauth://totp/Example:alice?secret=JBSWY3DPEHPK3PXP&issuer=Example');
  await page.getByRole('button', { name: 'Set up codes' }).click();
  await page.getByText(TOTP_CODE).waitFor();
  assert.equal(await page.getByRole('alert').count(), 0, 'the bad-link error belongs to the previous attempt');
  const countdown = await page.locator('.countdown').textContent();
  assert.match(countdown ?? '', /^([1-9]|[12][0-9]|30) s left$/);
  assert.equal(await page.getByRole('progressbar', { name: 'Time left for this code' }).count(), 1);
  await screenshot(page, 'two-step');
  await page.getByRole('button', { name: 'Done' }).click();
  await page.getByRole('button', { name: 'Connect', exact: true }).waitFor();
});

test('a wrong password is explained in plain words with details for IT', async () => {
  await page.getByRole('button', { name: 'Connect', exact: true }).click();
  const alert = page.getByRole('alert');
  await alert.getByText('Your username or password was not accepted.').waitFor();
  assert.equal(await alert.getByText('password-rejected').isVisible(), false);
  await alert.getByText('Details for IT').click();
  assert.equal(await alert.getByText('password-rejected').isVisible(), true);
  await alert.getByText('EAP-MSCHAPv2 failure E=691').waitFor();
  await screenshot(page, 'error');
  const connect = backend.calls.filter((c) => c.command === 'connection:connect').at(-1);
  assert.deepEqual(connect?.args, [{ profileId: 'p1', password: 'wrong password' }]);
});

test('connect shows Connected with the virtual IP and a live sparkline; disconnect returns', async () => {
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByLabel('Password', { exact: true }).fill(GOOD_PASSWORD);
  await page.getByLabel('Remember my password on this computer').check();
  await page.getByRole('button', { name: 'Continue' }).click();
  await page.getByRole('button', { name: 'Connect', exact: true }).click();
  await page.getByRole('status').getByText('Connected', { exact: true }).waitFor();
  assert.equal(await page.getByTestId('virtual-ip').textContent(), VIRTUAL_IP);
  // Poll from Node: waitForFunction with a string needs eval, which the page's CSP (rightly) refuses.
  await until(async () => ((await page.locator('.rate-in').getAttribute('points')) ?? '').split(' ').length >= 8);
  await page.getByText(/^Download .*\/s, upload .*\/s$/).waitFor();
  await screenshot(page, 'status-connected');
  await page.getByRole('button', { name: 'Disconnect', exact: true }).click();
  await page.getByRole('status').getByText('Not connected').waitFor();
});

test('Connect works from the keyboard alone, with a visible focus ring', async () => {
  await page.evaluate('document.activeElement && document.activeElement.blur()');
  let focused = '';
  for (let i = 0; i < 15 && focused !== 'Connect'; i++) {
    await page.keyboard.press('Tab');
    focused = String(await page.evaluate('document.activeElement ? document.activeElement.textContent : ""'));
  }
  assert.equal(focused, 'Connect');
  const outline = String(await page.evaluate('getComputedStyle(document.activeElement).outlineStyle'));
  assert.equal(outline, 'solid');
  await screenshot(page, 'status-keyboard-focus');
  await page.keyboard.press('Enter');
  await page.getByRole('status').getByText('Connected', { exact: true }).waitFor();
  await page.keyboard.press('Enter');
  await page.getByRole('status').getByText('Not connected').waitFor();
});

test('a hardware-token user is asked for the code at Connect', async () => {
  await page.getByRole('button', { name: 'Two-step' }).click();
  await page.getByRole('button', { name: 'Ask me for a code each time I connect' }).click();
  assert.ok(backend.calls.some((c) => c.command === 'totp:remove'));
  const codeField = page.getByLabel('Code from your token');
  await codeField.fill('123456');
  await screenshot(page, 'status-ask-code');
  await page.getByRole('button', { name: 'Connect', exact: true }).click();
  await page.getByRole('status').getByText('Connected', { exact: true }).waitFor();
  const connect = backend.calls.filter((c) => c.command === 'connection:connect').at(-1);
  assert.deepEqual(connect?.args, [{ profileId: 'p1', otp: '123456' }]);
  assert.equal(await codeField.count(), 0);
  await page.getByRole('button', { name: 'Disconnect', exact: true }).click();
  await page.getByRole('status').getByText('Not connected').waitFor();
});

test('settings save each switch through main', async () => {
  await page.getByRole('button', { name: 'Settings' }).click();
  await page.getByLabel('Start Outpost when I log in to this computer').check();
  await until(async () => backend.settings.launchAtLogin);
  assert.equal(await page.getByLabel('Start Outpost when I log in to this computer').isChecked(), true);
  assert.equal(backend.settings.launchAtLogin, true);
  assert.equal(backend.settings.autoConnect, false);
  await screenshot(page, 'settings');
});

test('diagnostics exports the redacted log as a download', async () => {
  await page.getByRole('button', { name: 'Diagnostics' }).click();
  await page.getByLabel('Connection details').waitFor();
  const details = await page.getByLabel('Connection details').inputValue();
  assert.match(details, /Profile: Example Corp VPN/);
  const [download] = await Promise.all([
    page.waitForEvent('download'),
    page.getByRole('button', { name: 'Save log file…' }).click(),
  ]);
  assert.match(download.suggestedFilename(), /^outpost-log-.*\.txt$/);
  const saved = join(work, 'log.txt');
  await download.saveAs(saved);
  const { readFileSync } = await import('node:fs');
  assert.match(readFileSync(saved, 'utf8'), /password=<redacted>/);
  await screenshot(page, 'diagnostics');
});

test('at 200% zoom in a 640 px window the Connect button fits without horizontal scrolling', async () => {
  await page.getByRole('button', { name: 'Connection', exact: true }).click();
  await page.setViewportSize({ width: 640, height: 800 });
  await page.evaluate('document.documentElement.style.zoom = "2"');
  const fits = await page.evaluate(`(() => {
    const doc = document.documentElement;
    const button = document.querySelector('button.connect').getBoundingClientRect();
    return { scroll: doc.scrollWidth, client: doc.clientWidth, left: button.left, right: button.right, width: innerWidth };
  })()`);
  const m = fits as { scroll: number; client: number; left: number; right: number; width: number };
  assert.ok(m.scroll <= m.client, `page scrolls horizontally: ${m.scroll} > ${m.client}`);
  assert.ok(m.left >= 0 && m.right <= m.width, `Connect button clipped: ${m.left}..${m.right} of ${m.width}`);
  await screenshot(page, 'status-zoom-200');
});
