/**
 * Two-step enrollment from a QR code, and desktop notifications, in real headless Chromium against the REAL services
 * and the real strongSwan gateway (test/e2e/gateway-session.ts): pictures that are no setup code (one dropped on the
 * drop zone, one chosen) are refused in words;
 * a PNG of the gateway's otpauth:// link, made here with the `qrcode` library and given to "Choose image…", enrolls
 * without the secret ever reaching the window; a two-round login follows without typing a code. Then the gateway
 * drops the session: with that notification switched off in Settings nothing is said; switched on, the services ask
 * the notifier for "connection lost: reconnecting", then "reconnected"; a Disconnect the user clicks is never announced.
 * Needs root.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Page } from 'playwright-core';
import QRCode from 'qrcode';
import type { Gateway } from '../support/gateway.js';
import { oathtoolTotp } from '../support/oathtool.js';
import { connectAndCheck, disconnectAndCheck, established, GatewaySession, profileFile } from './gateway-session.js';
import { screenshot, until } from './page-helpers.js';

const ROOT = process.getuid?.() === 0;

const session = new GatewaySession();
let page: Page;
/** Every WebSocket frame the window received from the services. */
const received: string[] = [];

before(async () => {
  if (!ROOT) return;
  await session.open('e2e-qr');
  page = session.page;
  // watch the bridge from the first frame: reload with the listener in place
  page.on('websocket', (socket) => socket.on('framereceived', ({ payload }) => received.push(String(payload))));
  await page.reload();
  await page.getByRole('heading', { name: 'Welcome to Outpost' }).waitFor();
});

after(() => session.close());

const png = async (text: string) => ({
  name: 'qr.png',
  mimeType: 'image/png',
  buffer: await QRCode.toBuffer(text, { type: 'png' }),
});

test('a QR code picture enrolls two-step codes without the secret reaching the window; two rounds, no typing', {
  skip: !ROOT && 'needs root',
}, async () => {
  const gw = session.gw;
  assert.ok(gw);
  await page.getByLabel('Choose profile file').setInputFiles(profileFile('Example Corp 2FA', gw, 'totp'));
  await page.getByRole('heading', { name: 'Sign in to Example Corp 2FA' }).waitFor();
  await page.getByLabel('Password', { exact: true }).fill(gw.user.password);
  await page.getByRole('button', { name: 'Continue' }).click();
  await page.getByRole('heading', { name: 'Two-step verification' }).waitFor();
  await screenshot(page, 'gateway-totp-qr');

  // what cannot be used is refused in words by main's decoder, and the window stays on the setup screen: first a
  // picture dropped on the drop zone (a web address's QR code)
  const web = (await png('https://www.example.com/')).buffer.toString('base64');
  // page code as text, as the other browser tests write it: this project's Node typings have no DOM
  const dataTransfer = await page.evaluateHandle(
    `(() => {
      const transfer = new DataTransfer();
      const bytes = Uint8Array.from(atob('${web}'), (c) => c.charCodeAt(0));
      transfer.items.add(new File([bytes], 'web.png', { type: 'image/png' }));
      return transfer;
    })()`,
  );
  await page
    .getByRole('region', { name: 'Drop a picture of the QR code here' })
    .dispatchEvent('drop', { dataTransfer });
  await page.getByRole('alert').getByText('This QR code is not an authenticator setup code').waitFor();
  const chooseImage = page.getByLabel('Choose image…');
  await chooseImage.setInputFiles({ name: 'notes.png', mimeType: 'image/png', buffer: Buffer.from('not a picture') });
  await page.getByRole('alert').getByText('This file is not a PNG or JPEG picture.').waitFor();
  // the bridge has no desktop: reading the clipboard is refused, not faked
  await page.getByRole('button', { name: 'Paste from clipboard' }).click();
  await page.getByRole('alert').getByText('Reading the clipboard or the screen is not available here').waitFor();

  const uri = `otpauth://totp/Example%20Corp:${gw.user.name}?secret=${gw.totpSecret}&issuer=Example%20Corp`;
  await chooseImage.setInputFiles(await png(uri));
  const shown = page.locator('p.code');
  await shown.waitFor();
  await page.getByText('Example Corp: check that this code matches your authenticator app.').waitFor();
  const earlier = await oathtoolTotp(gw.totpSecret, 30);
  const code = ((await shown.textContent()) ?? '').replace('Current code: ', '');
  const now = await oathtoolTotp(gw.totpSecret);
  assert.ok([earlier, now].includes(code), `shown ${code}, oathtool says ${earlier} (30 s ago) / ${now}`);
  assert.ok(received.length > 0, 'the bridge traffic was watched');
  for (const frame of received) assert.ok(!frame.includes(gw.totpSecret), `the secret reached the window: ${frame}`);
  assert.ok(!(await page.content()).includes(gw.totpSecret));

  await page.getByRole('button', { name: 'Done' }).click();
  await page.getByRole('button', { name: 'Connect', exact: true }).waitFor();
  await page.getByLabel('Code from your token').waitFor({ state: 'detached', timeout: 5000 });
  await connectAndCheck(page, gw, 'totp');
  assert.deepEqual(session.notifications, [], 'a connect the user clicked is not announced by default');
});

