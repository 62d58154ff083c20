/**
 * One e2e session against the real gateway, shared by the browser tests that need it: a test network with the
 * strongSwan gateway, the REAL main-process services (test/e2e/gateway-bridge.ts: profile and settings stores,
 * gnome-keyring through keytar, ConnectionService with core's Tunnel) and the built renderer in headless Chromium.
 * The services and Chromium both run inside the client network namespace (the tunnel needs its TUN device, routes
 * and DNS there, and Chromium must reach the bridge's 127.0.0.1 there). Needs root, strongSwan, dbus and
 * gnome-keyring.
 */
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BrowserContext, Page } from 'playwright-core';
import { build } from 'vite';
import type { DesktopNotification } from '../../electron/services/notifications.js';
import { desktopHomeEnv, makeDesktopHome } from '../support/desktop-home.js';
import { type Gateway, startGateway } from '../support/gateway.js';
import { TestNetwork } from '../support/netns.js';
import { createRunDir, removeRunDir } from '../support/run-dir.js';
import { CHROMIUM, launchChromium } from './chromium.js';
import { SCREENSHOTS, TRAY } from './page-helpers.js';

const REPO = fileURLToPath(new URL('../..', import.meta.url));
const BRIDGE = fileURLToPath(new URL('./gateway-bridge.ts', import.meta.url));
const KEYRING_PASSWORD = 'outpost-e2e-keyring';

/**
 * A native profile as IT would send it: the gateway's CA as inline PEM text (the test PKI gives a path), our test user,
 * one of the gateway's connections.
 */
export function profileFile(name: string, gateway: Gateway, conn: 'ecdsa' | 'totp') {
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
export async function established(gateway: Gateway, conn: string): Promise<string | undefined> {
  const sas = await gateway.listSas();
  return sas.split(/\n(?=\S)/).find((block) => block.startsWith(`${conn}:`) && block.includes('ESTABLISHED'));
}

/** Clicks Connect and waits for Connected, failing with the UI's own error when one appears instead. */
export async function connectAndCheck(page: Page, gateway: Gateway, conn: 'ecdsa' | 'totp'): Promise<void> {
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

export async function disconnectAndCheck(page: Page, gateway: Gateway, conn: 'ecdsa' | 'totp'): Promise<void> {
  await page.getByRole('button', { name: 'Disconnect', exact: true }).click();
  await page.getByRole('status').getByText('Not connected', { exact: true }).waitFor();
  assert.equal(await established(gateway, conn), undefined, 'the gateway still holds the IKE SA');
}

/** Fields are set as each part comes up, so close() stops exactly what started, even after a failed open(). */
export class GatewaySession {
  work: string | undefined;
  net: TestNetwork | undefined;
  gw: Gateway | undefined;
  /** What the services asked the bridge's notifier to show, in order. */
  readonly notifications: DesktopNotification[] = [];
  private bridge: ChildProcess | undefined;
  private bridgeStderr = '';
  private context: BrowserContext | undefined;
  private openedPage: Page | undefined;

  get page(): Page {
    assert.ok(this.openedPage, 'the session is not open');
    return this.openedPage;
  }

  async open(runName: string): Promise<void> {
    const work = await createRunDir(runName);
    this.work = work;
    const rendererDir = join(work, 'renderer');
    const [network] = await Promise.all([
      TestNetwork.create(),
      build({ root: resolve(REPO, 'renderer'), logLevel: 'warn', build: { outDir: rendererDir, emptyOutDir: true } }),
    ]);
    this.net = network;
    this.gw = await startGateway(network);
    const pageUrl = await this.startBridge(network, work, rendererDir);
    mkdirSync(SCREENSHOTS, { recursive: true });
    this.context = await launchChromium(join(work, 'chromium'), this.chromiumInNamespace(work, network.clientNs));
    const page = this.context.pages()[0] ?? (await this.context.newPage());
    this.openedPage = page;
    await page.setViewportSize(TRAY);
    page.setDefaultTimeout(10_000);
    page.on('pageerror', (err) => assert.fail(`page error: ${err.message}`));
    await page.goto(pageUrl);
    await page.getByRole('heading', { name: 'Welcome to Outpost' }).waitFor();
  }

  async close(): Promise<void> {
    await this.context?.close();
    // closing its stdin makes the bridge disconnect (restoring the namespace) and exit; destroy() stops what is left
    const bridge = this.bridge;
    bridge?.stdin?.end();
    if (bridge && bridge.exitCode === null && bridge.signalCode === null) {
      await new Promise((ok) => {
        const timer = setTimeout(ok, 5000);
        bridge.once('exit', () => ok(clearTimeout(timer)));
      });
    }
    await this.gw?.stop();
    await this.net?.destroy();
    if (this.work) await removeRunDir(this.work);
  }

  /** The bridge in a private D-Bus session with an unlocked gnome-keyring and a HOME of its own, in the client ns. */
  private startBridge(network: TestNetwork, work: string, rendererDir: string): Promise<string> {
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
    this.bridge = child;
    child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
      this.bridgeStderr += chunk;
    });
    return new Promise((ok, fail) => {
      let pending = '';
      const timer = setTimeout(() => fail(new Error(`bridge did not start: ${this.bridgeStderr}`)), 30_000);
      // one JSON object a line: the page URL once serving, then each notification the services ask for
      child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
        pending += chunk;
        const lines = pending.split('\n');
        pending = lines.pop() ?? '';
        for (const line of lines.filter((l) => l.startsWith('{'))) {
          const message = JSON.parse(line) as { pageUrl?: string; notification?: DesktopNotification };
          if (message.notification) this.notifications.push(message.notification);
          if (message.pageUrl) {
            clearTimeout(timer);
            ok(message.pageUrl);
          }
        }
      });
      child.once('exit', (code) => {
        clearTimeout(timer);
        fail(new Error(`bridge exited ${code}: ${this.bridgeStderr}`));
      });
    });
  }

  /** Chromium inside the client namespace: playwright talks to it over pipes, which `ip netns exec` passes through. */
  private chromiumInNamespace(work: string, ns: string): string {
    const wrapper = join(work, 'chromium-in-ns.sh');
    writeFileSync(wrapper, `#!/bin/sh\nexec ip netns exec '${ns}' ${CHROMIUM} "$@"\n`);
    chmodSync(wrapper, 0o755);
    return wrapper;
  }
}
