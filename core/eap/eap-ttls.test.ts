import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { EapTtlsMethod } from './eap-ttls.js';
import type { MethodCredentials } from './method.js';
import {
  generateAuthenticatorResponse,
  generateNtResponse,
  ntPasswordHash,
  userNameForChallenge,
} from './mschapv2-crypto.js';
import { Avp, decodeAvps, encodeAvps, MICROSOFT_VENDOR_ID } from './ttls-avp.js';
import {
  makeTestCertificates,
  runEapTlsConversation,
  SERVER_NAME,
  type TestCertificates,
  withoutContext,
} from './tls-test-support.js';

let certificates: TestCertificates;
before(() => {
  certificates = makeTestCertificates();
});

const PASSWORD = 'clientPass';
const user: MethodCredentials = {
  identity: 'alice',
  secret: () => PASSWORD,
  randomBytes: (length) => new Uint8Array(length).fill(0x21),
};

function ttls(inner: 'pap' | 'mschapv2'): EapTtlsMethod {
  const tls = { caPem: certificates.caPem, serverName: SERVER_NAME, clientCertificate: undefined };
  return new EapTtlsMethod(tls, inner, user, () => assert.fail('no inner EAP in this test'));
}

describe('EAP-TTLS peer against an in-process node:tls server', () => {
  it('sends User-Name and the padded User-Password inside the tunnel; both ends key with "ttls keying material"', async () => {
    let received: ReturnType<typeof decodeAvps> = [];
    const result = await runEapTlsConversation(ttls('pap'), {
      certificates,
      maxVersion: 'TLSv1.2',
      fragmentSize: 300,
      anonymousClient: true,
      mskLabel: 'ttls keying material',
      onApplicationData: (data) => {
        received = decodeAvps(data);
        return undefined;
      },
    });
    assert.equal(result.kind, 'success', JSON.stringify(result));
    if (result.kind !== 'success' || result.peer.kind !== 'success') return assert.fail(JSON.stringify(result));
    assert.deepEqual(result.peer.msk, result.serverMsk);
    assert.deepEqual(
      received.map((a) => [a.code, a.mandatory, Buffer.from(a.data).toString('latin1')]),
      [
        [Avp.USER_NAME, true, 'alice'],
        [Avp.USER_PASSWORD, true, `${PASSWORD}${'\0'.repeat(6)}`],
      ],
    );
  });

  it('answers MS-CHAPv2 with the challenge of "ttls challenge" and checks the server proves the password', async () => {
    const run = (tamper: boolean) =>
      runEapTlsConversation(ttls('mschapv2'), {
        certificates,
        maxVersion: 'TLSv1.2',
        fragmentSize: 4000,
        anonymousClient: true,
        mskLabel: 'ttls keying material',
        onApplicationData: (data, server) => {
          // RFC 5281 §11.2.4: the server derives the same 17 octets and checks the response against them
          const material = withoutContext(server)(17, 'ttls challenge');
          const avps = decodeAvps(data);
          const of = (code: number) => avps.find((a) => a.code === code && a.vendorId === MICROSOFT_VENDOR_ID)!.data;
          const challenge = of(Avp.MS_CHAP_CHALLENGE);
          const response = of(Avp.MS_CHAP2_RESPONSE);
          assert.deepEqual(challenge, new Uint8Array(material.subarray(0, 16)));
          assert.equal(response[0], material[16], 'Ident is the 17th octet');
          const peerChallenge = response.subarray(2, 18);
          const ntResponse = response.subarray(26, 50);
          const hash = ntPasswordHash(PASSWORD);
          const name = userNameForChallenge('alice');
          assert.deepEqual(ntResponse, new Uint8Array(generateNtResponse(challenge, peerChallenge, name, hash)));
          const proof = generateAuthenticatorResponse(hash, ntResponse, peerChallenge, challenge, name);
          if (tamper) proof[0]! ^= 1;
          const text = `S=${Buffer.from(proof).toString('hex').toUpperCase()}`;
          const success = Buffer.concat([Uint8Array.of(response[0]!), Buffer.from(text)]);
          return encodeAvps([
            { code: Avp.MS_CHAP2_SUCCESS, vendorId: MICROSOFT_VENDOR_ID, mandatory: true, data: success },
          ]);
        },
      });
    const good = await run(false);
    if (good.kind !== 'success' || good.peer.kind !== 'success') return assert.fail(JSON.stringify(good));
    assert.deepEqual(good.peer.msk, good.serverMsk);
    const forged = await run(true);
    assert.equal(forged.kind, 'success');
    if (forged.kind !== 'success') return;
    assert.equal(forged.peer.kind, 'failure');
    if (forged.peer.kind === 'failure') assert.equal(forged.peer.error.code, 'gateway-auth-invalid');
  });
});
