import assert from 'node:assert/strict';
import { test } from 'node:test';
import { fromHex } from '../../test/support/hex.js';
import { isOutpostError } from '../errors.js';
import { IdType } from '../ike/message/constants.js';
import { formatIdentity, parseIdentity } from './identity.js';

const bytes = (text: string): Uint8Array => new TextEncoder().encode(text);

function refuses(text: string, mentions: RegExp): void {
  assert.throws(
    () => parseIdentity(text),
    (e: unknown) => isOutpostError(e) && e.code === 'profile-invalid' && mentions.test(e.message),
  );
}

test('addresses, host names and email addresses', () => {
  assert.deepEqual(parseIdentity('192.0.2.1'), { idType: IdType.IPV4_ADDR, data: Uint8Array.from([192, 0, 2, 1]) });
  assert.deepEqual(parseIdentity('2001:db8::1'), {
    idType: IdType.IPV6_ADDR,
    data: fromHex('20010db8000000000000000000000001'),
  });
  assert.deepEqual(parseIdentity('vpn.example.com'), { idType: IdType.FQDN, data: bytes('vpn.example.com') });
  assert.deepEqual(parseIdentity('alice'), { idType: IdType.FQDN, data: bytes('alice') });
  assert.deepEqual(parseIdentity('alice@example.com'), {
    idType: IdType.RFC822_ADDR,
    data: bytes('alice@example.com'),
  });
  assert.deepEqual(parseIdentity('  alice@example.com '), parseIdentity('alice@example.com'));
});

test("strongSwan's @ forms and type prefixes", () => {
  assert.deepEqual(parseIdentity('@vpn.example.com'), { idType: IdType.FQDN, data: bytes('vpn.example.com') });
  assert.deepEqual(parseIdentity('@@alice@example.com'), {
    idType: IdType.RFC822_ADDR,
    data: bytes('alice@example.com'),
  });
  assert.deepEqual(parseIdentity('@#0a0B'), { idType: IdType.KEY_ID, data: Uint8Array.from([0x0a, 0x0b]) });
  assert.deepEqual(parseIdentity('fqdn:192.0.2.1'), { idType: IdType.FQDN, data: bytes('192.0.2.1') });
  assert.deepEqual(parseIdentity('dns:gw'), { idType: IdType.FQDN, data: bytes('gw') });
  assert.deepEqual(parseIdentity('email:bob'), { idType: IdType.RFC822_ADDR, data: bytes('bob') });
  assert.deepEqual(parseIdentity('RFC822:bob@x'), { idType: IdType.RFC822_ADDR, data: bytes('bob@x') });
  assert.deepEqual(parseIdentity('ipv4:198.51.100.7'), {
    idType: IdType.IPV4_ADDR,
    data: Uint8Array.from([198, 51, 100, 7]),
  });
  assert.deepEqual(parseIdentity('keyid:#0102'), { idType: IdType.KEY_ID, data: Uint8Array.from([1, 2]) });
  assert.deepEqual(parseIdentity('keyid:abc'), { idType: IdType.KEY_ID, data: bytes('abc') });
  assert.deepEqual(parseIdentity('asn1dn:CN=gw').data, parseIdentity('CN=gw').data);
  assert.deepEqual(parseIdentity(`asn1dn:#${Buffer.from(parseIdentity('CN=gw').data).toString('hex')}`), {
    idType: IdType.DER_ASN1_DN,
    data: parseIdentity('CN=gw').data,
  });
});

