/**
 * EAP-TLS (RFC 5216, RFC 9190) against strongSwan's own eap-tls server: the `outpost` CLI logs in with a user
 * certificate from a PKCS#12 file, and each refusal has its own sentence: a revoked certificate (the gateway's CRL),
 * an expired one (refused before connecting), a sign-in server certificate with another name or from another CA,
 * and a wrong PKCS#12 password.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Gateway } from '../support/gateway.js';
import type { TestNetwork } from '../support/netns.js';
import { expectFailure, OutpostProcess } from './cli-process.js';
import { sharedGateway, withGateway } from './with-gateway.js';

const shared = sharedGateway({ eapTls: { versionMax: '1.3' } });

type User = 'alice' | 'revoked' | 'expired';

function tlsArgs(gateway: Gateway, user: User, extra: string[] = []): string[] {
  const credentials = gateway.eapTls!;
  const { id, p12 } = credentials.users[user];
  return [
    '--gateway',
    gateway.address,
    '--gateway-id',
    gateway.ids.tls,
    '--ca',
    gateway.pki.ecdsaCaPem,
    '--auth',
    'eap-tls',
    '--user',
    id,
    '--cert',
    p12,
    ...extra,
  ];
}

function passwordEnv(gateway: Gateway): NodeJS.ProcessEnv {
  return { OUTPOST_P12_PASSWORD: gateway.eapTls!.passphrase };
}

/** Connects, pings the LAN host through the tunnel, checks the gateway's view, disconnects. */
async function connectAndPing(network: TestNetwork, gateway: Gateway, version: '1.2' | '1.3'): Promise<void> {
  const proc = OutpostProcess.start(network, tlsArgs(gateway, 'alice'), passwordEnv(gateway));
  let stopped = false;
  try {
    const connected = await proc.waitFor('connected');
    assert.ok(connected, `not connected: ${JSON.stringify(proc.events)} ${proc.stderr}`);
    assert.match(String(connected.virtualIp), /^203\.0\.113\.\d+$/);
    const sas = await gateway.listSas();
    assert.match(sas, /^tls: #\d+, ESTABLISHED, IKEv2/m, sas);
    assert.match(sas, /remote 'alice@example\.test'|EAP: 'alice@example\.test'/, sas);
    assert.match(await gateway.log(), new RegExp(`negotiated TLS ${version.replace('.', '\\.')}`));
    const ping = await network.exec(network.clientNs, ['ping', '-c', '2', '-W', '2', gateway.lanHost]);
    assert.equal(ping.code, 0, ping.stdout + ping.stderr);
    stopped = true;
    assert.equal(await proc.stop('SIGINT'), 0, proc.stderr);
  } finally {
    if (!stopped) await proc.stop('SIGINT');
  }
}

describe('EAP-TLS with strongSwan eap-tls (TLS up to 1.3)', { timeout: 120_000 }, () => {
  test('logs in over TLS 1.3 with the PKCS#12 certificate; traffic flows through the tunnel', async () => {
    await connectAndPing(shared.net, shared.gw, '1.3');
  });

  test('a revoked certificate: the gateway refuses it, and the user is told', async () => {
    const result = await expectFailure(shared.net, tlsArgs(shared.gw, 'revoked'), passwordEnv(shared.gw));
    assert.equal(result.code, 1, result.stderr);
    assert.equal(result.error?.code, 'authentication-failed', JSON.stringify(result.error));
    assert.match(String(result.error?.message), /refused your certificate|did not accept your certificate/);
    assert.match(await shared.gw.log(), /revoked/i);
  });

  test('an expired certificate is refused before connecting, with its date', async () => {
    const result = await expectFailure(shared.net, tlsArgs(shared.gw, 'expired'), passwordEnv(shared.gw));
    // exit code 2: refused while reading the configuration and secrets, before any packet
    assert.equal(result.code, 2, result.stderr);
    assert.match(String(result.error?.message), /^Your certificate expired on 2021-01-01\. Ask IT for a new one\.$/);
  });

  test('a sign-in server certificate for another name is refused', async () => {
    const args = tlsArgs(shared.gw, 'alice', ['--eap-server-name', 'radius.example.test']);
    const result = await expectFailure(shared.net, args, passwordEnv(shared.gw));
    assert.equal(result.code, 1, result.stderr);
    assert.equal(result.error?.code, 'identity-mismatch', JSON.stringify(result.error));
    assert.match(
      String(result.error?.message),
      /sign-in server's certificate is not issued to "radius\.example\.test"/,
    );
  });

  test('a sign-in server certificate from another CA is refused', async () => {
    const args = tlsArgs(shared.gw, 'alice', ['--eap-ca', shared.gw.pki.otherCaPem]);
    const result = await expectFailure(shared.net, args, passwordEnv(shared.gw));
    assert.equal(result.code, 1, result.stderr);
    assert.equal(result.error?.code, 'untrusted-certificate', JSON.stringify(result.error));
    assert.match(String(result.error?.message), /not issued by your organisation's certificate authority/);
  });

  test('a wrong PKCS#12 password is said before connecting', async () => {
    const result = await expectFailure(shared.net, tlsArgs(shared.gw, 'alice'), { OUTPOST_P12_PASSWORD: 'not-it' });
    assert.equal(result.code, 2, result.stderr);
    assert.equal(result.error?.code, 'profile-invalid');
    assert.match(String(result.error?.message), /password of your certificate file \(PKCS#12\) is wrong/);
  });
});

describe('EAP-TLS with strongSwan eap-tls limited to TLS 1.2', { timeout: 120_000 }, () => {
  test('logs in; the MSK of RFC 5216 keys the AUTH payloads', async () => {
    await withGateway({ eapTls: { versionMax: '1.2' } }, (network, gateway) => connectAndPing(network, gateway, '1.2'));
  });
});
