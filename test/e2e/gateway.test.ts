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
import type { ChildProcess } from 'node:child_process';
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { BrowserContext, Page } from 'playwright-core';
import { build } from 'vite';
import { desktopHomeEnv, makeDesktopHome } from '../support/desktop-home.js';
import { type Gateway, startGateway } from '../support/gateway.js';
import { download, startHttpServer } from '../support/lan-services.js';
import { TestNetwork } from '../support/netns.js';
import { oathtoolTotp } from '../support/oathtool.js';
import { createRunDir, removeRunDir } from '../support/run-dir.js';
import { CHROMIUM, launchChromium } from './chromium.js';
import { SCREENSHOTS, screenshot, TRAY, until } from './page-helpers.js';

const REPO = fileURLToPath(new URL('../..', import.meta.url));
const BRIDGE = fileURLToPath(new URL('./gateway-bridge.ts', import.meta.url));
const KEYRING_PASSWORD = 'outpost-e2e-keyring';
const ROOT = process.getuid?.() === 0;

let work: string;
let net: TestNetwork | undefined;
let gw: Gateway | undefined;
let bridge: ChildProcess | undefined;
let bridgeStderr = '';
let context: BrowserContext | undefined;
let page: Page;

/** The bridge in a private D-Bus session with an unlocked gnome-keyring and a HOME of its own, in the client ns. */
function startBridge(network: TestNetwork, rendererDir: string): Promise<string> {
  const home = join(work, 'home');
  makeDesktopHome(home);
  for (const dir of ['config', 'managed', 'state']) mkdirSync(join(work, dir));
  const args = [rendererDir, join(work, 'config'), join(work, 'managed'), join(work, 'state')].map((a) => `'${a}'`);
  const script =
    `printf %s '${KEYRING_PASSWORD}' | gnome-keyring-daemon --unlock --components=secrets >/dev/null; ` +
    `cd '${REPO}' && exec '${process.execPath}' --import tsx '${BRIDGE}' ${args.join(' ')}`;
  const child = network.spawn(network.clientNs, ['dbus-run-session', '--', 'sh', '-c', script], {
    env: desktopHomeEnv(home),
  });
  bridge = child;
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
    bridgeStderr += chunk;
  });
  return new Promise((ok, fail) => {
    let out = '';
    const timer = setTimeout(() => fail(new Error(`bridge did not start: ${bridgeStderr}`)), 30_000);
    child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
      out += chunk;
      const line = out.split('\n').find((l) => l.startsWith('{'));
      if (line === undefined || !out.includes('\n')) return;
      clearTimeout(timer);
      ok((JSON.parse(line) as { pageUrl: string }).pageUrl);
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      fail(new Error(`bridge exited ${code}: ${bridgeStderr}`));
    });
  });
}

/** Chromium inside the client namespace: playwright talks to it over pipes, which `ip netns exec` passes through. */
function chromiumInNamespace(ns: string): string {
  const wrapper = join(work, 'chromium-in-ns.sh');
  writeFileSync(wrapper, `#!/bin/sh\nexec ip netns exec '${ns}' ${CHROMIUM} "$@"\n`);
  chmodSync(wrapper, 0o755);
  return wrapper;
}

/**
 * A native profile as IT would send it: the gateway's CA as inline PEM text (the test PKI gives a path), our test user,
 * one of the gateway's connections.
 */
function profileFile(name: string, gateway: Gateway, conn: 'ecdsa' | 'totp') {
  const profile = {
    version: 1,
    name,
    gateway: { address: gateway.address, id: gateway.ids[conn], ca: readFileSync(gateway.pki.ecdsaCaPem, 'utf8') },
    auth: conn === 'totp' ? 'eap-mschapv2+totp' : 'eap-mschapv2',
    username: gateway.user.name,
  };
  return { name: `${conn}.json`, mimeType: 'application/json', buffer: Buffer.from(JSON.stringify(profile, null, 2)) };
}

/** The gateway's view, for the ESTABLISHED IKE SA of one connection. */
async function established(gateway: Gateway, conn: string): Promise<string | undefined> {
  const sas = await gateway.listSas();
  return sas.split(/\n(?=\S)/).find((block) => block.startsWith(`${conn}:`) && block.includes('ESTABLISHED'));
}

/** Clicks Connect and waits for Connected, failing with the UI's own error when one appears instead. */
async function connectAndCheck(gateway: Gateway, conn: 'ecdsa' | 'totp'): Promise<void> {
  await page.getByRole('button', { name: 'Connect', exact: true }).click();
  const connected = page.getByRole('status').getByText('Connected', { exact: true });
  const alert = page.getByRole('alert');
  await connected.or(alert).waitFor({ timeout: 20_000 });
  if ((await alert.count()) > 0) assert.fail(`Connect failed: ${await alert.allTextContents()}`);
  const virtualIp = (await page.getByTestId('virtual-ip').textContent()) ?? '';
  assert.match(virtualIp, /^203\.0\.113\.\d{1,3}$/);
  const sa = await established(gateway, conn);
  assert.ok(sa !== undefined, `gateway has no ESTABLISHED ${conn} SA:\n${await gateway.listSas()}`);
  assert.ok(sa.includes(virtualIp), `the gateway's SA does not name ${virtualIp}:\n${sa}`);
}