test('a distinguished name is DER-encoded byte for byte as strongSwan does', () => {
  // Subject DER of a certificate made by strongSwan 5.9.8 `pki --self --dn "<the text below>"` on this machine:
  // PrintableString where possible, UTF8String for "Réseau", IA5String for E.
  const strongSwanDer = fromHex(
    '3081af310b300906035504061302434831133011060355040a130a7374726f6e675377616e3110300e060355040b0c0752c3a973' +
      '656175311c301a060355040313136d6f6f6e2e7374726f6e677377616e2e6f72673123302106092a864886f70d01090116146164' +
      '6d696e407374726f6e677377616e2e6f726731133011060a0992268993f22c64011913036f7267310d300b060355040513043132' +
      '333431123010060a0992268993f22c64010113027531',
  );
  const text =
    'C=CH, O=strongSwan, OU=Réseau, CN=moon.strongswan.org, E=admin@strongswan.org, DC=org, serialNumber=1234, UID=u1';
  assert.deepEqual(parseIdentity(text), { idType: IdType.DER_ASN1_DN, data: strongSwanDer });
  // the OpenSSL-style slash form and attribute names in any case give the same DN
  assert.deepEqual(
    parseIdentity(
      '/c=CH/o=strongSwan/ou=Réseau/cn=moon.strongswan.org/emailAddress=admin@strongswan.org/dc=org/SERIALNUMBER=1234/uid=u1',
    ).data,
    strongSwanDer,
  );
  assert.equal(
    formatIdentity(IdType.DER_ASN1_DN, strongSwanDer),
    'C=CH, O=strongSwan, OU=Réseau, CN=moon.strongswan.org, E=admin@strongswan.org, DC=org, serialNumber=1234, UID=u1',
  );
});

test('a DN value may contain "=" and a long DN gets a long-form length', () => {
  const id = parseIdentity('CN=a=b');
  assert.equal(formatIdentity(id.idType, id.data), 'CN=a=b');
  const long = `CN=${'x'.repeat(300)}`;
  const encoded = parseIdentity(long).data;
  assert.deepEqual([...encoded.subarray(0, 4)], [0x30, 0x82, 0x01, 0x3d]);
  assert.equal(formatIdentity(IdType.DER_ASN1_DN, encoded), long);
});

test('refused identities name the problem', () => {
  refuses('', /empty/);
  refuses('%any', /wildcard/);
  refuses('0.0.0.0', /wildcard/);
  refuses('ipv6:::', /wildcard/);
  refuses('C=CH, XX=1', /"XX".*not a supported name attribute/);
  refuses('C=CH,,CN=x', /NAME=value/);
  refuses('CN=', /NAME=value/);
  refuses('E=ädmin@x, CN=a', /non-ASCII/);
  refuses('@#abc', /hex digits/);
  refuses('keyid:#zz', /hex digits/);
  refuses('asn1dn:#0102', /DER-encoded distinguished name/);
  refuses('ipv4:2001:db8::1', /not an IPv4 address/);
  refuses('fqdn:', /nothing after/);
  refuses('host:500', /neither an IPv6 address nor a host name/);
});

test('formatIdentity shows every type and never throws on bytes from a peer', () => {
  for (const text of ['192.0.2.1', '2001:db8::1', 'vpn.example.com', 'alice@example.com', '@#00ff']) {
    const id = parseIdentity(text);
    assert.equal(formatIdentity(id.idType, id.data), text);
  }
  assert.equal(formatIdentity(IdType.FQDN, bytes('evil\n\x1b[31mhost')), 'evil??[31mhost');
  assert.equal(formatIdentity(IdType.DER_ASN1_DN, fromHex('3005')), '(invalid distinguished name)');
  assert.equal(formatIdentity(IdType.IPV4_ADDR, Uint8Array.from([1, 2, 3])), '(invalid IP address identity)');
  assert.equal(formatIdentity(IdType.DER_ASN1_GN, Uint8Array.from([1, 2])), '(identity of type 10, 2 bytes)');
  assert.equal(formatIdentity(IdType.DER_ASN1_DN, fromHex('3007310530030601' + '2a')), '(invalid distinguished name)');
  // an unknown attribute type is shown by its OID; BMPString and T61String values are decoded
  const good = fromHex('301d310c300a06032a03040c03616263310d300b060355040a1e0400c400e9');
  assert.equal(formatIdentity(IdType.DER_ASN1_DN, good), '1.2.3.4=abc, O=Äé');
  const t61 = fromHex('300e310c300a060355040314036ce974');
  assert.equal(formatIdentity(IdType.DER_ASN1_DN, t61), 'CN=lét');
});
