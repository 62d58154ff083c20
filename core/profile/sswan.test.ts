import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { isOutpostError } from '../errors.js';
import { DEFAULT_ESP_PROPOSALS, DEFAULT_IKE_PROPOSALS, parseProposalList } from '../ike/proposals.js';
import { parseSswanProfile } from './sswan.js';

const TESTDATA = join(import.meta.dirname, 'testdata');
const CA_PEM = readFileSync(join(TESTDATA, 'ca.pem'), 'utf8');
const CA_BASE64 = readFileSync(join(TESTDATA, 'ca.der')).toString('base64');

/** The smallest profile the Android app imports for a username/password gateway. */
function minimal(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    uuid: 'd8e3c4a0-5b7e-4c1f-9a2b-6e0f1d2c3b4a',
    name: 'Office',
    type: 'ikev2-eap',
    remote: { addr: '198.51.100.1', cert: CA_BASE64 },
    ...overrides,
  };
}

function refuses(json: unknown, code: 'profile-invalid' | 'unsupported', mentions: RegExp): void {
  assert.throws(
    () => parseSswanProfile(json),
    (e: unknown) => isOutpostError(e) && e.code === code && mentions.test(e.message),
  );
}

test('a full Android export maps onto the Profile', () => {
  const p = parseSswanProfile(JSON.parse(readFileSync(join(TESTDATA, 'office.sswan'), 'utf8')));
  assert.equal(p.name, 'Office (Android export)');
  assert.equal(p.uuid, 'd8e3c4a0-5b7e-4c1f-9a2b-6e0f1d2c3b4a');
  assert.deepEqual(p.gateway, {
    address: 'vpn.example.com',
    port: 4500,
    id: 'vpn.example.com',
    caCertificatesPem: CA_PEM,
  });
  assert.equal(p.auth, 'eap-mschapv2');
  assert.equal(p.username, 'alice');
  assert.equal(p.identity, undefined);
  assert.deepEqual(p.ikeProposalsText, ['aes256gcm16-prfsha384-ecp384']);
  assert.deepEqual(p.ikeProposals, parseProposalList('aes256gcm16-prfsha384-ecp384', 'ike'));
  assert.deepEqual(p.espProposals, parseProposalList('aes256gcm16-ecp384', 'esp'));
  assert.deepEqual(p.dnsServers, ['192.0.2.53', '2001:db8::53']);
  assert.equal(p.mtu, 1400);
  // 10.0.0.0/8 without 10.9.0.0/16, plus the range 192.0.2.10-11
  assert.deepEqual(p.splitSubnets, [
    '10.0.0.0/13',
    '10.8.0.0/16',
    '10.10.0.0/15',
    '10.12.0.0/14',
    '10.16.0.0/12',
    '10.32.0.0/11',
    '10.64.0.0/10',
    '10.128.0.0/9',
    '192.0.2.10/31',
  ]);
});

test('a minimal profile: port 500, default proposals, full tunnel; blank optional strings count as absent', () => {
  const p = parseSswanProfile(minimal({ 'ike-proposal': '', local: { eap_id: '', id: 'alice@example.com' } }));
  assert.equal(p.gateway.port, 500);
  assert.equal(p.gateway.id, undefined);
  assert.equal(p.username, undefined, 'the command line asks for it with --user');
  assert.equal(p.identity, 'alice@example.com');
  assert.deepEqual(p.ikeProposalsText, DEFAULT_IKE_PROPOSALS);
  assert.deepEqual(p.espProposalsText, DEFAULT_ESP_PROPOSALS);
  assert.deepEqual(p.splitSubnets, []);
  assert.deepEqual(p.dnsServers, []);
  assert.equal(p.mtu, undefined);
  // unknown and Android-only keys are ignored as the app ignores them
  assert.equal(parseSswanProfile(minimal({ 'future-key': { x: 1 }, 'excluded-apps': ['a'] })).name, 'Office');
});

test('only excluded subnets: everything else goes through the tunnel', () => {
  const p = parseSswanProfile(minimal({ 'split-tunneling': { excluded: ['192.168.0.0/16'] } }));
  assert.ok(!p.splitSubnets.includes('0.0.0.0/0'));
  assert.ok(p.splitSubnets.includes('::/0') && p.splitSubnets.includes('0.0.0.0/1'));
  assert.ok(p.splitSubnets.every((c) => !c.startsWith('192.168.')));
});

