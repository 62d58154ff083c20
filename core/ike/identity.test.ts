import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { after, before, describe, it, test } from 'node:test';
import { fromHex } from '../../test/support/hex.js';
import { parseCertificateDer, subjectPublicKeyInfoSha1 } from '../crypto/x509/certificate.js';
import { cert, fixtureFile, makeCertificates, removeCertificates, run } from '../crypto/x509/test-support.js';
import { DecodeError, isOutpostError } from '../errors.js';
import { IdType } from '../iana.js';
import { certificateMatchesIdentity, dialledIdentity, formatIdentity, parseIdentity } from './identity.js';

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

before(makeCertificates);
after(removeCertificates);

/** The DER of the certificate's subject Name, cut out at the offsets `openssl asn1parse` reports. */
function subjectDer(name: string): Uint8Array {
  const listing = run('openssl', ['asn1parse', '-in', `${name}.pem`]).toString();
  // TBSCertificate children (depth 2): version [0], serialNumber, signature, issuer, validity, subject, ...
  const children = listing.split('\n').filter((line) => /d=2 /.test(line));
  const match = /^\s*(\d+):d=2\s+hl=(\d+)\s+l=\s*(\d+)/.exec(children[5] ?? '');
  assert.ok(match, listing);
  const [offset, header, length] = [Number(match[1]), Number(match[2]), Number(match[3])];
  return Uint8Array.from(cert(name).raw.subarray(offset, offset + header + length));
}

