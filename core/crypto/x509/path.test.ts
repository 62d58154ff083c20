import assert from 'node:assert/strict';
import type { X509Certificate } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { encodeTree, parseTree } from '../../../test/fuzz/der-tree.js';
import { OutpostError } from '../../errors.js';
import { parseCertificateDer } from './certificate.js';
import { validateCertificateChain } from './path.js';
import { cert, makeCertificates, removeCertificates } from './test-support.js';

const DAY = 24 * 60 * 60 * 1000;
const NOT_OUR_CA = "The gateway's certificate is not signed by your organisation's certificate authority.";

before(makeCertificates);
after(removeCertificates);

function assertUntrusted(fn: () => void, message: string | RegExp, reason: RegExp): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof OutpostError, String(e));
    assert.equal(e.code, 'untrusted-certificate');
    if (typeof message === 'string') assert.equal(e.message, message);
    else assert.match(e.message, message);
    assert.match(e.detail ?? '', /^subject: .+; issuer: .+; reason: /);
    assert.match(e.detail ?? '', reason);
    return true;
  });
}

describe('validateCertificateChain', () => {
  const now = () => new Date();

  it('accepts a gateway certificate signed directly by a trust anchor (ECDSA, and RSA-PSS from pki)', () => {
    validateCertificateChain(cert('ecGateway'), [], [cert('ecRoot')], now());
    validateCertificateChain(cert('ecGateway'), [cert('otherRoot')], [cert('otherRoot'), cert('ecRoot')], now());
    validateCertificateChain(cert('rsaGateway'), [], [cert('rsaRoot')], now());
  });

  it('builds the path through an intermediate CA the gateway sent', () => {
    validateCertificateChain(cert('interGateway'), [cert('interCa')], [cert('ecRoot')], now());
    validateCertificateChain(
      cert('interGateway'),
      [cert('otherRoot'), cert('subInterCa'), cert('interCa')],
      [cert('impostorRoot'), cert('ecRoot')],
      now(),
    );
    assertUntrusted(
      () => validateCertificateChain(cert('interGateway'), [], [cert('ecRoot')], now()),
      NOT_OUR_CA,
      /no path to a trust anchor/,
    );
  });

  it('refuses a certificate from another CA, even one with the same name', () => {
    assertUntrusted(
      () => validateCertificateChain(cert('ecGateway'), [], [cert('otherRoot')], now()),
      NOT_OUR_CA,
      /subject: C=CH, O=Outpost Test, CN=vpn\.example\.test; issuer: .*CN=Outpost EC Root/,
    );
    assertUntrusted(
      () => validateCertificateChain(cert('ecGateway'), [], [cert('impostorRoot')], now()),
      NOT_OUR_CA,
      /no path/,
    );
    assertUntrusted(
      () => validateCertificateChain(cert('rsaGateway'), [cert('rsaRoot')], [cert('ecRoot')], now()),
      NOT_OUR_CA,
      /no path/,
    );
  });

  it('refuses expired and not-yet-valid certificates with a sentence that says so', () => {
    assertUntrusted(
      () => validateCertificateChain(cert('rsaExpired'), [], [cert('rsaRoot')], now()),
      "The gateway's certificate expired on 2021-01-01.",
      /reason: expired 2021-01-01T00:00:00\.000Z/,
    );
    const past = new Date(Date.now() - 2 * DAY);
    assertUntrusted(
      () => validateCertificateChain(cert('ecGateway'), [], [cert('ecRoot')], past),
      /^The gateway's certificate is not valid before \d{4}-\d\d-\d\d; check that this computer's date and time are correct\.$/,
      /not valid before/,
    );
    // 40 days on, the gateway certificate (60 days) still is valid but the root (30 days) is not.
    const later = new Date(Date.now() + 40 * DAY);
    assertUntrusted(
      () => validateCertificateChain(cert('ecGateway'), [], [cert('ecRoot')], later),
      /^The certificate authority "Outpost EC Root" expired on \d{4}-\d\d-\d\d\.$/,
      /subject: C=CH, O=Outpost Test, CN=Outpost EC Root; .*reason: expired/,
    );
  });

  it('refuses issuers that are not CAs, exceed pathLen, or may not sign certificates', () => {
    assertUntrusted(
      () => validateCertificateChain(cert('leafChild'), [cert('ecGateway')], [cert('ecRoot')], now()),
      NOT_OUR_CA,
      /CN=vpn\.example\.test; .*reason: issuer is not a CA/,
    );
    assertUntrusted(
      () =>
        validateCertificateChain(cert('deepGateway'), [cert('subInterCa'), cert('interCa')], [cert('ecRoot')], now()),
      NOT_OUR_CA,
      /CN=Outpost Issuing CA; .*reason: pathLen 0 exceeded by 1 intermediate CAs below/,
    );
    assertUntrusted(
      () => validateCertificateChain(cert('noCertSignChild'), [cert('noCertSignCa')], [cert('ecRoot')], now()),
      NOT_OUR_CA,
      /reason: issuer keyUsage lacks keyCertSign/,
    );
  });

  it('refuses a certificate with a critical extension it cannot enforce', () => {
    assertUntrusted(
      () => validateCertificateChain(cert('criticalUnknown'), [], [cert('ecRoot')], now()),
      NOT_OUR_CA,
      /unsupported critical extension 1\.3\.6\.1\.4\.1\.55555\.1/,
    );
  });

  it('refuses SHA-1 signatures on the gateway or an intermediate, RSA keys under 2048 bits, and a client-only EKU', () => {
    const anchors = [cert('ecRoot')];
    assertUntrusted(
      () => validateCertificateChain(cert('sha1Gateway'), [], anchors, now()),
      "The gateway's certificate is signed with SHA-1, which can be forged. Ask IT for one signed with SHA-256 or better.",
      /signature algorithm 1\.2\.840\.10045\.4\.1/,
    );
    assertUntrusted(
      () => validateCertificateChain(cert('sha1CaGateway'), [cert('sha1Ca')], anchors, now()),
      /^The certificate authority "SHA-1 CA" is signed with SHA-1/,
      /signature algorithm/,
    );
    assertUntrusted(
      () => validateCertificateChain(cert('rsa1024Gateway'), [], anchors, now()),
      "The gateway's certificate uses an RSA key of 1024 bits, too short to be safe (2048 at least). Tell IT.",
      /RSA modulus 1024 bits/,
    );
    assertUntrusted(
      () => validateCertificateChain(cert('clientOnlyGateway'), [], anchors, now()),
      /is not meant for a VPN gateway/,
      /extendedKeyUsage 1\.3\.6\.1\.5\.5\.7\.3\.2/,
    );
    // serverAuth (ecGateway) and IPsec IKE are gateway uses; a root's own SHA-256 or older self-signature is not judged
    validateCertificateChain(cert('ipsecIkeGateway'), [], anchors, now());
    validateCertificateChain(cert('ecGateway'), [], anchors, now());
  });

  it('trusts a pinned self-signed gateway certificate only when it is itself an anchor', () => {
    validateCertificateChain(cert('selfSigned'), [], [cert('ecRoot'), cert('selfSigned')], now());
    assertUntrusted(
      () => validateCertificateChain(cert('selfSigned'), [cert('selfSigned')], [cert('ecRoot')], now()),
      NOT_OUR_CA,
      /no path/,
    );
  });
});

// Found by the fuzzer (test/fuzz, x509): Node's X509Certificate gives undefined for an empty subject or issuer, and
// wording the refusal then threw a TypeError instead of the untrusted-certificate error.
describe('validateCertificateChain with empty names', () => {
  const withEmptyName = (index: number): X509Certificate => {
    const tree = parseTree(Uint8Array.from(cert('ecGateway').raw));
    const tbs = tree.children![0]!;
    // TBSCertificate: version [0], serialNumber, signature, issuer (3), validity, subject (5), …
    tbs.children![index] = { tag: 0x30, children: [], contents: new Uint8Array(0) };
    return parseCertificateDer(encodeTree(tree));
  };

  it('refuses a certificate with an empty issuer or subject with untrusted-certificate, naming the empty name', () => {
    for (const [index, name] of [
      [3, 'issuer'],
      [5, 'subject'],
    ] as const) {
      assertUntrusted(
        () => validateCertificateChain(withEmptyName(index), [], [cert('ecRoot')], new Date()),
        NOT_OUR_CA,
        new RegExp(`${name}: \\(empty name\\)`),
      );
    }
  });
});
