/**
 * Certificates are made at test time with openssl and strongSwan's pki (the tool a gateway operator would use) in a
 * temporary directory that is removed afterwards; no private key is committed.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash, X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { DecodeError, OutpostError } from '../errors.js';
import { IdType } from '../iana.js';
import {
  certificateMatchesIdentity,
  parseCertificateDer,
  parseCertificatesPem,
  subjectPublicKeyInfoSha1,
  validateCertificateChain,
} from './x509.js';

const DAY = 24 * 60 * 60 * 1000;
const NOT_OUR_CA = "The gateway's certificate is not signed by your organisation's certificate authority.";

let dir = '';
const certs = new Map<string, X509Certificate>();

function run(command: string, args: string[]): Buffer {
  return execFileSync(command, args, { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
}

function cert(name: string): X509Certificate {
  const found = certs.get(name);
  assert.ok(found, `fixture ${name}`);
  return found;
}

function load(name: string): void {
  const [parsed] = parseCertificatesPem(readFileSync(join(dir, `${name}.pem`), 'utf8'));
  assert.ok(parsed);
  certs.set(name, parsed);
}

/** openssl config whose [ext] section holds the given extension lines. */
function extensions(name: string, lines: string[]): string {
  const path = join(dir, `${name}.cnf`);
  writeFileSync(path, ['[req]', 'distinguished_name = dn', '[dn]', '[ext]', ...lines, ''].join('\n'));
  return path;
}

function ecKey(name: string): void {
  run('openssl', ['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', `${name}.key`]);
}

function opensslRoot(name: string, subject: string, days: number, lines: string[]): void {
  ecKey(name);
  const config = extensions(name, lines);
  run(
    'openssl',
    ['req', '-x509', '-new', '-key', `${name}.key`, '-subj', subject, '-days', String(days)].concat([
      '-config',
      config,
      '-extensions',
      'ext',
      '-out',
      `${name}.pem`,
    ]),
  );
  load(name);
}

let serial = 1;
function opensslIssue(name: string, issuer: string, subject: string, days: number, lines: string[]): void {
  ecKey(name);
  const config = extensions(name, lines);
  run('openssl', ['req', '-new', '-key', `${name}.key`, '-subj', subject, '-config', config, '-out', `${name}.csr`]);
  run(
    'openssl',
    ['x509', '-req', '-in', `${name}.csr`, '-CA', `${issuer}.pem`, '-CAkey', `${issuer}.key`]
      .concat(['-set_serial', String(serial++), '-days', String(days), '-extfile', config, '-extensions', 'ext'])
      .concat(['-out', `${name}.pem`]),
  );
  load(name);
}

const CA = ['basicConstraints = critical, CA:TRUE', 'keyUsage = critical, keyCertSign, cRLSign'];
const GATEWAY = ['basicConstraints = CA:FALSE', 'keyUsage = critical, digitalSignature'];