test('ikev2-eap-tls takes the PKCS#12 of local.p12 and the EAP identity of eap_id or local.id', () => {
  const p12 = Buffer.from([0x30, 0x82, 0x01, 0x00]).toString('base64');
  const profile = parseSswanProfile(minimal({ type: 'ikev2-eap-tls', local: { id: 'alice@example.test', p12 } }));
  assert.equal(profile.auth, 'eap-tls');
  assert.equal(profile.username, 'alice@example.test');
  assert.deepEqual(profile.clientPkcs12, Uint8Array.of(0x30, 0x82, 0x01, 0x00));
  refuses(
    minimal({ type: 'ikev2-eap-tls', local: { p12: 'AAAA' } }),
    'profile-invalid',
    /"local\.p12" must be a base64-encoded PKCS#12/,
  );
  refuses(minimal({ local: { eap_id: 'x', p12 } }), 'profile-invalid', /"local\.p12" is only used with ikev2-eap-tls/);
});

test('ikev2-cert takes the PKCS#12 of local.p12 and no EAP identity; IDi is local.id when given', () => {
  const p12 = Buffer.from([0x30, 0x82, 0x01, 0x00]).toString('base64');
  const profile = parseSswanProfile(minimal({ type: 'ikev2-cert', local: { p12 } }));
  assert.equal(profile.auth, 'cert');
  assert.equal(profile.username, undefined);
  assert.equal(profile.identity, undefined, "IDi is then the certificate's subject");
  assert.deepEqual(profile.clientPkcs12, Uint8Array.of(0x30, 0x82, 0x01, 0x00));
  const withId = parseSswanProfile(minimal({ type: 'ikev2-cert', local: { id: 'alice@example.test', p12 } }));
  assert.equal(withId.identity, 'alice@example.test');
});

test('types that need a certificate before EAP or TNC are refused as unsupported', () => {
  for (const type of ['ikev2-cert-eap', 'ikev2-byod-eap']) {
    refuses(minimal({ type }), 'unsupported', new RegExp(`profile type "${type}" is not supported`));
  }
  refuses(
    minimal({ type: 'ikev2-psk' }),
    'profile-invalid',
    /"type" is "ikev2-psk", which is not a known profile type/,
  );
});

test('settings whose loss would weaken security are refused, not ignored', () => {
  refuses(
    minimal({ remote: { addr: 'gw', cert: CA_BASE64, revocation: { strict: true } } }),
    'unsupported',
    /revocation/,
  );
  refuses(minimal({ 'split-tunneling': { 'block-ipv6': true } }), 'unsupported', /block IPv6 traffic/);
  refuses(minimal({ 'split-tunneling': { 'block-ipv4': true } }), 'unsupported', /block IPv4 traffic/);
  refuses(minimal({ remote: { addr: 'gw' } }), 'profile-invalid', /"remote\.cert" is required by Outpost/);
});

test('bad values name the .sswan field', () => {
  refuses('x', 'profile-invalid', /A \.sswan profile must be a JSON object/);
  refuses(minimal({ uuid: undefined }), 'profile-invalid', /The \.sswan field "uuid" is required/);
  refuses(minimal({ uuid: '1234' }), 'profile-invalid', /"uuid" must be a UUID/);
  refuses(minimal({ remote: undefined }), 'profile-invalid', /"remote" is required/);
  refuses(minimal({ remote: { cert: CA_BASE64 } }), 'profile-invalid', /"remote\.addr" is required/);
  refuses(
    minimal({ remote: { addr: 'gw', port: 70000, cert: CA_BASE64 } }),
    'profile-invalid',
    /"remote\.port" must be/,
  );
  refuses(
    minimal({ remote: { addr: 'gw', cert: 'not base64!' } }),
    'profile-invalid',
    /"remote\.cert" must be a base64/,
  );
  refuses(minimal({ remote: { addr: 'gw', cert: 'AAAA' } }), 'profile-invalid', /"remote\.cert": /);
  refuses(minimal({ remote: { addr: 'gw', cert: CA_BASE64, id: '%any' } }), 'profile-invalid', /"remote\.id": /);
  refuses(minimal({ local: { id: 'CN=' } }), 'profile-invalid', /"local\.id": /);
  refuses(minimal({ 'esp-proposal': 'aes256-x25519' }), 'profile-invalid', /"esp-proposal": .*integrity/);
  refuses(minimal({ 'dns-servers': ['192.0.2.1', 'x'] }), 'profile-invalid', /"dns-servers" must hold IP addresses/);
  refuses(minimal({ mtu: 1000 }), 'profile-invalid', /"mtu" must be a whole number from 1280 to 1500/);
  refuses(
    minimal({ 'split-tunneling': { subnets: 'not-a-net' } }),
    'profile-invalid',
    /"split-tunneling" has "not-a-net"/,
  );
});
