// Shared by the X.509 and identity tests (not part of the build): certificates made at test time with openssl and
// strongSwan's pki (the tool a gateway operator would use) in a temporary directory that is removed afterwards; no
// private key is committed.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import type { X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseCertificatesPem } from './certificate.js';

let dir = '';
const certs = new Map<string, X509Certificate>();

export function run(command: string, args: string[]): Buffer {
  return execFileSync(command, args, { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
}

export function cert(name: string): X509Certificate {
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

/** A P-256 key, or an RSA key of `rsaBits`. */
function makeKey(name: string, rsaBits?: number): void {
  const algorithm =
    rsaBits === undefined
      ? ['-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256']
      : ['-algorithm', 'RSA', '-pkeyopt', `rsa_keygen_bits:${rsaBits}`];
  run('openssl', ['genpkey', ...algorithm, '-out', `${name}.key`]);
}

function opensslRoot(name: string, subject: string, days: number, lines: string[]): void {
  makeKey(name);
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
function opensslIssue(
  name: string,
  issuer: string,
  subject: string,
  days: number,
  lines: string[],
  options: { digest?: 'sha1'; rsaBits?: number } = {},
): void {
  makeKey(name, options.rsaBits);
  const config = extensions(name, lines);
  run('openssl', ['req', '-new', '-key', `${name}.key`, '-subj', subject, '-config', config, '-out', `${name}.csr`]);
  run(
    'openssl',
    ['x509', '-req', '-in', `${name}.csr`, '-CA', `${issuer}.pem`, '-CAkey', `${issuer}.key`]
      .concat(['-set_serial', String(serial++), '-days', String(days), '-extfile', config, '-extensions', 'ext'])
      .concat(options.digest ? [`-${options.digest}`] : [], ['-out', `${name}.pem`]),
  );
  load(name);
}

const CA = ['basicConstraints = critical, CA:TRUE', 'keyUsage = critical, keyCertSign, cRLSign'];
const GATEWAY = ['basicConstraints = CA:FALSE', 'keyUsage = critical, digitalSignature'];

/** A file in the fixture directory. */
export function fixtureFile(name: string): string {
  return join(dir, name);
}

/** The certificates every X.509 test names; for `before()`. */
export function makeCertificates(): void {
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
  // Weak or misdirected: a SHA-1 signature (on the gateway, and on an intermediate), an RSA-1024 key, the wrong EKU.
  opensslIssue('sha1Gateway', 'ecRoot', '/O=Outpost Test/CN=sha1.example.test', 20, GATEWAY, { digest: 'sha1' });
  opensslIssue('sha1Ca', 'ecRoot', '/O=Outpost Test/CN=SHA-1 CA', 20, CA, { digest: 'sha1' });
  opensslIssue('sha1CaGateway', 'sha1Ca', '/O=Outpost Test/CN=below-sha1.example.test', 20, GATEWAY);
  opensslIssue('rsa1024Gateway', 'ecRoot', '/O=Outpost Test/CN=short.example.test', 20, GATEWAY, { rsaBits: 1024 });
  opensslIssue('clientOnlyGateway', 'ecRoot', '/O=Outpost Test/CN=client.example.test', 20, [
    ...GATEWAY,
    'extendedKeyUsage = clientAuth',
  ]);
  opensslIssue('ipsecIkeGateway', 'ecRoot', '/O=Outpost Test/CN=ike.example.test', 20, [
    ...GATEWAY,
    'extendedKeyUsage = ipsecIKE',
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
}

/** For `after()`. */
export function removeCertificates(): void {
  if (dir !== '') rmSync(dir, { recursive: true, force: true });
}