before(() => {
  dir = mkdtempSync(join(tmpdir(), 'outpost-x509-'));
  // ECDSA P-256 CA and gateway; the gateway outlives its CA so that CA expiry can be seen on its own.
  opensslRoot('ecRoot', '/C=CH/O=Outpost Test/CN=Outpost EC Root', 30, CA);
  opensslIssue('ecGateway', 'ecRoot', '/C=CH/O=Outpost Test/CN=vpn.example.test', 60, [
    ...GATEWAY,
    'subjectAltName = DNS:vpn.example.test, IP:192.0.2.1, IP:2001:db8::1, email:ops@example.test',
    'extendedKeyUsage = serverAuth',
  ]);
  // Same name as the real CA, different key: only the signature check tells them apart.
  opensslRoot('impostorRoot', '/C=CH/O=Outpost Test/CN=Outpost EC Root', 30, CA);
  opensslRoot('otherRoot', '/O=Somebody Else/CN=Unrelated Root CA', 30, CA);
  // Root -> intermediate (pathlen 0) -> gateway, and one CA too many below that intermediate.
  opensslIssue('interCa', 'ecRoot', '/O=Outpost Test/CN=Outpost Issuing CA', 30, [
    ...CA,
    'basicConstraints = critical, CA:TRUE, pathlen:0',
  ]);
  opensslIssue('interGateway', 'interCa', '/O=Outpost Test/CN=vpn2.example.test', 20, [
    ...GATEWAY,
    'subjectAltName = DNS:vpn2.example.test, DNS:*.example.test',
  ]);
  opensslIssue('subInterCa', 'interCa', '/O=Outpost Test/CN=Outpost Sub CA', 20, CA);
  opensslIssue('deepGateway', 'subInterCa', '/O=Outpost Test/CN=deep.example.test', 20, GATEWAY);
  // Issuers that must not issue: a gateway certificate, and a CA whose keyUsage lacks keyCertSign.
  opensslIssue('leafChild', 'ecGateway', '/O=Outpost Test/CN=child.example.test', 20, GATEWAY);
  opensslIssue('noCertSignCa', 'ecRoot', '/O=Outpost Test/CN=No CertSign CA', 20, [
    'basicConstraints = critical, CA:TRUE',
    'keyUsage = critical, digitalSignature',
  ]);
  opensslIssue('noCertSignChild', 'noCertSignCa', '/O=Outpost Test/CN=nocs.example.test', 20, GATEWAY);
  opensslIssue('criticalUnknown', 'ecRoot', '/O=Outpost Test/CN=odd.example.test', 20, [
    ...GATEWAY,
    '1.3.6.1.4.1.55555.1 = critical, DER:05:00',
  ]);
  // A self-signed gateway certificate that a profile could pin directly.
  opensslRoot('selfSigned', '/CN=pinned.example.test', 20, ['subjectAltName = DNS:pinned.example.test']);

  // RSA-2048 CA and gateways made with strongSwan's pki, signed with RSASSA-PSS, including an expired one.
  const pki = (args: string[]) => run('pki', args);
  writeFileSync(join(dir, 'rsaRoot.key'), pki(['--gen', '--type', 'rsa', '--size', '2048']));
  writeFileSync(
    join(dir, 'rsaRoot.pem'),
    pki(
      ['--self', '--in', 'rsaRoot.key', '--type', 'rsa', '--dn', 'C=CH, O=Outpost Test, CN=Outpost RSA Root'].concat([
        '--ca',
        '--lifetime',
        '30',
        '--outform',
        'pem',
      ]),
    ),
  );
  load('rsaRoot');
  for (const [name, dates] of [
    ['rsaGateway', ['--lifetime', '20']],
    ['rsaExpired', ['--not-before', '01.01.20 00:00:00', '--not-after', '01.01.21 00:00:00']],
  ] as const) {
    writeFileSync(join(dir, `${name}.key`), pki(['--gen', '--type', 'rsa', '--size', '2048']));
    writeFileSync(
      join(dir, `${name}.pem`),
      pki(
        ['--issue', '--in', `${name}.key`, '--type', 'rsa', '--cacert', 'rsaRoot.pem', '--cakey', 'rsaRoot.key']
          .concat(['--dn', 'C=CH, O=Outpost Test, CN=rsa-vpn.example.test', '--san', 'rsa-vpn.example.test'])
          .concat(['--flag', 'serverAuth', '--rsa-padding', 'pss', '--outform', 'pem', ...dates]),
      ),
    );
    load(name);
  }
});

after(() => {
  if (dir !== '') rmSync(dir, { recursive: true, force: true });
});

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

  it('trusts a pinned self-signed gateway certificate only when it is itself an anchor', () => {
    validateCertificateChain(cert('selfSigned'), [], [cert('ecRoot'), cert('selfSigned')], now());
    assertUntrusted(
      () => validateCertificateChain(cert('selfSigned'), [cert('selfSigned')], [cert('ecRoot')], now()),
      NOT_OUR_CA,
      /no path/,
    );
  });
});

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
    const foreign = new X509Certificate(readFileSync(join(dir, 'ecGateway.pem')));
    assert.equal(certificateMatchesIdentity(foreign, IdType.FQDN, ascii('vpn.example.test')), true);
  });
});

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
    writeFileSync(join(dir, 'ecGateway.pub'), pem);
    const der = run('openssl', ['pkey', '-pubin', '-in', 'ecGateway.pub', '-outform', 'DER']);
    const expected = createHash('sha1').update(der).digest();
    assert.deepEqual(Buffer.from(subjectPublicKeyInfoSha1(cert('ecGateway'))), expected);
  });
});

describe('parseCertificatesPem', () => {
  it('reads every certificate of a bundle in order', () => {
    const bundle = ['ecGateway', 'interCa', 'ecRoot']
      .map((n) => readFileSync(join(dir, `${n}.pem`), 'utf8'))
      .join('\n');
    const parsed = parseCertificatesPem(`Gateway chain\n${bundle}`);
    assert.deepEqual(
      parsed.map((c) => c.fingerprint256),
      ['ecGateway', 'interCa', 'ecRoot'].map((n) => cert(n).fingerprint256),
    );
  });

  it('explains what is wrong with a file that is not a certificate', () => {
    const pem = readFileSync(join(dir, 'ecRoot.pem'), 'utf8');
    const cases: [string, RegExp][] = [
      ['', /^No certificate was found/],
      [readFileSync(join(dir, 'ecRoot.key'), 'utf8'), /^No certificate was found/],
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