describe('certificateMatchesIdentity', () => {
  const ascii = (text: string) => new TextEncoder().encode(text);

  it('without a configured identity, a gateway dialled by name must hold it as a dNSName, by address as an iPAddress', () => {
    const gateway = cert('ecGateway');
    const matches = (dialled: string): boolean => {
      const { idType, data } = dialledIdentity(dialled);
      return certificateMatchesIdentity(gateway, idType, data);
    };
    assert.deepEqual(dialledIdentity('vpn.example.test'), { idType: IdType.FQDN, data: ascii('vpn.example.test') });
    assert.deepEqual(dialledIdentity(' 192.0.2.1'), { idType: IdType.IPV4_ADDR, data: Uint8Array.of(192, 0, 2, 1) });
    assert.equal(dialledIdentity('2001:db8::1').idType, IdType.IPV6_ADDR);
    // a host name is never read as an email address or a distinguished name, as parseIdentity would
    assert.equal(dialledIdentity('vpn').idType, IdType.FQDN);
    assert.equal(matches('vpn.example.test'), true);
    assert.equal(matches('VPN.example.test.'), true);
    assert.equal(matches('192.0.2.1'), true);
    assert.equal(matches('2001:db8::1'), true);
    // another name for the same address is not the name on the certificate
    assert.equal(matches('vpn2.example.test'), false);
    assert.equal(matches('192.0.2.2'), false);
  });

  it('matches FQDN identities against dNSName entries only, ignoring case', () => {
    const gateway = cert('ecGateway');
    assert.equal(certificateMatchesIdentity(gateway, IdType.FQDN, ascii('vpn.example.test')), true);
    assert.equal(certificateMatchesIdentity(gateway, IdType.FQDN, ascii('VPN.Example.TEST')), true);
    assert.equal(certificateMatchesIdentity(gateway, IdType.FQDN, ascii('vpn.example.test.')), true);
    assert.equal(certificateMatchesIdentity(gateway, IdType.FQDN, ascii('vpn2.example.test')), false);
    assert.equal(certificateMatchesIdentity(gateway, IdType.FQDN, ascii('example.test')), false);
    assert.equal(certificateMatchesIdentity(gateway, IdType.FQDN, ascii('*.example.test')), false);
    // Wildcard dNSNames are not expanded, and a wildcard identity does not match one literally either.
    const wildcard = cert('interGateway');
    assert.equal(certificateMatchesIdentity(wildcard, IdType.FQDN, ascii('vpn2.example.test')), true);
    assert.equal(certificateMatchesIdentity(wildcard, IdType.FQDN, ascii('vpn.example.test')), false);
    assert.equal(certificateMatchesIdentity(wildcard, IdType.FQDN, ascii('*.example.test')), false);
    // deepGateway has its host name only in the subject CN, not in a dNSName: no fallback to CN.
    assert.equal(certificateMatchesIdentity(cert('deepGateway'), IdType.FQDN, ascii('deep.example.test')), false);
    assert.throws(() => certificateMatchesIdentity(gateway, IdType.FQDN, ascii('vpn example')), DecodeError);
    assert.throws(() => certificateMatchesIdentity(gateway, IdType.FQDN, new Uint8Array(0)), DecodeError);
  });

  it('matches IPv4 and IPv6 identities against iPAddress entries', () => {
    const gateway = cert('ecGateway');
    assert.equal(certificateMatchesIdentity(gateway, IdType.IPV4_ADDR, Uint8Array.of(192, 0, 2, 1)), true);
    assert.equal(certificateMatchesIdentity(gateway, IdType.IPV4_ADDR, Uint8Array.of(192, 0, 2, 2)), false);
    const v6 = Uint8Array.from(Buffer.from('20010db8000000000000000000000001', 'hex'));
    assert.equal(certificateMatchesIdentity(gateway, IdType.IPV6_ADDR, v6), true);
    assert.equal(certificateMatchesIdentity(gateway, IdType.IPV6_ADDR, Uint8Array.from(v6).fill(0, 15)), false);
    assert.equal(certificateMatchesIdentity(cert('rsaGateway'), IdType.IPV4_ADDR, Uint8Array.of(192, 0, 2, 1)), false);
    assert.throws(() => certificateMatchesIdentity(gateway, IdType.IPV4_ADDR, Uint8Array.of(192, 0, 2)), DecodeError);
    assert.throws(
      () => certificateMatchesIdentity(gateway, IdType.IPV6_ADDR, Uint8Array.of(192, 0, 2, 1)),
      DecodeError,
    );
  });

  it('matches RFC822 identities with a case-sensitive local part and a case-insensitive domain', () => {
    const gateway = cert('ecGateway');
    assert.equal(certificateMatchesIdentity(gateway, IdType.RFC822_ADDR, ascii('ops@example.test')), true);
    assert.equal(certificateMatchesIdentity(gateway, IdType.RFC822_ADDR, ascii('ops@EXAMPLE.test')), true);
    assert.equal(certificateMatchesIdentity(gateway, IdType.RFC822_ADDR, ascii('OPS@example.test')), false);
    assert.equal(certificateMatchesIdentity(gateway, IdType.RFC822_ADDR, ascii('admin@example.test')), false);
  });

  it('matches DER_ASN1_DN identities against the subject, exactly or as RFC 5280 §7.1 names', () => {
    const subject = subjectDer('ecGateway');
    const gateway = cert('ecGateway');
    assert.equal(certificateMatchesIdentity(gateway, IdType.DER_ASN1_DN, subject), true);
    assert.equal(certificateMatchesIdentity(cert('interGateway'), IdType.DER_ASN1_DN, subject), false);
    assert.equal(certificateMatchesIdentity(cert('rsaGateway'), IdType.DER_ASN1_DN, subjectDer('rsaGateway')), true);

    const text = Buffer.from(subject).toString('latin1');
    const variant = (from: string, to: string) => {
      assert.equal(from.length, to.length);
      assert.ok(text.includes(from));
      return Uint8Array.from(Buffer.from(text.replace(from, to), 'latin1'));
    };
    // Case differences in a string attribute do not make another name; a different letter does.
    assert.equal(certificateMatchesIdentity(gateway, IdType.DER_ASN1_DN, variant('vpn.example', 'VPN.Example')), true);
    assert.equal(certificateMatchesIdentity(gateway, IdType.DER_ASN1_DN, variant('vpn.example', 'vpx.example')), false);
    // PrintableString "CH" (0x13) spelled as UTF8String (0x0c) is the same value.
    assert.equal(certificateMatchesIdentity(gateway, IdType.DER_ASN1_DN, variant('\x13\x02CH', '\x0c\x02CH')), true);
    assert.throws(
      () => certificateMatchesIdentity(gateway, IdType.DER_ASN1_DN, subject.subarray(0, subject.length - 1)),
      DecodeError,
    );
    assert.throws(() => certificateMatchesIdentity(gateway, IdType.DER_ASN1_DN, ascii('CN=vpn')), DecodeError);
  });

  it('never matches ID types a certificate cannot carry', () => {
    const gateway = cert('ecGateway');
    assert.equal(certificateMatchesIdentity(gateway, IdType.KEY_ID, ascii('vpn.example.test')), false);
    assert.equal(certificateMatchesIdentity(gateway, IdType.DER_ASN1_GN, subjectDer('ecGateway')), false);
  });

  it('works on an X509Certificate that did not come from this module', () => {
    const foreign = new X509Certificate(readFileSync(fixtureFile('ecGateway.pem')));
    assert.equal(certificateMatchesIdentity(foreign, IdType.FQDN, ascii('vpn.example.test')), true);
  });
});

describe('parseCertificateDer', () => {
  it('gives a certificate or DecodeError, nothing else, for corrupted DER', () => {
    const der = Uint8Array.from(cert('rsaGateway').raw);
    let seed = 11;
    const random = () => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed;
    };
    let decodeErrors = 0;
    for (let round = 0; round < 1500; round++) {
      const mutated = Uint8Array.from(der);
      // Mostly the structure-heavy head of the certificate, where a flipped byte changes how the rest is read.
      const span = random() % 4 === 0 ? der.length : 400;
      mutated[random() % span] = random() % 256;
      try {
        const parsed = parseCertificateDer(mutated);
        certificateMatchesIdentity(parsed, IdType.FQDN, new TextEncoder().encode('rsa-vpn.example.test'));
        subjectPublicKeyInfoSha1(parsed);
      } catch (e) {
        assert.ok(e instanceof DecodeError, `round ${round}: ${String(e)}`);
        decodeErrors++;
      }
    }
    assert.ok(decodeErrors > 100, `only ${decodeErrors} corruptions were noticed`);
  });
});
