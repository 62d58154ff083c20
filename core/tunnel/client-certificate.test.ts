import assert from 'node:assert/strict';
import { test } from 'node:test';
import { makeTestCertificates, PFX_PASSPHRASE } from '../eap/tls-test-support.js';
import { IdType } from '../iana.js';
import type { Profile } from '../profile/types.js';
import { openClientCertificate } from './client-certificate.js';
import { sessionConfig } from './session-config.js';

const certificates = makeTestCertificates();
const local = { address: '192.0.2.10', port: 500 };
const remote = { address: '192.0.2.1', port: 500 };

function certProfile(identity: string | undefined): Profile {
  return {
    name: 'Office',
    uuid: undefined,
    gateway: { address: 'vpn.example.test', port: 500, id: undefined, caCertificatesPem: certificates.caPem },
    auth: 'cert',
    username: undefined,
    identity,
    ikeProposals: [],
    espProposals: [],
    ikeProposalsText: [],
    espProposalsText: [],
    splitSubnets: [],
    dnsServers: [],
    mtu: undefined,
  };
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
