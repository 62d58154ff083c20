import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { DecodeError, OutpostError } from '../../errors.js';
import {
  certificateFields,
  parseCertificateDer,
  parseCertificatesPem,
  subjectPublicKeyInfoSha1,
} from './certificate.js';
import { cert, fixtureFile, makeCertificates, removeCertificates, run } from './test-support.js';

before(makeCertificates);
after(removeCertificates);

describe('subjectPublicKeyInfoSha1', () => {
  it('equals the key id strongSwan pki computes, which is what CERTREQ carries', () => {
    for (const name of ['ecRoot', 'rsaRoot', 'ecGateway']) {
      const listing = run('pki', ['--keyid', '--in', `${name}.pem`, '--type', 'x509']).toString();
      const match = /keyid \(SHA-1 of subjectPublicKeyInfo\):\s*([0-9a-f:]+)/.exec(listing);
      assert.ok(match, listing);
      const expected = (match[1] ?? '').replace(/:/g, '');
      assert.equal(Buffer.from(subjectPublicKeyInfoSha1(cert(name))).toString('hex'), expected, name);
    }
  });

  it('equals SHA-1 over the DER public key openssl exports', () => {
    const pem = run('openssl', ['x509', '-in', 'ecGateway.pem', '-noout', '-pubkey']);
    writeFileSync(fixtureFile('ecGateway.pub'), pem);
    const der = run('openssl', ['pkey', '-pubin', '-in', 'ecGateway.pub', '-outform', 'DER']);
    const expected = createHash('sha1').update(der).digest();
    assert.deepEqual(Buffer.from(subjectPublicKeyInfoSha1(cert('ecGateway'))), expected);
  });
});

describe('parseCertificatesPem', () => {
  it('reads every certificate of a bundle in order', () => {
    const bundle = ['ecGateway', 'interCa', 'ecRoot']
      .map((n) => readFileSync(fixtureFile(`${n}.pem`), 'utf8'))
      .join('\n');
    const parsed = parseCertificatesPem(`Gateway chain\n${bundle}`);
    assert.deepEqual(
      parsed.map((c) => c.fingerprint256),
      ['ecGateway', 'interCa', 'ecRoot'].map((n) => cert(n).fingerprint256),
    );
  });

  it('explains what is wrong with a file that is not a certificate', () => {
    const pem = readFileSync(fixtureFile('ecRoot.pem'), 'utf8');
    const cases: [string, RegExp][] = [
      ['', /^No certificate was found/],
      [readFileSync(fixtureFile('ecRoot.key'), 'utf8'), /^No certificate was found/],
      [pem.replace('-----END CERTIFICATE-----', ''), /^The certificate file is damaged: a certificate block/],
      [`${pem}\n-----BEGIN CERTIFICATE-----\nMIIB\n`, /^The certificate file is damaged: a certificate block/],
      [pem.replace(/\n(.{10})/, '\n$1!'), /^The certificate file is damaged: certificate 1 could not be read\.$/],
      [pem.replace(/\n(.{8}).{4}/, '\n$1AAAA'), /^The certificate file is damaged: certificate 1 could not be read\.$/],
      [
        `${pem}${pem.replace(/\n.{64}\n/, '\n')}`,
        /^The certificate file is damaged: certificate 2 could not be read\.$/,
      ],
    ];
    for (const [text, message] of cases) {
      assert.throws(
        () => parseCertificatesPem(text),
        (e: unknown) => e instanceof OutpostError && e.code === 'profile-invalid' && message.test(e.message),
        text.slice(0, 80),
      );
    }
  });
});

describe('parseCertificateDer', () => {
  it('parses DER and refuses every truncation and trailing data with DecodeError', () => {
    const der = Uint8Array.from(cert('ecGateway').raw);
    assert.equal(parseCertificateDer(der).fingerprint256, cert('ecGateway').fingerprint256);
    for (let length = 0; length < der.length; length++) {
      assert.throws(() => parseCertificateDer(der.subarray(0, length)), DecodeError, `prefix ${length}`);
    }
    assert.throws(() => parseCertificateDer(Uint8Array.from([...der, 0])), DecodeError);
  });

  // Found by the fuzzer (test/fuzz, ike-encrypted): the certificate parsed, and reading its key for the AUTH check
  // then threw OpenSSL's own "decode error" instead of a DecodeError.
  it('refuses a certificate whose public key OpenSSL cannot read (an EC point off the curve) with DecodeError', () => {
    const der = Uint8Array.from(cert('ecGateway').raw);
    const spki = certificateFields(cert('ecGateway')).subjectPublicKeyInfo;
    const damaged = der.slice();
    damaged[Buffer.from(der).indexOf(Buffer.from(spki)) + spki.length - 1]! ^= 0x01;
    assert.throws(() => parseCertificateDer(damaged), DecodeError);
  });
});
