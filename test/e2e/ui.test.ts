/**
 * The built renderer in real headless Chromium at the tray window's 360×560, driven through the dev/test bridge
 * against scripted handlers: first run → sign in → two-step panel → wrong password → Connect (with its steps) →
 * Connected → Disconnect; Cancel while connecting; reconnecting and a dropped connection as main reports them;
 * keyboard-only use of the home screen and every panel; light, dark, more-contrast and forced-colours themes; and no
 * CSP violation throughout. Saves the screenshots for the README to docs/screenshots/tray-*.png.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, before, test } from 'node:test';
import type { BrowserContext, Page } from 'playwright-core';
import { build } from 'vite';
import { THEMES } from '../../renderer/theme.js';
import { type BridgeServer, startBridgeServer } from './bridge-server.js';
import { CHROMIUM, launchChromium } from './chromium.js';
import { CONNECT_STEPS, type FakeBackend, fakeBackend, GOOD_PASSWORD, TOTP_CODE, VIRTUAL_IP } from './fake-handlers.js';
import { assertFitsTray, controls, SCREENSHOTS, screenshot, tabStops, trayPage, until } from './page-helpers.js';

const work = mkdtempSync(join(tmpdir(), 'outpost-ui-'));
let server: BridgeServer;
let backend: FakeBackend;
let context: BrowserContext;
let page: Page;
let violations: string[];

const stateIs = (words: string) => page.getByRole('status').getByText(words, { exact: true }).waitFor();
const connectButton = () => page.getByRole('button', { name: 'Connect', exact: true });

/** The colour the page's body is painted with, as #rrggbb. */
async function bodyBackground(): Promise<string> {
  const rgb = String(await page.evaluate('getComputedStyle(document.body).backgroundColor'));
  const [r, g, b] = (rgb.match(/\d+/g) ?? []).map(Number);
  return `#${[r, g, b].map((c) => (c ?? 0).toString(16).padStart(2, '0')).join('')}`;
}

before(async () => {
  const outDir = join(work, 'renderer');
  await build({
    root: resolve('renderer'),
    logLevel: 'warn',
    build: { outDir, emptyOutDir: true, minify: process.env.UI_MINIFY !== 'no' },
  });
  let emit: BridgeServer['emit'] = () => {};
  backend = fakeBackend((event, payload) => emit(event, payload));
  server = await startBridgeServer({ root: outDir, handlers: backend.handlers });
  emit = server.emit;
  mkdirSync(SCREENSHOTS, { recursive: true });
  context = await launchChromium(join(work, 'profile'));
  ({ page, violations } = await trayPage(context));
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
  await page.goto(server.pageUrl);
  await page.getByRole('heading', { name: 'Welcome to Outpost' }).waitFor();
  const csp = await page.locator('meta[http-equiv="Content-Security-Policy"]').getAttribute('content');
  assert.match(csp ?? '', /script-src 'self';/);
  assert.match(csp ?? '', /style-src 'self';/);
  assert.doesNotMatch(csp ?? '', /unsafe-inline|unsafe-eval/);
  assert.equal(await page.locator('script:not([src])').count(), 0);
  assert.deepEqual(violations, []);
});

test('first run imports the profile file and opens the sign-in panel', async () => {
  await assertFitsTray(page);
  await screenshot(page, 'tray-first-run');
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
  await page.getByRole('button', { name: 'Continue' }).click();
  await page.getByRole('heading', { name: 'Two-step verification' }).waitFor();
  const set = backend.calls.find((c) => c.command === 'credentials:set');
  assert.deepEqual(set?.args, [{ profileId: 'p1', username: 'alice', remember: false }]);
});

test('the two-step panel shows the current code and a countdown', async () => {
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
  await assertFitsTray(page);
  await screenshot(page, 'tray-two-step');
  await page.getByRole('button', { name: 'Done' }).click();
  await connectButton().waitFor();
  await stateIs('Not connected');
});

test('a wrong password: the home screen says Connection failed, with the sentence and details for IT', async () => {
  await connectButton().click();
  await stateIs('Connection failed');
  const alert = page.getByRole('alert');
  await alert.getByText('Your username or password was not accepted.').waitFor();
  assert.equal(await alert.getByText('password-rejected').isVisible(), false);
  await assertFitsTray(page);
  await screenshot(page, 'tray-error');
  await alert.getByText('Details for IT').click();
  assert.equal(await alert.getByText('password-rejected').isVisible(), true);
  await alert.getByText('EAP-MSCHAPv2 failure E=691').waitFor();
  const connect = backend.calls.filter((c) => c.command === 'connection:connect').at(-1);
  assert.deepEqual(connect?.args, [{ profileId: 'p1', password: 'wrong password' }]);
  await alert.getByRole('button', { name: 'Dismiss' }).click();
  await stateIs('Not connected');
});

