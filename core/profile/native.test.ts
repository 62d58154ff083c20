import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { isOutpostError } from '../errors.js';
import { DhGroupId, EncrId, EsnId, IntegId, PrfId, TransformType as T } from '../iana.js';
import { DEFAULT_ESP_PROPOSALS, DEFAULT_IKE_PROPOSALS, parseProposalList } from '../ike/proposals.js';
import { parseNativeProfile } from './native.js';

const TESTDATA = join(import.meta.dirname, 'testdata');
const CA_PEM = readFileSync(join(TESTDATA, 'ca.pem'), 'utf8');

function minimal(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    name: 'Office',
    gateway: { address: '198.51.100.1', ca: CA_PEM },
    auth: 'eap-mschapv2',
    username: 'alice',
    ...overrides,
  };
}

function refuses(json: unknown, mentions: RegExp): void {
  assert.throws(
    () => parseNativeProfile(json, TESTDATA),
    (e: unknown) => isOutpostError(e) && e.code === 'profile-invalid' && mentions.test(e.message),
  );
}

test('the complete example from FORMAT.md parses into every Profile field', () => {
  const format = readFileSync(join(import.meta.dirname, 'FORMAT.md'), 'utf8');
  const documented: unknown = JSON.parse(/```json\n([^`]*)```/.exec(format)?.[1] ?? '');
  const json: unknown = JSON.parse(readFileSync(join(TESTDATA, 'office.json'), 'utf8'));
  assert.deepEqual(documented, json, 'FORMAT.md and testdata/office.json must show the same profile');
  const p = parseNativeProfile(json, TESTDATA);
  assert.equal(p.name, 'Office');
  assert.equal(p.uuid, '6f1c3f0e-2a47-4d0c-9b8e-3f1d2c4b5a69');
  assert.deepEqual(p.gateway.address, 'vpn.example.com');
  assert.equal(p.gateway.port, 500);
  assert.equal(p.gateway.id, 'vpn.example.com');
  assert.equal(new X509Certificate(p.gateway.caCertificatesPem!).subject, 'C=CH\nO=Outpost Test\nCN=Outpost Test CA');
  assert.equal(p.auth, 'eap-mschapv2+totp');
  assert.equal(p.username, 'alice');
  assert.equal(p.identity, 'alice@example.com');
  assert.deepEqual(p.ikeProposalsText, ['aes256gcm16-prfsha256-x25519', 'aes256-sha256-modp2048']);
  assert.deepEqual(p.ikeProposals[0], [
    { type: T.ENCR, id: EncrId.AES_GCM_16, keyLength: 256 },
    { type: T.PRF, id: PrfId.HMAC_SHA2_256 },
    { type: T.DH, id: DhGroupId.CURVE25519 },
  ]);
  assert.deepEqual(p.espProposalsText, ['aes256gcm16', 'aes256-sha256-esn']);
  assert.deepEqual(p.espProposals[1], [
    { type: T.ENCR, id: EncrId.AES_CBC, keyLength: 256 },
    { type: T.INTEG, id: IntegId.HMAC_SHA2_256_128 },
    { type: T.ESN, id: EsnId.YES },
  ]);
  // host bits are cleared
  assert.deepEqual(p.splitSubnets, ['10.0.0.0/8', '198.51.100.0/24']);
  assert.deepEqual(p.dnsServers, ['10.0.0.53']);
  assert.equal(p.mtu, 1400);
});

test('a minimal EAP profile gets the defaults', () => {
  const p = parseNativeProfile(minimal(), '/nonexistent');
  assert.equal(p.uuid, undefined);
  assert.equal(p.gateway.port, 500);
  assert.equal(p.gateway.id, undefined);
  assert.equal(p.identity, undefined);
  assert.deepEqual(p.ikeProposalsText, DEFAULT_IKE_PROPOSALS);
  assert.deepEqual(p.ikeProposals, parseProposalList(DEFAULT_IKE_PROPOSALS, 'ike'));
  assert.deepEqual(p.espProposals, parseProposalList(DEFAULT_ESP_PROPOSALS, 'esp'));
  assert.deepEqual(p.splitSubnets, []);
  assert.deepEqual(p.dnsServers, []);
  assert.equal(p.mtu, undefined);
});

test('PSK profiles need no username and no CA', () => {
  const p = parseNativeProfile(
    { name: 'Lab', gateway: { address: 'gw.lab', port: 4500, id: '@gw.lab' }, auth: 'psk', identity: 'client.lab' },
    TESTDATA,
  );
  assert.equal(p.auth, 'psk');
  assert.equal(p.username, undefined);
  assert.equal(p.gateway.caCertificatesPem, undefined);
  assert.equal(p.gateway.port, 4500);
  assert.equal(p.identity, 'client.lab');
});

test('the CA may be given inline, as a path relative to the profile, absolute, or DER', () => {
  const inline = parseNativeProfile(minimal(), TESTDATA).gateway.caCertificatesPem;
  const relative = parseNativeProfile(minimal({ gateway: { address: 'gw', caFile: 'ca.pem' } }), TESTDATA);
  const absolute = parseNativeProfile(
    minimal({ gateway: { address: 'gw', caFile: join(TESTDATA, 'ca.pem') } }),
    '/nonexistent',
  );
  const der = parseNativeProfile(minimal({ gateway: { address: 'gw', caFile: 'ca.der' } }), TESTDATA);
  assert.equal(relative.gateway.caCertificatesPem, inline);
  assert.equal(absolute.gateway.caCertificatesPem, inline);
  assert.equal(der.gateway.caCertificatesPem, inline);
  // several certificates in one PEM text are all kept
  const two = parseNativeProfile(minimal({ gateway: { address: 'gw', ca: CA_PEM + CA_PEM } }), TESTDATA);
  assert.equal(two.gateway.caCertificatesPem, inline! + inline!);
});

test('wrong types, unknown keys and bad values name the field', () => {
  refuses([], /A profile must be a JSON object/);
  refuses(minimal({ colour: 'blue' }), /Profile field "colour" is not a known setting/);
  refuses(minimal({ gateway: { address: 'gw', ca: CA_PEM, prot: 500 } }), /"gateway\.prot" is not a known setting/);
  refuses(minimal({ name: 7 }), /"name" must be a string/);
  refuses(minimal({ name: '  ' }), /"name" must not be empty/);
  refuses(minimal({ name: undefined }), /"name" is required/);
  refuses(minimal({ version: 2 }), /"version" is 2/);
  refuses(minimal({ uuid: 'not-a-uuid' }), /"uuid" must be a UUID/);
  refuses(minimal({ gateway: undefined }), /"gateway" is required/);
  refuses(minimal({ gateway: 'gw' }), /"gateway" must be an object/);
  refuses(minimal({ gateway: { ca: CA_PEM } }), /"gateway\.address" is required/);
  refuses(minimal({ gateway: { address: 'bad host!', ca: CA_PEM } }), /"gateway\.address" must be a host name/);
  for (const port of [0, 65536, 1.5, '500']) {
    refuses(
      minimal({ gateway: { address: 'gw', port, ca: CA_PEM } }),
      /"gateway\.port" must be a whole number from 1 to 65535/,
    );
  }
  refuses(minimal({ gateway: { address: 'gw', id: '%any', ca: CA_PEM } }), /"gateway\.id": The identity "%any"/);
  refuses(
    minimal({ auth: 'eap-aka' }),
    /"auth" must be one of psk, eap-mschapv2, eap-gtc, eap-md5, eap-mschapv2\+totp, eap-tls, eap-ttls, eap-peap/,
  );
  refuses(
    minimal({ eapServerName: 'radius.example.test' }),
    /"eapServerName" is only used with eap-tls, eap-ttls and eap-peap/,
  );
  refuses(minimal({ pkcs12File: 'user.p12' }), /"pkcs12File" is only used with eap-tls/);
  refuses(minimal({ ttlsInner: 'pap' }), /"ttlsInner" is only used with eap-ttls/);
  refuses(minimal({ auth: 'eap-ttls', ttlsInner: 'chap' }), /"ttlsInner" must be one of pap, mschapv2, eap-mschapv2/);
  refuses(
    minimal({ auth: 'eap-tls', pkcs12File: '/nonexistent/user.p12' }),
    /"pkcs12File".*could not be read \(ENOENT\)/,
  );
  refuses(minimal({ auth: 'eap-tls', eapServerName: 'bad name!' }), /"eapServerName"/);
  refuses(minimal({ username: undefined }), /"username" is required for eap-mschapv2/);
  refuses(
    { ...minimal({ auth: 'psk', username: 'x' }), gateway: { address: 'gw' } },
    /"username" is only used with EAP/,
  );
  refuses(minimal({ gateway: { address: 'gw' } }), /"gateway\.ca" is required for EAP/);
  // RFC 7296 §2.15: the gateway may prove itself with a certificate while we use the pre-shared key
  assert.equal(
    parseNativeProfile(minimal({ auth: 'psk', username: undefined }), TESTDATA).gateway.caCertificatesPem,
    CA_PEM,
  );
  refuses(
    minimal({ gateway: { address: 'gw', ca: CA_PEM, caFile: 'ca.pem' } }),
    /"gateway\.caFile" cannot be given together/,
  );
  refuses(minimal({ gateway: { address: 'gw', ca: 'hello' } }), /"gateway\.ca": No certificate was found/);
  refuses(
    minimal({ gateway: { address: 'gw', ca: CA_PEM.replace(/[A-Za-z]{8}\n/, 'AAAA\n') } }),
    /"gateway\.ca": The certificate file is damaged/,
  );
  refuses(
    minimal({ gateway: { address: 'gw', caFile: 'missing.pem' } }),
    /"gateway\.caFile": the file ".*missing\.pem" could not be read \(ENOENT\)/,
  );
  refuses(
    minimal({ gateway: { address: 'gw', caFile: 'office.json' } }),
    /"gateway\.caFile": the file ".*office\.json" holds no certificate/,
  );
  refuses(minimal({ identity: 'C=CH, XX=y' }), /"identity": The identity "C=CH, XX=y" uses "XX"/);
  refuses(minimal({ ike: 'aes256-md5-x25519' }), /"ike": The IKE proposal "aes256-md5-x25519" contains "md5"/);
  refuses(minimal({ ike: [] }), /"ike": The list of IKE proposals is empty/);
  refuses(minimal({ esp: 42 }), /"esp" must be a string or an array of strings/);
  refuses(minimal({ esp: ['aes256gcm16', ''] }), /"esp" must hold non-empty strings \(item 2 is not\)/);
  refuses(
    minimal({ splitSubnets: ['10.0.0.0/8', '10.0.0.0/40'] }),
    /"splitSubnets": "10\.0\.0\.0\/40" is not a valid subnet/,
  );
  refuses(minimal({ splitSubnets: '10.0.0.0/8' }), /"splitSubnets" must be an array of strings/);
  refuses(minimal({ dnsServers: ['dns.example.com'] }), /"dnsServers" must hold IP addresses \("dns\.example\.com"/);
  refuses(minimal({ mtu: 9000 }), /"mtu" must be a whole number from 1280 to 1500/);
});
