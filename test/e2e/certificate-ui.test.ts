/**
 * Certificate import for an EAP-TLS profile in real headless Chromium at the tray window's 360×560, against the
 * scripted handlers: Connect without a certificate opens the Certificate panel; a file dropped with a wrong password is
 * refused in words; a file chosen with the right one, all by keyboard, shows the subject, the expiry and the renewal
 * warning, which the home screen repeats; other profiles have no Certificate button; no CSP violation throughout.
 * Saves docs/screenshots/tray-certificate.png.
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, before, test } from 'node:test';
import type { BrowserContext, Page } from 'playwright-core';
import { build } from 'vite';
import type { ProfileSummary } from '../../electron/ipc/schema.js';
import { type BridgeServer, startBridgeServer } from './bridge-server.js';
import { launchChromium } from './chromium.js';
import {
  CERTIFICATE_DAYS_LEFT,
  CERTIFICATE_PASSWORD,
  CERTIFICATE_SUBJECT,
  type FakeBackend,
  fakeBackend,
} from './fake-handlers.js';
import { assertFitsTray, SCREENSHOTS, screenshot, tabStops, trayPage } from './page-helpers.js';

const work = mkdtempSync(join(tmpdir(), 'outpost-certificate-ui-'));
let server: BridgeServer;
let backend: FakeBackend;
let context: BrowserContext;
let page: Page;
let violations: string[];

const LAB: ProfileSummary = {
  id: 'lab-tls',
  name: 'Lab TLS',
  gateway: 'vpn.example.test',
  auth: 'eap-tls',
  managed: false,
  username: 'alice@example.test',
  hasPassword: false,
  hasTotp: false,
};
const OFFICE: ProfileSummary = { ...LAB, id: 'office', name: 'Office', auth: 'eap-mschapv2' };
// stands for the .p12 file's bytes: the window only base64-encodes them, main (here the fake) opens them
const P12 = { name: 'alice.p12', mimeType: 'application/x-pkcs12', buffer: Buffer.from([0x30, 0x82, 0x0a, 0x01]) };
const WARNING = `Your certificate expires in ${CERTIFICATE_DAYS_LEFT} days: ask IT for a new one.`;

/** What has keyboard focus, by its accessible-ish name. */
const focused = async () =>
  String(
    await page.evaluate(`(() => {
      const el = document.activeElement;
      return el.getAttribute('aria-label') || (el.labels && el.labels[0] ? el.labels[0].textContent : '') || el.textContent;
    })()`),
  ).trim();

/** Presses Tab until `name` has focus; fails when it is not reached. */
async function tabTo(name: string): Promise<void> {
  for (let i = 0; i < 20; i++) {
    if ((await focused()) === name) return;
    await page.keyboard.press('Tab');
  }
  assert.fail(`"${name}" is not reachable with Tab`);
}

before(async () => {
  const outDir = join(work, 'renderer');
  await build({ root: resolve('renderer'), logLevel: 'warn', build: { outDir, emptyOutDir: true } });
  let emit: BridgeServer['emit'] = () => {};
  backend = fakeBackend((event, payload) => emit(event, payload), { profiles: [LAB, OFFICE] });
  server = await startBridgeServer({ root: outDir, handlers: backend.handlers });
  emit = server.emit;
  mkdirSync(SCREENSHOTS, { recursive: true });
  context = await launchChromium(join(work, 'profile'));
  ({ page, violations } = await trayPage(context));
  await page.goto(server.pageUrl);
});

after(async () => {
  await context?.close();
  await server?.close();
  rmSync(work, { recursive: true, force: true });
});

test('Connect without a certificate opens the Certificate panel, which says none is stored', async () => {
  await page.getByRole('button', { name: 'Connect', exact: true }).click();
  await page.getByRole('heading', { name: 'Certificate for Lab TLS' }).waitFor();
  await page.getByText('No certificate yet.').waitFor();
  assert.equal(await page.getByRole('button', { name: 'Import certificate' }).isDisabled(), true, 'no file yet');
  assert.equal(backend.calls.filter((c) => c.command === 'connection:connect').length, 0);
  await page.keyboard.press('Escape');
  await page.getByRole('button', { name: 'Connect', exact: true }).waitFor();
});