test('Connect: Connected with the virtual IP, a ticking time and live rates, in light and dark; Disconnect', async () => {
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByLabel('Password', { exact: true }).fill(GOOD_PASSWORD);
  await page.getByLabel('Remember my password on this computer').check();
  await page.getByRole('button', { name: 'Continue' }).click();
  await connectButton().click();
  await stateIs('Connected');
  assert.equal(await page.getByTestId('virtual-ip').textContent(), VIRTUAL_IP);
  const since = page.getByTestId('connected-for');
  await until(async () => (await since.textContent()) === '0:01', 3000);
  // Poll from Node: waitForFunction with a string needs eval, which the page's CSP (rightly) refuses.
  await until(async () => ((await page.locator('.rate-in').getAttribute('points')) ?? '').split(' ').length >= 8);
  await page.getByText(/^Download .*\/s, upload .*\/s$/).waitFor({ state: 'attached' });
  assert.match((await page.locator('.facts').textContent()) ?? '', /Download\d+(\.\d)? [kM]?B\/s/);
  await assertFitsTray(page, true);
  assert.equal(await bodyBackground(), THEMES.light.bg);
  await screenshot(page, 'tray-light');
  await page.emulateMedia({ colorScheme: 'dark' });
  await until(async () => (await bodyBackground()) === THEMES.dark.bg);
  await assertFitsTray(page, true);
  await screenshot(page, 'tray-dark');
  await page.emulateMedia({ colorScheme: 'light' });
  await page.getByRole('button', { name: 'Disconnect', exact: true }).click();
  await stateIs('Not connected');
  assert.equal(await page.getByTestId('virtual-ip').textContent(), '—');
});

test('Connecting… shows the current step and ends in Connected; Cancel stops it without an error', async () => {
  backend.connectDelay.ms = 900;
  await connectButton().click();
  await stateIs('Connecting…');
  await page.getByText(CONNECT_STEPS[1]!).waitFor();
  assert.equal(await page.getByRole('combobox', { name: 'Profile' }).isDisabled(), true);
  await stateIs('Connected');
  await page.getByRole('button', { name: 'Disconnect', exact: true }).click();
  await stateIs('Not connected');

  backend.connectDelay.ms = 60_000;
  await connectButton().click();
  await page.getByText(CONNECT_STEPS[1]!).waitFor();
  await assertFitsTray(page, true);
  await screenshot(page, 'tray-connecting');
  await page.getByRole('button', { name: 'Cancel', exact: true }).click();
  await stateIs('Not connected');
  assert.equal(await page.getByRole('alert').count(), 0, 'a cancelled Connect is not an error');
  backend.connectDelay.ms = 0;
});

test('reconnecting and a dropped connection show as main reports them', async () => {
  await connectButton().click();
  await stateIs('Connected');
  const up = { profileId: 'p1', gateway: 'vpn.example.test', dns: [], splitSubnets: [] };
  server.emit('status', { ...up, state: 'reconnecting', step: 'The network changed: checking the connection.' });
  await stateIs('Reconnecting…');
  await page.getByText('The network changed: checking the connection.').waitFor();
  await page.getByRole('button', { name: 'Cancel', exact: true }).waitFor();
  server.emit('status', { ...up, state: 'connected', virtualIp: VIRTUAL_IP, connectedSince: Date.now() });
  await stateIs('Connected');
  const lost = { code: 'gateway-unreachable', message: 'The VPN gateway stopped answering.', detail: 'DPD timeout' };
  server.emit('status', { ...up, state: 'error', error: lost });
  await stateIs('Connection failed');
  await page.getByRole('alert').getByText('The VPN gateway stopped answering.').waitFor();
  await connectButton().waitFor();
  await page.getByRole('alert').getByRole('button', { name: 'Dismiss' }).click();
  await page.getByRole('button', { name: 'Disconnect', exact: true }).or(connectButton()).waitFor();
  await backend.handlers['connection:disconnect']();
  await stateIs('Not connected');
});

test('keyboard only: Tab reaches every control of the home screen with a visible ring; Enter connects and disconnects', async () => {
  const stops = await tabStops(page);
  assert.deepEqual(stops, ['Settings', 'Profile', 'Connect', 'Sign in', 'Two-step', 'Diagnostics']);
  assert.deepEqual(new Set(stops), new Set(await controls(page)));
  await connectButton().focus();
  await page.keyboard.press('Enter');
  await stateIs('Connected');
  assert.equal(String(await page.evaluate('document.activeElement.textContent')), 'Disconnect');
  await page.keyboard.press('Enter');
  await stateIs('Not connected');
});

