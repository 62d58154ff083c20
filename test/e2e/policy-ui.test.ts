/**
 * The window under a strict IT policy, in real headless Chromium against scripted handlers: IT's profile marked and
 * selected, no "remember", no Disconnect while always on, the kill switch and startup settings locked, no way to add a
 * profile; and a first run with no profile when adding one is not allowed.
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
import { type FakeBackend, type FakeSetup, fakeBackend, GOOD_PASSWORD } from './fake-handlers.js';
import { SCREENSHOTS, screenshot, TRAY } from './page-helpers.js';

const work = mkdtempSync(join(tmpdir(), 'outpost-policy-ui-'));
const rendererDir = join(work, 'renderer');
const servers: BridgeServer[] = [];
let context: BrowserContext;

const OFFICE: ProfileSummary = {
  id: 'managed-office',
  name: 'Office',
  gateway: 'vpn.example.test',
  auth: 'eap-mschapv2',
  managed: true,
  hasPassword: false,
  hasTotp: false,
};
const LAB: ProfileSummary = { ...OFFICE, id: 'managed-lab', name: 'Lab' };

/** A page on a fresh fake backend set up as `setup` says. */
async function open(setup: FakeSetup): Promise<{ page: Page; backend: FakeBackend }> {
  let emit: BridgeServer['emit'] = () => {};
  const backend = fakeBackend((event, payload) => emit(event, payload), setup);
  const server = await startBridgeServer({ root: rendererDir, handlers: backend.handlers });
  servers.push(server);
  emit = server.emit;
  const page = await context.newPage();
  await page.setViewportSize(TRAY);
  page.on('pageerror', (err) => assert.fail(`page error: ${err.message}`));
  await page.goto(server.pageUrl);
  return { page, backend };
}

before(async () => {
  await build({ root: resolve('renderer'), logLevel: 'warn', build: { outDir: rendererDir, emptyOutDir: true } });
  mkdirSync(SCREENSHOTS, { recursive: true });
  context = await launchChromium(join(work, 'profile'));
});

after(async () => {
  await context?.close();
  for (const server of servers) await server.close();
  rmSync(work, { recursive: true, force: true });
});

test('strict policy: IT’s default profile selected and marked, no "remember", always on, settings locked', async () => {
  const { page, backend } = await open({
    profiles: [LAB, OFFICE],
    policy: {
      allowUserProfiles: false,
      alwaysOn: true,
      killSwitch: true,
      allowRememberPassword: false,
      requiredNotifications: ['disconnected'],
      defaultProfileId: 'managed-office',
    },
  });
  const picker = page.getByRole('combobox', { name: 'Profile' });
  await picker.waitFor();
  assert.equal(await picker.inputValue(), 'managed-office');
  assert.equal(await page.getByText('Provided by your IT department').count(), 1);

  await page.getByRole('button', { name: 'Connect', exact: true }).click();
  await page.getByRole('heading', { name: 'Sign in to Office' }).waitFor();
  assert.equal(await page.getByLabel('Remember my password on this computer').count(), 0);
  await page.getByLabel('Username').fill('alice');
  await page.getByLabel('Password', { exact: true }).fill(GOOD_PASSWORD);
  await page.getByRole('button', { name: 'Continue' }).click();
  const signIn = backend.calls.find((c) => c.command === 'credentials:set');
  assert.deepEqual(signIn?.args, [{ profileId: 'managed-office', username: 'alice', remember: false }]);

  await page.getByRole('button', { name: 'Connect', exact: true }).click();
  await page.getByRole('status').getByText('Connected', { exact: true }).waitFor();
  await page.getByText('Your IT department keeps this VPN connected at all times.').waitFor();
  assert.equal(await page.getByRole('button', { name: 'Disconnect' }).count(), 0);
  assert.equal(await picker.isDisabled(), true);
  await screenshot(page, 'policy-always-on');

  await page.getByRole('button', { name: 'Settings' }).click();
  const killSwitch = page.getByLabel('Block all internet traffic outside the VPN (kill switch)');
  assert.equal(await killSwitch.isChecked(), true);
  assert.equal(await killSwitch.isDisabled(), true);
  assert.equal(await page.getByLabel('Connect automatically when Outpost starts').isDisabled(), true);
  assert.equal(await page.getByLabel('Start Outpost when I log in to this computer').isDisabled(), true);
  const lost = page.getByLabel('When the VPN disconnects unexpectedly');
  assert.equal(await lost.isChecked(), true);
  assert.equal(await lost.isDisabled(), true, 'a notification IT requires cannot be turned off');
  assert.equal(await page.getByLabel('When the VPN connects').isDisabled(), false);
  assert.equal(await page.getByRole('button', { name: 'Add a profile…' }).count(), 0);
  assert.equal(await page.getByText('— provided by IT').count(), 2);
  await screenshot(page, 'policy-settings');
  await page.close();
});

test('no profile and adding one not allowed: the first run says so and offers no file picker', async () => {
  const { page } = await open({ policy: { allowUserProfiles: false } });
  await page.getByRole('heading', { name: 'No connection profile yet' }).waitFor();
  assert.equal(await page.getByLabel('Choose profile file').count(), 0);
  await page.close();
});
