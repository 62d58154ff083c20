/**
 * The IKEv2 initiator against a real strongSwan gateway (kernel-libipsec) in network namespaces: the `outpost` CLI
 * connects with each authentication the gateway offers, and each way of failing gives its own clear error.
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { totpCode } from '../../core/secrets/totp.js';
import type { Gateway } from '../support/gateway.js';
import type { TestNetwork } from '../support/netns.js';
import { type CliEvent, expectFailure, loginArgs, OutpostProcess } from './cli-process.js';
import { gatewayForFile } from './with-gateway.js';

let net: TestNetwork;
let gw: Gateway;

gatewayForFile((madeNet, madeGw) => {
  net = madeNet;
  gw = madeGw;
});

function eapArgs(conn: 'ecdsa' | 'rsa' | 'totp', ca: string): string[] {
  return loginArgs(gw, { conn, ca });
}

/** Connects, checks the gateway's own view of the SAs, disconnects cleanly, checks they are gone. */
async function connectAndCheck(args: string[], env: NodeJS.ProcessEnv, conn: string): Promise<CliEvent> {
  const proc = OutpostProcess.start(net, args, env);
  const connected = await proc.waitFor('connected');
  assert.ok(connected, `not connected: ${JSON.stringify(proc.events)} ${proc.stderr}`);
  const sas = await gw.listSas();
  assert.match(sas, new RegExp(`^${conn}: #\\d+, ESTABLISHED, IKEv2`, 'm'), sas);
  assert.match(sas, /INSTALLED, TUNNEL/, sas);
  assert.equal(await proc.stop('SIGINT'), 0, proc.stderr);
  assert.ok(proc.events.some((e) => e.event === 'disconnected'));
  const after = await gw.listSas();
  assert.doesNotMatch(after, new RegExp(`^${conn}: #\\d+, ESTABLISHED`, 'm'), 'the IKE SA was not deleted');
  return connected;
}

describe('connects to strongSwan', () => {
  test('EAP-MSCHAPv2 with an ECDSA P-256 gateway certificate: virtual IP, DNS, split subnet', async () => {
    const c = await connectAndCheck(
      eapArgs('ecdsa', gw.pki.ecdsaCaPem),
      { OUTPOST_PASSWORD: gw.user.password },
      'ecdsa',
    );
    assert.match(String(c.virtualIp), /^203\.0\.113\.\d+$/);
    assert.deepEqual(c.dns, [gw.dns]);
    assert.ok((c.splitSubnets as string[]).includes(gw.splitSubnet), JSON.stringify(c));
    assert.deepEqual(c.remoteTs, [gw.splitSubnet]);
    assert.equal(c.gateway, gw.ids.ecdsa);
    assert.equal(c.natTraversal, true, 'kernel-libipsec fakes NAT: the client must float to 4500');
  });

  test('EAP-MSCHAPv2 with an RSA-2048 gateway certificate from another CA', async () => {
    const c = await connectAndCheck(eapArgs('rsa', gw.pki.rsaCaPem), { OUTPOST_PASSWORD: gw.user.password }, 'rsa');
    assert.equal(c.gateway, gw.ids.rsa);
  });

  test('PSK', async () => {
    const args = ['--gateway', gw.address, '--gateway-id', gw.ids.psk, '--auth', 'psk', '--identity', gw.pskClientId];
    const c = await connectAndCheck(args, { OUTPOST_PSK: gw.psk }, 'psk');
    assert.match(String(c.virtualIp), /^203\.0\.113\.\d+$/);
  });

  test('asymmetric (RFC 7296 §2.15): the gateway proves itself with a certificate, the client with the PSK', async () => {
    const args = ['--gateway', gw.address, '--gateway-id', gw.ids.ecdsa, '--ca', gw.pki.ecdsaCaPem, '--auth', 'psk'];
    const c = await connectAndCheck([...args, '--identity', gw.pskClientId], { OUTPOST_PSK: gw.psk }, 'asym');
    assert.equal(c.gateway, gw.ids.ecdsa);
    assert.match(String(c.gatewayCertificate), /CN=ecdsa\.vpn\.example\.test/);
    // the same certificate checked against a CA that did not sign it is refused, PSK or not
    const wrongCa = ['--gateway', gw.address, '--gateway-id', gw.ids.ecdsa, '--ca', gw.pki.rsaCaPem, '--auth', 'psk'];
    const refused = await expectFailure(net, [...wrongCa, '--identity', gw.pskClientId], { OUTPOST_PSK: gw.psk });
    assert.equal(refused.code, 1);
    assert.equal(refused.error?.code, 'untrusted-certificate');
  });

  test('two rounds: EAP-MSCHAPv2 then EAP-GTC with a TOTP code checked by PAM', async () => {
    const env = { OUTPOST_PASSWORD: gw.user.password, OUTPOST_TOTP_SECRET: gw.totpSecret };
    await connectAndCheck(eapArgs('totp', gw.pki.ecdsaCaPem), env, 'totp');
  });

  test('with each proposal family: CBC+HMAC with MODP-2048, ChaCha20-Poly1305 with P-384', async () => {
    // [offered IKE, offered ESP, negotiated IKE as printed (the PRF implied by sha384 made explicit)]
    for (const [ike, esp, printed] of [
      ['aes256-sha384-modp2048', 'aes128-sha256', 'aes256-sha384-prfsha384-modp2048'],
      ['chacha20poly1305-prfsha512-ecp384', 'chacha20poly1305', 'chacha20poly1305-prfsha512-ecp384'],
      ['aes128gcm16-prfsha256-ecp256', 'aes256gcm16', 'aes128gcm16-prfsha256-ecp256'],
    ] as const) {
      const args = [...eapArgs('ecdsa', gw.pki.ecdsaCaPem), '--ike', ike, '--esp', esp];
      const c = await connectAndCheck(args, { OUTPOST_PASSWORD: gw.user.password }, 'ecdsa');
      assert.equal(c.ike, printed);
      assert.equal(c.esp, esp);
    }
  });

  test('from a native JSON profile and from a strongSwan .sswan profile', async () => {
    const dir = gw.pki.dir;
    const native = join(dir, 'profile.json');
    writeFileSync(
      native,
      JSON.stringify({
        name: 'Test office',
        gateway: { address: gw.address, id: gw.ids.ecdsa, caFile: gw.pki.ecdsaCaPem },
        auth: 'eap-mschapv2',
        username: gw.user.name,
      }),
    );
    await connectAndCheck(['--profile', native], { OUTPOST_PASSWORD: gw.user.password }, 'ecdsa');

    const { readFileSync } = await import('node:fs');
    const { X509Certificate } = await import('node:crypto');
    const caDer = new X509Certificate(readFileSync(gw.pki.rsaCaPem)).raw.toString('base64');
    const sswan = join(dir, 'office.sswan');
    writeFileSync(
      sswan,
      JSON.stringify({
        uuid: '4f3c2c6a-2b1e-4d7a-9a57-0b6f3f1d2e11',
        name: 'Office (sswan)',
        type: 'ikev2-eap',
        remote: { addr: gw.address, id: gw.ids.rsa, cert: caDer },
        local: { eap_id: gw.user.name },
      }),
    );
    await connectAndCheck(['--profile', sswan], { OUTPOST_PASSWORD: gw.user.password }, 'rsa');
  });
});

