import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { test } from 'node:test';
import { makeTestCertificates, PFX_PASSPHRASE } from '../eap/tls-test-support.js';
import { IdType } from '../iana.js';
import { parseSswanProfile } from '../profile/sswan.js';
import type { Profile } from '../profile/types.js';
import { openClientCertificate } from './client-certificate.js';
import { sessionConfig } from './session-config.js';

const certificates = makeTestCertificates();
const local = { address: '192.0.2.10', port: 500 };
const remote = { address: '192.0.2.1', port: 500 };

/** Through the .sswan importer, as a profile of this kind arrives. */
function certProfile(identity: string | undefined): Profile {
  const cert = new X509Certificate(certificates.caPem).raw.toString('base64');
  const local = identity === undefined ? {} : { id: identity };
  const uuid = 'd8e3c4a0-5b7e-4c1f-9a2b-6e0f1d2c3b4a';
  return parseSswanProfile({
    uuid,
    name: 'Office',
    type: 'ikev2-cert',
    remote: { addr: 'vpn.example.test', cert },
    local,
  });
}

test('cert: the key is taken out of the PKCS#12; IDi is the certificate subject as a DER DN unless the profile names one', async () => {
  const opened = await openClientCertificate('cert', certificates.clientPfx, PFX_PASSPHRASE, new Date());
  assert.ok(opened.signingCredential);
  const config = sessionConfig(
    certProfile(undefined),
    { ...opened, password: undefined, psk: undefined, oneTimeCode: undefined },
    local,
    remote,
  );
  assert.equal(config.localId.idType, IdType.DER_ASN1_DN);
  // SEQUENCE { SET { SEQUENCE { OID 2.5.4.3 (CN), UTF8String "alice@example.test" } } } as openssl encodes it
  assert.equal(
    Buffer.from(config.localId.data).toString('hex'),
    `301d311b301906035504030c12${Buffer.from('alice@example.test').toString('hex')}`,
  );
  assert.deepEqual(config.rounds, [{ kind: 'certificate', credential: opened.signingCredential }]);
  const named = sessionConfig(
    certProfile('alice@example.test'),
    { ...opened, password: undefined, psk: undefined, oneTimeCode: undefined },
    local,
    remote,
  );
  assert.equal(named.localId.idType, IdType.RFC822_ADDR);
});

test('eap-tls keeps the PKCS#12 for TLS and takes no key out of it', async () => {
  const opened = await openClientCertificate('eap-tls', certificates.clientPfx, PFX_PASSPHRASE, new Date());
  assert.equal(opened.signingCredential, undefined);
  assert.deepEqual(opened.clientCertificate, { pfx: certificates.clientPfx, passphrase: PFX_PASSPHRASE });
});

test('an expired certificate is refused before connecting, with its date', async () => {
  const later = new Date(Date.now() + 10 * 365 * 86_400_000);
  await assert.rejects(
    openClientCertificate('cert', certificates.clientPfx, PFX_PASSPHRASE, later),
    /^OutpostError: Your certificate expired on \d{4}-\d\d-\d\d\. Ask IT for a new one\.$/,
  );
});
