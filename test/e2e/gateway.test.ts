/**
 * The built renderer in real headless Chromium, driving the REAL main-process services (test/e2e/gateway-bridge.ts:
 * profile and settings stores, gnome-keyring through keytar, ConnectionService with core's Tunnel) against the real
 * strongSwan gateway: import profile → sign in → Connect → Connected with the virtual IP → Disconnect; the gateway
 * ending the tunnel shown as Reconnecting… and Connected again; a wrong password explained in plain words; two-step enrollment from an otpauth:// link, then a two-round login without typing a code.
 * The services and Chromium both run inside the client network namespace (the tunnel needs its TUN device, routes and
 * DNS there, and Chromium must reach the bridge's 127.0.0.1 there). Needs root, strongSwan, dbus and gnome-keyring.
 * Saves screenshots to docs/screenshots/gateway-*.png.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import type { Page } from 'playwright-core';
import { download, startHttpServer } from '../support/lan-services.js';
import { oathtoolTotp } from '../support/oathtool.js';
import { connectAndCheck, disconnectAndCheck, established, GatewaySession, profileFile } from './gateway-session.js';
import { screenshot, until } from './page-helpers.js';

const ROOT = process.getuid?.() === 0;

const session = new GatewaySession();
let page: Page;

/**
 * Every state the window announces from now on, recorded in the page as it happens: a reconnect on this machine can
 * take a few milliseconds, too short to catch by polling from here.
 */
async function recordAnnouncedStates(): Promise<() => Promise<string[]>> {
  await page.evaluate(`(() => {
    const region = document.querySelector('[role="status"]');
    window.announced = [region.textContent];
    new MutationObserver(() => window.announced.push(region.textContent)).observe(region, {
      childList: true, characterData: true, subtree: true,
    });
  })()`);
  return async () => (await page.evaluate('window.announced')) as string[];
}

before(async () => {
  if (!ROOT) return;
  await session.open('e2e-gw');
  page = session.page;
});

after(() => session.close());

test('import a profile, sign in, Connect: Connected with the virtual IP on both ends; Disconnect', {
  skip: !ROOT && 'needs root',
}, async () => {
  const gw = session.gw;
  assert.ok(gw);
  await page.getByLabel('Choose profile file').setInputFiles(profileFile('Example Corp VPN', gw, 'ecdsa'));
  await page.getByRole('heading', { name: 'Sign in to Example Corp VPN' }).waitFor();
  assert.equal(await page.getByLabel('Username').inputValue(), gw.user.name);
  await page.getByLabel('Password', { exact: true }).fill(gw.user.password);
  await page.getByLabel('Remember my password on this computer').check();
  await page.getByRole('button', { name: 'Continue' }).click();
  // the window now sends no password: the service takes the remembered one from gnome-keyring
  await connectAndCheck(page, gw, 'ecdsa');
  await page.getByRole('button', { name: 'Diagnostics' }).click();
  assert.match(await page.getByLabel('Connection details').inputValue(), /DNS: 198\.51\.100\.53/);
  await page.keyboard.press('Escape');
  // traffic through the tunnel from the lan host shows up in the window's counters
  const net = session.net;
  assert.ok(net);
  const http = await startHttpServer(net, { bytes: 256 * 1024 });
  try {
    assert.equal((await download(net, net.clientNs, http.url)).sha256, http.sha256);
  } finally {
    await http.stop();
  }
  const received = page.getByTestId('received');
  await until(async () => /^(2[5-9]\d|[3-9]\d\d)\.\d kB in total$/.test((await received.textContent()) ?? ''));
  await screenshot(page, 'gateway-connected');
  await disconnectAndCheck(page, gw, 'ecdsa');
});

test('the gateway ends the tunnel: the window shows Reconnecting…, then Connected again', {
  skip: !ROOT && 'needs root',
}, async () => {
  const gw = session.gw;
  assert.ok(gw);
  await connectAndCheck(page, gw, 'ecdsa');
  const announced = await recordAnnouncedStates();
  const terminated = await gw.swanctl(['--terminate', '--ike', 'ecdsa']);
  assert.ok(terminated.code === 0, `swanctl --terminate failed: ${terminated.stdout}`);
  await until(async () => (await announced()).includes('Reconnecting…'), 15_000);
  await page.getByRole('status').getByText('Connected', { exact: true }).waitFor({ timeout: 20_000 });
  const states = await announced();
  assert.deepEqual(states.slice(states.indexOf('Reconnecting…')).at(-1), 'Connected', states.join(' → '));
  await until(async () => (await established(gw, 'ecdsa')) !== undefined, 10_000);
  await disconnectAndCheck(page, gw, 'ecdsa');
});