async function disconnectAndCheck(gateway: Gateway, conn: 'ecdsa' | 'totp'): Promise<void> {
  await page.getByRole('button', { name: 'Disconnect', exact: true }).click();
  await page.getByRole('status').getByText('Not connected', { exact: true }).waitFor();
  assert.equal(await established(gateway, conn), undefined, 'the gateway still holds the IKE SA');
}

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
  work = await createRunDir('e2e-gw');
  const rendererDir = join(work, 'renderer');
  const [network] = await Promise.all([
    TestNetwork.create(),
    build({ root: resolve(REPO, 'renderer'), logLevel: 'warn', build: { outDir: rendererDir, emptyOutDir: true } }),
  ]);
  net = network;
  gw = await startGateway(network);
  const pageUrl = await startBridge(network, rendererDir);
  mkdirSync(SCREENSHOTS, { recursive: true });
  context = await launchChromium(join(work, 'chromium'), chromiumInNamespace(network.clientNs));
  page = context.pages()[0] ?? (await context.newPage());
  await page.setViewportSize(TRAY);
  page.setDefaultTimeout(10_000);
  page.on('pageerror', (err) => assert.fail(`page error: ${err.message}`));
  await page.goto(pageUrl);
  await page.getByRole('heading', { name: 'Welcome to Outpost' }).waitFor();
});

after(async () => {
  await context?.close();
  // closing its stdin makes the bridge disconnect (restoring the namespace) and exit; destroy() stops what is left
  bridge?.stdin?.end();
  if (bridge && bridge.exitCode === null && bridge.signalCode === null) {
    await new Promise((ok) => {
      const timer = setTimeout(ok, 5000);
      bridge?.once('exit', () => ok(clearTimeout(timer)));
    });
  }
  await gw?.stop();
  await net?.destroy();
  if (work) await removeRunDir(work);
});

test('import a profile, sign in, Connect: Connected with the virtual IP on both ends; Disconnect', {
  skip: !ROOT && 'needs root',
}, async () => {
  assert.ok(gw);
  await page.getByLabel('Choose profile file').setInputFiles(profileFile('Example Corp VPN', gw, 'ecdsa'));
  await page.getByRole('heading', { name: 'Sign in to Example Corp VPN' }).waitFor();
  assert.equal(await page.getByLabel('Username').inputValue(), gw.user.name);
  await page.getByLabel('Password', { exact: true }).fill(gw.user.password);
  await page.getByLabel('Remember my password on this computer').check();
  await page.getByRole('button', { name: 'Continue' }).click();
  // the window now sends no password: the service takes the remembered one from gnome-keyring
  await connectAndCheck(gw, 'ecdsa');
  await page.getByRole('button', { name: 'Diagnostics' }).click();
  assert.match(await page.getByLabel('Connection details').inputValue(), /DNS: 198\.51\.100\.53/);
  await page.keyboard.press('Escape');
  // traffic through the tunnel from the lan host shows up in the window's counters
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
  await disconnectAndCheck(gw, 'ecdsa');
});

test('the gateway ends the tunnel: the window shows Reconnecting…, then Connected again', {
  skip: !ROOT && 'needs root',
}, async () => {
  assert.ok(gw);
  await connectAndCheck(gw, 'ecdsa');
  const announced = await recordAnnouncedStates();
  const terminated = await gw.swanctl(['--terminate', '--ike', 'ecdsa']);
  assert.ok(terminated.code === 0, `swanctl --terminate failed: ${terminated.stdout}`);
  await until(async () => (await announced()).includes('Reconnecting…'), 15_000);
  await page.getByRole('status').getByText('Connected', { exact: true }).waitFor({ timeout: 20_000 });
  const states = await announced();
  assert.deepEqual(states.slice(states.indexOf('Reconnecting…')).at(-1), 'Connected', states.join(' → '));
  await until(async () => (await established(gw!, 'ecdsa')) !== undefined, 10_000);
  await disconnectAndCheck(gw, 'ecdsa');
});

test('a wrong password is refused by the gateway and explained in plain words', {
  skip: !ROOT && 'needs root',
}, async () => {
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
  await connectAndCheck(gw, 'totp');
  await screenshot(page, 'gateway-totp');
  await disconnectAndCheck(gw, 'totp');
});

test('the log file and the problem report (Diagnostics → Create problem report…) hold the sessions but no secret', {
  skip: !ROOT && 'needs root',
}, async () => {
  assert.ok(gw);
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
