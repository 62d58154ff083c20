/**
 * IKEv2 certificate authentication of the client (RFC 7296 §2.15, RFC 7427 signatures, no EAP) against strongSwan:
 * the `outpost` CLI signs with the key of a PKCS#12 file, ECDSA and RSA; a certificate from a CA the gateway does not
 * trust is refused in words; an expired one and a wrong PKCS#12 password are said before connecting.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Gateway } from '../support/gateway.js';
import { expectFailure, OutpostProcess } from './cli-process.js';
import { sharedGateway } from './with-gateway.js';

const shared = sharedGateway({ clientCert: true });

type User = 'ecdsa' | 'rsa' | 'other' | 'expired';

function certArgs(gateway: Gateway, user: User): string[] {
  return [
    '--gateway',
    gateway.address,
    '--gateway-id',
    gateway.ids.cert,
    '--ca',
    gateway.pki.ecdsaCaPem,
    '--auth',
    'cert',
    '--cert',
    gateway.clientCert!.users[user].p12,
  ];
}

function passwordEnv(gateway: Gateway): NodeJS.ProcessEnv {
  return { OUTPOST_P12_PASSWORD: gateway.clientCert!.passphrase };
}

describe('IKEv2 certificate authentication with strongSwan (auth = pubkey)', { timeout: 120_000 }, () => {
  for (const user of ['ecdsa', 'rsa'] as const) {
    test(`signs in with an ${user.toUpperCase()} user certificate; traffic flows through the tunnel`, async () => {
      const { net, gw } = shared;
      const proc = OutpostProcess.start(net, certArgs(gw, user), passwordEnv(gw));
      let stopped = false;
      try {
        const connected = await proc.waitFor('connected');
        assert.ok(connected, `not connected: ${JSON.stringify(proc.events)} ${proc.stderr}`);
        const sas = await gw.listSas();
        assert.match(sas, /^cert: #\d+, ESTABLISHED, IKEv2/m, sas);
        // the gateway knows us by the certificate's subject DN, which we sent as IDi
        assert.ok(sas.includes(`remote '${gw.clientCert!.users[user].subject}'`), sas);
        const log = await gw.log();
        assert.match(
          log,
          new RegExp(
            `authentication of '[^']*${user}-user@example\\.test' with ${user === 'ecdsa' ? 'ECDSA' : 'RSA'}[^\\n]* successful`,
          ),
        );
        const ping = await net.exec(net.clientNs, ['ping', '-c', '2', '-W', '2', gw.lanHost]);
        assert.equal(ping.code, 0, ping.stdout + ping.stderr);
        stopped = true;
        assert.equal(await proc.stop('SIGINT'), 0, proc.stderr);
      } finally {
        if (!stopped) await proc.stop('SIGINT');
      }
    });
  }

  test('a certificate from a CA the gateway does not trust: refused, and the user is told', async () => {
    const result = await expectFailure(shared.net, certArgs(shared.gw, 'other'), passwordEnv(shared.gw));
    assert.equal(result.code, 1, result.stderr);
    assert.equal(result.error?.code, 'authentication-failed', JSON.stringify(result.error));
    assert.match(
      String(result.error?.message),
      /^The gateway did not accept your certificate \(.*CN=other-user@example\.test\): it may be issued by a CA the gateway does not trust, or revoked\. Ask IT\.$/,
    );
    // refused for its issuer, not for anything else in the exchange
    assert.match(await shared.gw.log(), /no trusted ECDSA public key found for '[^']*other-user@example\.test'/);
  });

  test('an expired certificate is refused before connecting, with its date', async () => {
    const result = await expectFailure(shared.net, certArgs(shared.gw, 'expired'), passwordEnv(shared.gw));
    // exit code 2: refused while reading the configuration and secrets, before any packet
    assert.equal(result.code, 2, result.stderr);
    assert.match(String(result.error?.message), /^Your certificate expired on 2021-01-01\. Ask IT for a new one\.$/);
    assert.doesNotMatch(await shared.gw.log(), /expired-user@example\.test/);
  });

  test('a wrong PKCS#12 password is said before connecting', async () => {
    const result = await expectFailure(shared.net, certArgs(shared.gw, 'ecdsa'), { OUTPOST_P12_PASSWORD: 'not-it' });
    assert.equal(result.code, 2, result.stderr);
    assert.equal(result.error?.code, 'profile-invalid');
    assert.match(String(result.error?.message), /password of your certificate file \(PKCS#12\) is wrong/);
  });
});