test('a wrong password is refused by the gateway and explained in plain words', {
  skip: !ROOT && 'needs root',
}, async () => {
  const gw = session.gw;
  assert.ok(gw);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByLabel('Password', { exact: true }).fill(`${gw.user.password}-wrong`);
  await page.getByLabel('Remember my password on this computer').uncheck();
  await page.getByRole('button', { name: 'Continue' }).click();
  await page.getByRole('button', { name: 'Connect', exact: true }).click();
  const alert = page.getByRole('alert');
  await alert.getByText('Your username or password was not accepted.').waitFor({ timeout: 20_000 });
  await page.getByRole('status').getByText('Connection failed', { exact: true }).waitFor();
  await alert.getByText('Details for IT').click();
  await alert.getByText('password-rejected').waitFor();
  await alert.getByText(/E=691/).waitFor();
  await screenshot(page, 'gateway-wrong-password');
  assert.equal(await established(gw, 'ecdsa'), undefined);
  assert.equal(await page.getByRole('button', { name: 'Connect', exact: true }).count(), 1);
});

test('two-step enrollment from the otpauth:// link, then a two-round login without typing a code', {
  skip: !ROOT && 'needs root',
}, async () => {
  const gw = session.gw;
  assert.ok(gw);
  await page.getByRole('button', { name: 'Settings' }).click();
  await page.getByRole('button', { name: 'Add a profile…' }).click();
  await page.getByLabel('Choose profile file').setInputFiles(profileFile('Example Corp 2FA', gw, 'totp'));
  await page.getByRole('heading', { name: 'Sign in to Example Corp 2FA' }).waitFor();
  await page.getByLabel('Password', { exact: true }).fill(gw.user.password);
  await page.getByRole('button', { name: 'Continue' }).click();
  await page.getByRole('heading', { name: 'Two-step verification' }).waitFor();
  const uri = `otpauth://totp/Example%20Corp:${gw.user.name}?secret=${gw.totpSecret}&issuer=Example%20Corp`;
  await page.getByLabel('Setup link').fill(uri);
  await page.getByRole('button', { name: 'Set up codes' }).click();
  const shown = page.locator('p.code');
  await shown.waitFor();
  // the code on screen may have been made just before a 30 s step ended
  const earlier = await oathtoolTotp(gw.totpSecret, 30);
  const code = ((await shown.textContent()) ?? '').replace('Current code: ', '');
  const now = await oathtoolTotp(gw.totpSecret);
  assert.ok([earlier, now].includes(code), `shown ${code}, oathtool says ${earlier} (30 s ago) / ${now}`);
  await screenshot(page, 'gateway-totp-enrolled');
  await page.getByRole('button', { name: 'Done' }).click();
  await page.getByRole('button', { name: 'Connect', exact: true }).waitFor();
  // the profile list is refreshed after enrollment: once it is, no code field may remain
  await page.getByLabel('Code from your token').waitFor({ state: 'detached', timeout: 5000 });
  assert.equal(await page.getByLabel('Code from your token').count(), 0, 'a code must not be asked for');
  await connectAndCheck(page, gw, 'totp');
  await screenshot(page, 'gateway-totp');
  await disconnectAndCheck(page, gw, 'totp');
});

test('the log file and the problem report (Diagnostics → Create problem report…) hold the sessions but no secret', {
  skip: !ROOT && 'needs root',
}, async () => {
  const { gw, work } = session;
  assert.ok(gw && work);
  const log = readFileSync(join(work, 'state', 'logs', 'outpost.log'), 'utf8');
  assert.match(log, /Connected: virtual IP \d+\.\d+\.\d+\.\d+/);
  assert.match(log, /Authenticator enrolled/);
  await page.getByRole('button', { name: 'Diagnostics' }).click();
  await page.getByRole('button', { name: 'Create problem report…' }).click();
  const notice = await page.getByText(/^Problem report saved to /).textContent({ timeout: 10_000 });
  const path = /^Problem report saved to (.+)\.$/.exec(notice ?? '')?.[1] ?? '';
  assert.match(path, /outpost-problem-report-[\dT-]+\.txt$/);
  const report = readFileSync(path, 'utf8');
  assert.match(report, /^Outpost VPN problem report\n/);
  assert.match(report, /^State: disconnected$/m);
  assert.match(report, /== Log ==\n[\s\S]*Connected: virtual IP/);
  assert.match(report, /password-rejected/, 'the wrong password attempt is among the last errors or the log');
  for (const secret of [gw.user.password, `${gw.user.password}-wrong`, gw.totpSecret]) {
    assert.ok(!log.includes(secret), 'a secret reached the log file');
    assert.ok(!report.includes(secret), 'a secret reached the problem report');
  }
});
