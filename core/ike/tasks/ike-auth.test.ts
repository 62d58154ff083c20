/**
 * AUTHENTICATION_FAILED means the user's secret was refused only once the gateway has proven who it is; before that it
 * may come from whoever answered IKE_SA_INIT (RFC 7296 §2.21.2), so it is a gateway error that does not end retrying.
 */
import assert from 'node:assert/strict';
import { randomBytes, verify } from 'node:crypto';
import { test } from 'node:test';
import { openPkcs12 } from '../../crypto/pkcs12.js';
import { parseDigitalSignatureAuth } from '../../crypto/signature.js';
import { certificateFields } from '../../crypto/x509/certificate.js';
import { makeTestCertificates, PFX_PASSPHRASE } from '../../eap/tls-test-support.js';
import { isOutpostError } from '../../errors.js';
import { AuthMethod, CertEncoding, HashAlgorithmId, IdType, NotifyType, PayloadType } from '../../iana.js';
import { isFinal } from '../../tunnel/reconnect-policy.js';
import type { AuthRound } from '../config.js';
import { findPayload, notify } from '../message/index.js';
import { establishedSa, testSessionConfig } from '../test-support.js';
import { IkeAuthTask } from './ike-auth.js';

function refusal(rounds: AuthRound[], sa = establishedSa()): unknown {
  const task = new IkeAuthTask(testSessionConfig({ rounds }), sa, () => {});
  task.build();
  try {
    task.process({
      header: undefined as never,
      payloads: [notify(NotifyType.AUTHENTICATION_FAILED)],
      raw: new Uint8Array(0),
    });
  } catch (error) {
    return error;
  }
  return undefined;
}

test('AUTHENTICATION_FAILED before the gateway proved itself is a gateway error, not a refused secret, and not final', () => {
  const psk = refusal([{ kind: 'psk', psk: Buffer.from('secret') }]);
  assert.ok(isOutpostError(psk));
  assert.equal(psk.code, 'gateway-error');
  assert.match(psk.message, /before proving who it is, so Outpost cannot tell whether your pre-shared key/);
  assert.equal(isFinal(psk), false);
  const eap = refusal([
    { kind: 'eap', method: 'mschapv2', identity: 'alice', secret: () => 'pw', secretKind: 'password' },
  ]);
  assert.ok(isOutpostError(eap));
  assert.equal(eap.code, 'gateway-error');
  assert.match(eap.message, /your password was wrong/);
});

test('a certificate round sends IDi, our certificates, CERTREQ and an RFC 7427 AUTH over our IKE_SA_INIT, Nr and prf(SK_pi, IDi)', async () => {
  const { clientPfx } = makeTestCertificates();
  const credential = await openPkcs12(clientPfx, PFX_PASSPHRASE);
  const sa = establishedSa();
  sa.initRequest = randomBytes(200);
  sa.nonceR = randomBytes(32);
  sa.peerSignatureHashes = [HashAlgorithmId.SHA2_256, HashAlgorithmId.SHA2_512];
  const localId = { idType: IdType.DER_ASN1_DN, data: certificateFields(credential.certificate).subjectDer };
  const config = testSessionConfig({ rounds: [{ kind: 'certificate', credential }], localId });
  const payloads = new IkeAuthTask(config, sa, () => {}).build();
  const types = payloads.map((p) => p.type);
  assert.deepEqual(types.slice(0, 2), [PayloadType.IDi, PayloadType.CERT]);
  assert.equal(types.at(-1), PayloadType.AUTH);
  const cert = findPayload(payloads, PayloadType.CERT)!;
  assert.equal(cert.encoding, CertEncoding.X509_SIGNATURE);
  assert.deepEqual(Buffer.from(cert.data), credential.certificate.raw);
  const auth = findPayload(payloads, PayloadType.AUTH)!;
  assert.equal(auth.method, AuthMethod.DIGITAL_SIGNATURE);
  // RFC 7296 §2.15 by hand: RealMessage1 | NonceRData | prf(SK_pi, IDType | RESERVED | InitIDData)
  const { prf } = sa.established.suite;
  const idBody = Buffer.concat([Buffer.of(IdType.DER_ASN1_DN, 0, 0, 0), localId.data]);
  const octets = Buffer.concat([sa.initRequest, sa.nonceR, prf.compute(sa.established.keys.skPi, idBody)]);
  const { scheme, signature } = parseDigitalSignatureAuth(auth.data);
  assert.deepEqual(scheme, { kind: 'ecdsa', hash: 'sha256' });
  assert.ok(verify('sha256', octets, { key: credential.certificate.publicKey, dsaEncoding: 'der' }, signature));
});

test('AUTHENTICATION_FAILED to our certificate says the certificate was refused and names it', async () => {
  const { clientPfx } = makeTestCertificates();
  const credential = await openPkcs12(clientPfx, PFX_PASSPHRASE);
  const sa = establishedSa();
  sa.peerSignatureHashes = [HashAlgorithmId.SHA2_256];
  const error = refusal([{ kind: 'certificate', credential }], sa);
  assert.ok(isOutpostError(error));
  assert.equal(error.code, 'authentication-failed');
  assert.match(error.message, /^The gateway did not accept your certificate \(CN=alice@example\.test\)/);
  assert.match(String(error.detail), /before the gateway's AUTH was verified/);
});