describe('fails with a clear error', () => {
  const password = () => ({ OUTPOST_PASSWORD: gw.user.password });

  test('wrong password', async () => {
    const r = await expectFailure(net, eapArgs('ecdsa', gw.pki.ecdsaCaPem), { OUTPOST_PASSWORD: 'not-the-password' });
    assert.equal(r.code, 1, r.stderr);
    assert.equal(r.error?.code, 'password-rejected', JSON.stringify(r.error));
    assert.match(String(r.error?.message), /password was not accepted/);
  });

  test('wrong TOTP code', async () => {
    // a valid-looking code for a different secret
    const code = totpCode('JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP');
    const r = await expectFailure(net, eapArgs('totp', gw.pki.ecdsaCaPem), {
      OUTPOST_PASSWORD: gw.user.password,
      OUTPOST_OTP: code === totpCode(gw.totpSecret) ? '000000' : code,
    });
    assert.equal(r.code, 1, r.stderr);
    assert.equal(r.error?.code, 'otp-rejected', JSON.stringify(r.error));
    assert.match(String(r.error?.message), /code from your authenticator was rejected/);
  });

  test('a CA that did not sign the gateway certificate', async () => {
    const r = await expectFailure(net, eapArgs('ecdsa', gw.pki.otherCaPem), password());
    assert.equal(r.code, 1, r.stderr);
    assert.equal(r.error?.code, 'untrusted-certificate', JSON.stringify(r.error));
  });

  test('gateway identity mismatch', async () => {
    // no --gateway-id: the certificate must then be issued to the address dialled, and it is not
    const both = join(gw.pki.dir, 'both-cas.pem');
    const { readFileSync } = await import('node:fs');
    writeFileSync(both, readFileSync(gw.pki.ecdsaCaPem, 'utf8') + readFileSync(gw.pki.rsaCaPem, 'utf8'));
    const args = ['--gateway', gw.address, '--ca', both, '--auth', 'eap-mschapv2', '--user', gw.user.name];
    const r = await expectFailure(net, args, password());
    assert.equal(r.code, 1, r.stderr);
    assert.equal(r.error?.code, 'identity-mismatch', JSON.stringify(r.error));
  });

  test('without --gateway-id, a gateway dialled by host name must hold that name as a dNSName', async () => {
    // two names for the gateway's address; the gateway presents the certificate of ecdsa.vpn.example.test
    net.setClientHosts({ [gw.ids.ecdsa]: gw.address, 'other.vpn.example.test': gw.address });
    const dialling = (name: string) => ['--gateway', name, '--ca', gw.pki.ecdsaCaPem, '--auth', 'eap-mschapv2'];
    const c = await connectAndCheck([...dialling(gw.ids.ecdsa), '--user', gw.user.name], password(), 'ecdsa');
    assert.equal(c.gateway, gw.ids.ecdsa);
    const r = await expectFailure(net, [...dialling('other.vpn.example.test'), '--user', gw.user.name], password());
    assert.equal(r.code, 1, r.stderr);
    assert.equal(r.error?.code, 'identity-mismatch', JSON.stringify(r.error));
    assert.match(String(r.error?.message), /not issued to "other\.vpn\.example\.test", the address you connected to/);
  });

  test('no common proposal', async () => {
    const args = [...eapArgs('ecdsa', gw.pki.ecdsaCaPem), '--ike', 'aes192gcm16-prfsha384-ecp384'];
    const r = await expectFailure(net, args, password());
    assert.equal(r.code, 1, r.stderr);
    assert.equal(r.error?.code, 'no-proposal-chosen', JSON.stringify(r.error));
  });

  test('gateway not answering', async () => {
    const args = eapArgs('ecdsa', gw.pki.ecdsaCaPem).map((a) => (a === gw.address ? '192.0.2.77' : a));
    args.push('--timeout', '4');
    const started = Date.now();
    const r = await expectFailure(net, args, password());
    assert.equal(r.code, 1, r.stderr);
    assert.equal(r.error?.code, 'gateway-timeout', JSON.stringify(r.error));
    assert.ok(Date.now() - started < 15_000);
  });
});