/** The gateway ends the client's IKE SA (a Delete, as when IT kills a session); resolves with the SA's number. */
async function dropSession(gw: Gateway): Promise<string> {
  // swanctl numbers IKE SAs: "totp: #3, ESTABLISHED, …"
  const number = /^totp: (#\d+),/.exec((await established(gw, 'totp')) ?? '')?.[1];
  assert.ok(number, 'no session to drop');
  const { code, stderr } = await gw.swanctl(['--terminate', '--ike', 'totp']);
  assert.equal(code, 0, stderr);
  return number;
}

/** The tunnel is back by itself (both rounds again, the code made from the keychain's secret) with a new IKE SA. */
async function backAfter(gw: Gateway, dropped: string): Promise<void> {
  await until(async () => {
    const number = /^totp: (#\d+),/.exec((await established(gw, 'totp')) ?? '')?.[1];
    return number !== undefined && number !== dropped;
  }, 30_000);
  await page.getByRole('status').getByText('Connected', { exact: true }).waitFor({ timeout: 10_000 });
}

test('switched off in Settings, a dropped session and its return are not announced', {
  skip: !ROOT && 'needs root',
}, async () => {
  const gw = session.gw;
  assert.ok(gw);
  await page.getByRole('button', { name: 'Settings' }).click();
  const drops = page.getByLabel('When the connection drops, and when it is back');
  assert.equal(await drops.isChecked(), true, 'on by default');
  await drops.uncheck();
  await until(async () => !(await drops.isChecked()));
  await page.getByRole('button', { name: 'Back' }).click();
  await backAfter(gw, await dropSession(gw));
  await new Promise((ok) => setTimeout(ok, 1000));
  assert.deepEqual(session.notifications, []);
  // on again for the next test
  await page.getByRole('button', { name: 'Settings' }).click();
  await drops.check();
  await until(async () => drops.isChecked());
  await page.getByRole('button', { name: 'Back' }).click();
});

test('the gateway drops the session: "connection lost: reconnecting", then "reconnected"; a Disconnect is silent', {
  skip: !ROOT && 'needs root',
}, async () => {
  const gw = session.gw;
  assert.ok(gw);
  const dropped = await dropSession(gw);
  await until(async () => session.notifications.length > 0, 20_000);
  assert.deepEqual(session.notifications[0], {
    kind: 'reconnecting',
    title: 'VPN connection lost: reconnecting',
    body: `The connection to ${gw.address} dropped. Outpost is reconnecting; your traffic waits until it is back.`,
  });
  await backAfter(gw, dropped);
  await until(async () => session.notifications.length > 1);
  assert.deepEqual(
    session.notifications.map((n) => [n.kind, n.title]),
    [
      ['reconnecting', 'VPN connection lost: reconnecting'],
      ['reconnecting', 'VPN reconnected'],
    ],
  );
  await disconnectAndCheck(page, gw, 'totp');
  await new Promise((ok) => setTimeout(ok, 1000));
  assert.equal(session.notifications.length, 2, "the user's own Disconnect is not announced");
});