test('keyboard only: every panel opens with Enter, Tab reaches all its controls, Escape closes it', async () => {
  // the control a panel shows last, once main has answered (the two-step panel's Done comes with the first code):
  // counting the controls before it would race the panel's own loading
  for (const [opener, heading, loaded] of [
    ['Settings', 'Settings', 'Back'],
    ['Sign in', 'Sign in to Example Corp VPN', 'Back'],
    ['Two-step', 'Two-step verification', 'Done'],
    ['Diagnostics', 'Diagnostics', 'Back'],
  ] as const) {
    await page.getByRole('button', { name: opener, exact: true }).focus();
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { name: heading }).waitFor();
    await page.getByRole('button', { name: loaded, exact: true }).waitFor();
    assert.equal(String(await page.evaluate('document.activeElement.tagName')), 'H1', `${heading} takes focus`);
    await assertFitsTray(page);
    const stops = await tabStops(page);
    assert.equal(stops[0], 'Back', `${heading}: Back comes first`);
    assert.deepEqual(new Set(stops), new Set(await controls(page)), `${heading}: not every control is reachable`);
    await page.keyboard.press('Escape');
    await connectButton().waitFor();
    const focused = String(
      await page.evaluate('document.activeElement.getAttribute("aria-label") || document.activeElement.textContent'),
    );
    assert.equal(focused, opener, 'focus returns to what opened the panel');
  }
  // adding a profile opens from the Settings panel
  await page.getByRole('button', { name: 'Settings', exact: true }).focus();
  await page.keyboard.press('Enter');
  await page.getByRole('button', { name: 'Add a profile…' }).focus();
  await page.keyboard.press('Enter');
  await page.getByRole('heading', { name: 'Add a connection profile' }).waitFor();
  const stops = await tabStops(page);
  assert.deepEqual(stops, ['Back', 'Choose profile file']);
  await page.keyboard.press('Escape');
  await connectButton().waitFor();
  assert.equal(String(await page.evaluate('document.activeElement.getAttribute("aria-label")')), 'Settings');
});

test('a hardware-token user is asked for the code at Connect', async () => {
  await page.getByRole('button', { name: 'Two-step' }).click();
  await page.getByRole('button', { name: 'Ask me for a code each time I connect' }).click();
  assert.ok(backend.calls.some((c) => c.command === 'totp:remove'));
  const codeField = page.getByLabel('Code from your token');
  await codeField.fill('123456');
  await assertFitsTray(page, true);
  await connectButton().click();
  await stateIs('Connected');
  const connect = backend.calls.filter((c) => c.command === 'connection:connect').at(-1);
  assert.deepEqual(connect?.args, [{ profileId: 'p1', otp: '123456' }]);
  assert.equal(await codeField.count(), 0);
  await page.getByRole('button', { name: 'Disconnect', exact: true }).click();
  await stateIs('Not connected');
});

test('settings save each switch through main; Back returns home', async () => {
  await page.getByRole('button', { name: 'Settings' }).click();
  await page.getByLabel('Start Outpost when I log in to this computer').check();
  await until(async () => backend.settings.launchAtLogin);
  assert.equal(await page.getByLabel('Start Outpost when I log in to this computer').isChecked(), true);
  assert.equal(backend.settings.autoConnect, false);
  await screenshot(page, 'tray-settings');
  await page.getByRole('button', { name: 'Back' }).click();
  await connectButton().waitFor();
});

test('diagnostics exports the redacted log as a download', async () => {
  await page.getByRole('button', { name: 'Diagnostics' }).click();
  const details = await page.getByLabel('Connection details').inputValue();
  assert.match(details, /Profile: Example Corp VPN/);
  const [download] = await Promise.all([
    page.waitForEvent('download'),
    page.getByRole('button', { name: 'Save log file…' }).click(),
  ]);
  assert.match(download.suggestedFilename(), /^outpost-log-.*\.txt$/);
  const saved = join(work, 'log.txt');
  await download.saveAs(saved);
  assert.match(readFileSync(saved, 'utf8'), /password=<redacted>/);
  await page.keyboard.press('Escape');
  await connectButton().waitFor();
});

test('more contrast and forced colours (high contrast) keep the state, the button and the ring visible', async () => {
  await page.emulateMedia({ colorScheme: 'dark', contrast: 'more' });
  await until(async () => (await bodyBackground()) === THEMES['dark-contrast'].bg);
  await page.emulateMedia({ colorScheme: 'light', contrast: 'more' });
  await until(async () => (await bodyBackground()) === THEMES['light-contrast'].bg);
  await page.emulateMedia({ colorScheme: 'light', contrast: 'no-preference', forcedColors: 'active' });
  const button = (await page.evaluate(`(() => {
    const s = getComputedStyle(document.querySelector('button.connect'));
    return { style: s.borderTopStyle, width: parseFloat(s.borderTopWidth), color: s.borderTopColor, bg: s.backgroundColor };
  })()`)) as { style: string; width: number; color: string; bg: string };
  assert.equal(button.style, 'solid');
  assert.ok(button.width >= 2, `the Connect button has no visible edge in forced colours: ${JSON.stringify(button)}`);
  assert.notEqual(button.color, button.bg);
  await stateIs('Not connected');
  await assertFitsTray(page, true);
  await page.emulateMedia({ colorScheme: 'light', forcedColors: 'none' });
});

test('no Content Security Policy violation happened in any of the above', () => {
  assert.deepEqual(violations, []);
});
