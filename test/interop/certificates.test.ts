/**
 * Gateway certificates a client must refuse, each presented by the real strongSwan gateway in IKE_AUTH and each
 * refused with its own sentence (the certificate is checked before EAP starts): expired, not yet valid, signed with
 * SHA-1, an RSA-1024 key, and an extended key usage that does not allow a VPN gateway. (An intermediate without the CA
 * flag is refused in core/crypto/x509/path.test.ts: charon does not send a chain through a certificate that is not a
 * CA.)
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { type Gateway, startGateway } from '../support/gateway.js';
import { TestNetwork } from '../support/netns.js';
import { expectFailure } from './cli-process.js';

let net: TestNetwork;
let gw: Gateway;

before(async () => {
  net = await TestNetwork.create();
  gw = await startGateway(net, { certificateMatrix: true });
});

after(async () => {
  await gw?.stop();
  await net?.destroy();
});

const CASES: [name: string, sentence: RegExp][] = [
  ['expired', /^The gateway's certificate expired on 2021-01-01\.$/],
  ['future', /^The gateway's certificate is not valid before 2040-01-01; check that this computer's date and time/],
  ['sha1', /^The gateway's certificate is signed with SHA-1, which can be forged\./],
  ['rsa1024', /^The gateway's certificate uses an RSA key of 1024 bits, too short to be safe/],
  ['clientauth', /^The gateway's certificate is not meant for a VPN gateway/],
];

describe('certificates the gateway must not get away with', { timeout: 120_000 }, () => {
  for (const [name, sentence] of CASES) {
    test(`${name}: refused with its own sentence, no SA left at the gateway`, async () => {
      const args = ['--gateway', gw.address, '--gateway-id', `${name}.vpn.example.test`, '--ca', gw.pki.ecdsaCaPem];
      const result = await expectFailure(net, [...args, '--auth', 'eap-mschapv2', '--user', gw.user.name], {
        OUTPOST_PASSWORD: gw.user.password,
      });
      assert.equal(result.code, 1, result.stderr);
      assert.equal(result.error?.code, 'untrusted-certificate', JSON.stringify(result.error));
      assert.match(String(result.error?.message), sentence);
      assert.doesNotMatch(await gw.listSas(), new RegExp(`^${name}: .*ESTABLISHED`, 'm'));
    });
  }
});
