/**
 * A RADIUS-backed gateway: strongSwan's eap-radius plugin relays EAP to FreeRADIUS on the LAN host, which runs the
 * methods itself and hands the MSK back in MS-MPPE keys. The `outpost` CLI logs in with EAP-MSCHAPv2 and with EAP-TLS
 * (the RADIUS server's certificate from its own CA, checked against --eap-ca and --eap-server-name) and pings
 * through the tunnel.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Gateway } from '../support/gateway.js';
import type { TestNetwork } from '../support/netns.js';
import { RADIUS_SERVER_NAME } from '../support/radius.js';
import { expectFailure, OutpostProcess } from './cli-process.js';
import { gatewayForFile } from './with-gateway.js';

let net: TestNetwork;
let gw: Gateway;

gatewayForFile(
  (madeNet, madeGw) => {
    net = madeNet;
    gw = madeGw;
  },
  { eapTls: { versionMax: '1.2' }, radius: true },
);

function radiusArgs(auth: string, extra: string[]): string[] {
  return ['--gateway', gw.address, '--gateway-id', gw.ids.radius, '--ca', gw.pki.ecdsaCaPem, '--auth', auth, ...extra];
}

function certificateArgs(eapCa: string): string[] {
  const { id, p12 } = gw.eapTls!.users.alice;
  return radiusArgs('eap-tls', [
    '--user',
    id,
    '--cert',
    p12,
    '--eap-server-name',
    RADIUS_SERVER_NAME,
    '--eap-ca',
    eapCa,
  ]);
}

/** Connects, pings the LAN host through the tunnel, checks that RADIUS said yes, disconnects. */
async function connectAndPing(args: string[], env: NodeJS.ProcessEnv, user: string): Promise<void> {
  const proc = OutpostProcess.start(net, args, env);
  let stopped = false;
  try {
    const connected = await proc.waitFor('connected');
    assert.ok(connected, `not connected: ${JSON.stringify(proc.events)} ${proc.stderr} ${await gw.radius!.log()}`);
    const sas = await gw.listSas();
    assert.match(sas, /^radius: #\d+, ESTABLISHED, IKEv2/m, sas);
    const ping = await net.exec(net.clientNs, ['ping', '-c', '2', '-W', '2', gw.lanHost]);
    assert.equal(ping.code, 0, ping.stdout + ping.stderr);
    assert.match(await gw.radius!.log(), new RegExp(`Login OK: \\[${user.replace(/[.@]/g, '\\$&')}`));
    stopped = true;
    assert.equal(await proc.stop('SIGINT'), 0, proc.stderr);
  } finally {
    if (!stopped) await proc.stop('SIGINT');
  }
}

function ttlsArgs(inner: string): string[] {
  const server = ['--eap-server-name', RADIUS_SERVER_NAME, '--eap-ca', gw.pki.rsaCaPem, '--ttls-inner', inner];
  return radiusArgs('eap-ttls', ['--user', gw.user.name, ...server]);
}

describe('a gateway that relays EAP to FreeRADIUS', { timeout: 120_000 }, () => {
  for (const inner of ['pap', 'mschapv2', 'eap-mschapv2', 'eap-gtc', 'eap-md5']) {
    test(`EAP-TTLS with ${inner} inside the tunnel`, async () => {
      await connectAndPing(ttlsArgs(inner), { OUTPOST_PASSWORD: gw.user.password }, gw.user.name);
    });
  }

  for (const inner of ['pap', 'mschapv2']) {
    test(`EAP-TTLS with ${inner}: a wrong password is refused in words`, async () => {
      const result = await expectFailure(net, ttlsArgs(inner), { OUTPOST_PASSWORD: 'not-the-password' });
      assert.equal(result.code, 1, result.stderr);
      assert.equal(result.error?.code, 'password-rejected', JSON.stringify(result.error));
      assert.equal(result.error?.message, 'Your username or password was not accepted.');
    });
  }

  test('PEAPv0 with EAP-MSCHAPv2 inside the tunnel', async () => {
    const server = ['--eap-server-name', RADIUS_SERVER_NAME, '--eap-ca', gw.pki.rsaCaPem];
    const args = radiusArgs('eap-peap', ['--user', gw.user.name, ...server]);
    await connectAndPing(args, { OUTPOST_PASSWORD: gw.user.password }, gw.user.name);
  });

  test('PEAPv0: a wrong password is refused in words', async () => {
    const server = ['--eap-server-name', RADIUS_SERVER_NAME, '--eap-ca', gw.pki.rsaCaPem];
    const args = radiusArgs('eap-peap', ['--user', gw.user.name, ...server]);
    const result = await expectFailure(net, args, { OUTPOST_PASSWORD: 'not-the-password' });
    assert.equal(result.code, 1, result.stderr);
    assert.equal(result.error?.code, 'password-rejected', JSON.stringify(result.error));
    assert.equal(result.error?.message, 'Your username or password was not accepted.');
  });

  test('EAP-MSCHAPv2 checked by RADIUS', async () => {
    const args = radiusArgs('eap-mschapv2', ['--user', gw.user.name]);
    await connectAndPing(args, { OUTPOST_PASSWORD: gw.user.password }, gw.user.name);
  });

  test("EAP-TLS with the RADIUS server's own certificate and CA", async () => {
    const env = { OUTPOST_P12_PASSWORD: gw.eapTls!.passphrase };
    await connectAndPing(certificateArgs(gw.pki.rsaCaPem), env, gw.eapTls!.users.alice.id);
  });

  test("EAP-TLS refuses the RADIUS server's certificate when checked against the gateway's CA", async () => {
    const env = { OUTPOST_P12_PASSWORD: gw.eapTls!.passphrase };
    const result = await expectFailure(net, certificateArgs(gw.pki.ecdsaCaPem), env);
    assert.equal(result.code, 1, result.stderr);
    assert.equal(result.error?.code, 'untrusted-certificate', JSON.stringify(result.error));
  });
});