test('a dropped file with a wrong password is refused in words and the password is not kept', async () => {
  await page.getByRole('button', { name: 'Certificate', exact: true }).click();
  await page.getByRole('heading', { name: 'Certificate for Lab TLS' }).waitFor();
  // page code as text, as the other browser tests write it: this project's Node typings have no DOM
  const dataTransfer = await page.evaluateHandle(
    `(() => {
      const transfer = new DataTransfer();
      transfer.items.add(new File([new Uint8Array([${[...P12.buffer].join(',')}])], 'dropped.pfx'));
      return transfer;
    })()`,
  );
  await page.getByRole('region', { name: 'Drop the certificate file here' }).dispatchEvent('drop', { dataTransfer });
  await page.getByText('Chosen: dropped.pfx').waitFor();
  await page.getByLabel('Certificate password').fill('guess');
  await page.getByRole('button', { name: 'Import certificate' }).click();
  await page.getByRole('alert').getByText('The password of your certificate file (PKCS#12) is wrong.').waitFor();
  assert.equal(await page.getByLabel('Certificate password').inputValue(), '');
  const attempt = backend.calls.find((c) => c.command === 'certificate:import');
  assert.deepEqual(attempt?.args, [
    { profileId: 'lab-tls', pkcs12Base64: P12.buffer.toString('base64'), password: 'guess' },
  ]);
  await page.keyboard.press('Escape');
});

test('keyboard only: open the panel, choose the file, type the password, import; subject, expiry and warning', async () => {
  await page.getByRole('button', { name: 'Connect', exact: true }).waitFor();
  await page.getByRole('combobox', { name: 'Profile' }).focus();
  await tabTo('Certificate');
  await page.keyboard.press('Enter');
  await page.getByRole('heading', { name: 'Certificate for Lab TLS' }).waitFor();
  assert.equal(await focused(), 'Certificate for Lab TLS', 'the heading takes focus on open');
  // the import button stays out of the way until there is a file
  assert.deepEqual(await tabStops(page), ['Back', 'Choose file…', 'Certificate password']);

  await tabTo('Choose file…');
  // a native file dialog cannot be driven headless: the focused input gets the file as the dialog would give it
  await page.getByLabel('Choose file…').setInputFiles(P12);
  await page.getByText('Chosen: alice.p12').waitFor();
  await tabTo('Certificate password');
  await page.keyboard.type(CERTIFICATE_PASSWORD);
  await tabTo('Import certificate');
  await page.keyboard.press('Enter');

  const shown = page.getByTestId('certificate');
  await shown.getByText(CERTIFICATE_SUBJECT).waitFor();
  const validTo = String((await backend.handlers['certificate:info']('lab-tls'))?.validTo);
  await shown.getByText(validTo.slice(0, 10)).waitFor();
  await page.getByText(WARNING).waitFor();
  await page.getByText('Replace it with a new file').waitFor();
  assert.equal(await page.getByLabel('Certificate password').inputValue(), '', 'the password is not kept');
  assert.ok(!(await page.content()).includes(CERTIFICATE_PASSWORD), 'the password is not shown anywhere');
  await assertFitsTray(page);
  await screenshot(page, 'tray-certificate');

  await page.keyboard.press('Escape');
  assert.equal(await focused(), 'Certificate', 'focus returns to the button that opened the panel');
  await page.locator('.hero').getByText(WARNING).waitFor();
  await assertFitsTray(page, true);
});

test('the panel shows the stored certificate on open, and no Sign in beside it; a profile without certificates has no Certificate button', async () => {
  await page.getByRole('button', { name: 'Certificate', exact: true }).click();
  await page.getByTestId('certificate').getByText(CERTIFICATE_SUBJECT).waitFor();
  await page.getByRole('button', { name: 'Back' }).click();
  assert.equal(await page.getByRole('button', { name: 'Sign in' }).count(), 0, 'no password to sign in with');
  await page.getByRole('combobox', { name: 'Profile' }).selectOption('office');
  await page.getByRole('button', { name: 'Sign in' }).waitFor();
  assert.equal(await page.getByRole('button', { name: 'Certificate', exact: true }).count(), 0);
  assert.equal(await page.getByText(WARNING).count(), 0, 'the warning belongs to the certificate profile');
  assert.deepEqual(violations, []);
});
