// A fresh PKI per run, made with strongSwan's `pki` tool: two unrelated CAs (ECDSA P-256 and RSA-2048) that each
// sign the gateway certificates of their connections, and a third CA that signs nothing the gateway uses.
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { run } from './netns.js';

export interface TestPki {
  dir: string;
  /** ECDSA P-256 CA; signs ecdsaCertPem and totpCertPem. */
  ecdsaCaPem: string;
  /** RSA-2048 CA, unrelated to the ECDSA one; signs rsaCertPem. */
  rsaCaPem: string;
  /** ECDSA P-256 CA that signed nothing the gateway uses. */
  otherCaPem: string;
  /** Gateway certificate for ecdsa.vpn.example.test (ECDSA P-256, EKU serverAuth). */
  ecdsaCertPem: string;
  ecdsaKeyPem: string;
  /** Gateway certificate for rsa.vpn.example.test (RSA-2048, EKU serverAuth). */
  rsaCertPem: string;
  rsaKeyPem: string;
  /** Gateway certificate for totp.vpn.example.test (ECDSA P-256 from the ECDSA CA). */
  totpCertPem: string;
  totpKeyPem: string;
}

/**
 * Gateway certificates from the ECDSA CA that a client must refuse, each for one reason, for `<name>.vpn.example.test`.
 */
export const BAD_CERTIFICATES = {
  expired: ['--not-before', '01.01.20 00:00:00', '--not-after', '01.01.21 00:00:00'],
  future: ['--not-before', '01.01.40 00:00:00', '--not-after', '01.01.41 00:00:00'],
  sha1: ['--digest', 'sha1'],
  rsa1024: [],
  clientauth: [],
} as const;
export type BadCertificate = keyof typeof BAD_CERTIFICATES;

/** Makes the certificates of BAD_CERTIFICATES beside the test PKI (its ECDSA CA signs them). */
export async function createBadCertificates(pki: TestPki): Promise<Record<BadCertificate, Issued>> {
  const run = pkiRunner(pki.dir);
  const ca = caOf(pki, 'ecdsa');
  const entries = await Promise.all(
    (Object.keys(BAD_CERTIFICATES) as BadCertificate[]).map(async (name) => {
      const base = join(pki.dir, `${name}-gw`);
      const issued = await issue(run, base, name === 'rsa1024' ? 'rsa' : 'ecdsa', ca, `${name}.vpn.example.test`, {
        extra: [...BAD_CERTIFICATES[name]],
        flag: name === 'clientauth' ? 'clientAuth' : 'serverAuth',
        rsaBits: name === 'rsa1024' ? 1024 : undefined,
      });
      return [name, issued] as const;
    }),
  );
  return Object.fromEntries(entries) as Record<BadCertificate, Issued>;
}

type KeyType = 'ecdsa' | 'rsa';

/** One of the test PKI's CAs, with its key (createTestPki writes it beside the certificate). */
function caOf(pki: TestPki, type: KeyType): Issued {
  const cert = type === 'ecdsa' ? pki.ecdsaCaPem : pki.rsaCaPem;
  return { type, cert, key: cert.replace(/\.pem$/, '.key.pem') };
}

/** The `pki` arguments of something the CA signs, for the test PKI's lifetime. */
function signedBy(ca: Issued): string[] {
  return ['--cacert', ca.cert, '--cakey', ca.key, '--lifetime', LIFETIME_DAYS];
}

const LIFETIME_DAYS = '30';
const DN_PREFIX = 'C=ZZ, O=Outpost VPN tests';

/** Runs `pki` with a configuration of its own in `dir`. */
function pkiRunner(dir: string): Pki {
  // Without it pki loads every installed plugin (and probes for a TPM) on each call: ~0.1 s each.
  const env = { ...process.env, STRONGSWAN_CONF: join(dir, 'pki-strongswan.conf') };
  return (file: string, args: string[]): Promise<void> => pkiToFile(env, file, args);
}

export async function createTestPki(dir: string): Promise<TestPki> {
  await mkdir(dir, { recursive: true });
  const path = (name: string): string => join(dir, name);
  await writeFile(path('pki-strongswan.conf'), 'pki {\n  load = random openssl pem pkcs1 pkcs8 x509 pubkey\n}\n');
  const pki = pkiRunner(dir);
  const [ecdsaCa, rsaCa, otherCa] = await Promise.all([
    createCa(pki, path('ecdsa-ca'), 'ecdsa', 'Outpost Test ECDSA CA'),
    createCa(pki, path('rsa-ca'), 'rsa', 'Outpost Test RSA CA'),
    createCa(pki, path('other-ca'), 'ecdsa', 'Outpost Test Other CA'),
  ]);
  const [ecdsa, rsa, totp] = await Promise.all([
    issue(pki, path('ecdsa-gw'), 'ecdsa', ecdsaCa, 'ecdsa.vpn.example.test'),
    issue(pki, path('rsa-gw'), 'rsa', rsaCa, 'rsa.vpn.example.test'),
    issue(pki, path('totp-gw'), 'ecdsa', ecdsaCa, 'totp.vpn.example.test'),
  ]);
  return {
    dir,
    ecdsaCaPem: ecdsaCa.cert,
    rsaCaPem: rsaCa.cert,
    otherCaPem: otherCa.cert,
    ecdsaCertPem: ecdsa.cert,
    ecdsaKeyPem: ecdsa.key,
    rsaCertPem: rsa.cert,
    rsaKeyPem: rsa.key,
    totpCertPem: totp.cert,
    totpKeyPem: totp.key,
  };
}

type Pki = (file: string, args: string[]) => Promise<void>;

export interface Issued {
  type: KeyType;
  cert: string;
  key: string;
}

async function createCa(pki: Pki, base: string, type: KeyType, commonName: string): Promise<Issued> {
  const key = await generateKey(pki, base, type);
  const cert = `${base}.pem`;
  await pki(cert, [
    '--self',
    '--ca',
    '--in',
    key,
    '--type',
    type,
    '--lifetime',
    LIFETIME_DAYS,
    '--dn',
    `${DN_PREFIX}, CN=${commonName}`,
  ]);
  return { type, cert, key };
}

async function issue(
  pki: Pki,
  base: string,
  type: KeyType,
  ca: Issued,
  dnsName: string,
  options: { extra?: string[]; flag?: string; rsaBits?: number | undefined } = {},
): Promise<Issued> {
  const key = await generateKey(pki, base, type, options.rsaBits);
  const cert = `${base}.pem`;
  await pki(cert, [
    '--issue',
    '--in',
    key,
    '--type',
    'priv',
    ...signedBy(ca),
    '--dn',
    `${DN_PREFIX}, CN=${dnsName}`,
    '--san',
    dnsName,
    '--flag',
    options.flag ?? 'serverAuth',
    ...(options.extra ?? []),
  ]);
  return { type, cert, key };
}

async function generateKey(pki: Pki, base: string, type: KeyType, rsaBits = 2048): Promise<string> {
  const key = `${base}.key.pem`;
  await pki(key, ['--gen', '--type', type, '--size', type === 'rsa' ? String(rsaBits) : '256']);
  return key;
}

async function pkiToFile(env: NodeJS.ProcessEnv, file: string, args: string[]): Promise<void> {
  const result = await run(['pki', ...args, '--outform', 'pem'], { env });
  if (result.code !== 0) throw new Error(`pki ${args.join(' ')} failed: ${result.stderr.trim()}`);
  await writeFile(file, result.stdout, { mode: file.endsWith('.key.pem') ? 0o600 : 0o644 });
}

/** The users and the gateway certificate of the EAP-TLS tests, from the ECDSA CA. */
export interface EapTlsCredentials {
  /** Gateway certificate for tls.vpn.example.test: strongSwan's own EAP-TLS server presents it too. */
  gateway: Issued;
  /** Gateway certificate for radius.vpn.example.test, the connection that relays EAP to RADIUS. */
  radiusGateway: Issued;
  /** The RADIUS server's own certificate, radius.example.test from the RSA CA (not the gateway's CA). */
  radiusServer: Issued;
  /** The password of every PKCS#12 file below. */
  passphrase: string;
  /** PKCS#12 files of users, each with CN and rfc822Name SAN `<name>@example.test`. */
  users: Record<'alice' | 'revoked' | 'expired', { id: string; p12: string }>;
  /** The ECDSA CA's CRL, listing `revoked`. */
  crl: string;
}

export async function createEapTlsCredentials(pki: TestPki): Promise<EapTlsCredentials> {
  const sign = pkiRunner(pki.dir);
  const ca = caOf(pki, 'ecdsa');
  const rsaCa = caOf(pki, 'rsa');
  const [gateway, radiusGateway, radiusServer] = await Promise.all([
    issue(sign, join(pki.dir, 'tls-gw'), 'ecdsa', ca, 'tls.vpn.example.test'),
    issue(sign, join(pki.dir, 'radius-gw'), 'ecdsa', ca, 'radius.vpn.example.test'),
    issue(sign, join(pki.dir, 'radius-server'), 'rsa', rsaCa, 'radius.example.test'),
  ]);
  const passphrase = 'p12-password';
  const names = ['alice', 'revoked', 'expired'] as const;
  const users = Object.fromEntries(
    await Promise.all(
      names.map(async (name) => {
        const id = `${name}@example.test`;
        const base = join(pki.dir, `user-${name}`);
        const extra = name === 'expired' ? [...BAD_CERTIFICATES.expired] : [];
        const issued = await issue(sign, base, 'ecdsa', ca, id, { flag: 'clientAuth', extra });
        return [name, { id, p12: await exportPkcs12(issued, `${base}.p12`, passphrase) }] as const;
      }),
    ),
  ) as EapTlsCredentials['users'];
  const crl = join(pki.dir, 'ecdsa-ca.crl.pem');
  await sign(crl, ['--signcrl', ...signedBy(ca), '--cert', join(pki.dir, 'user-revoked.pem')]);
  return { gateway, radiusGateway, radiusServer, passphrase, users, crl };
}

/** The PKCS#12 file of an issued certificate and key, as IT exports it (openssl's defaults: PBES2, AES-256). */
async function exportPkcs12(issued: Issued, p12: string, passphrase: string): Promise<string> {
  const exported = await run([
    'openssl',
    'pkcs12',
    '-export',
    '-in',
    issued.cert,
    '-inkey',
    issued.key,
    '-out',
    p12,
    '-passout',
    `pass:${passphrase}`,
  ]);
  if (exported.code !== 0) throw new Error(`openssl pkcs12 failed: ${exported.stderr}`);
  return p12;
}

/** The users and the gateway certificate of IKEv2 certificate authentication (no EAP). */
export interface ClientCertCredentials {
  /** Gateway certificate for cert.vpn.example.test, from the ECDSA CA. */
  gateway: Issued;
  /** The password of every PKCS#12 file below. */
  passphrase: string;
  /**
   * PKCS#12 files of users `<name>@example.test` (CN and rfc822Name SAN): `ecdsa` from the ECDSA CA, `rsa` (RSA-2048)
   * from the RSA CA, `other` from the CA the gateway does not trust, `expired` from the ECDSA CA, expired in 2021.
   */
  users: Record<'ecdsa' | 'rsa' | 'other' | 'expired', { id: string; subject: string; p12: string }>;
}

export async function createClientCertCredentials(pki: TestPki): Promise<ClientCertCredentials> {
  const sign = pkiRunner(pki.dir);
  const otherCa: Issued = { type: 'ecdsa', cert: pki.otherCaPem, key: pki.otherCaPem.replace(/\.pem$/, '.key.pem') };
  const passphrase = 'p12-password';
  const gateway = await issue(sign, join(pki.dir, 'cert-gw'), 'ecdsa', caOf(pki, 'ecdsa'), 'cert.vpn.example.test');
  const issuers = { ecdsa: caOf(pki, 'ecdsa'), rsa: caOf(pki, 'rsa'), other: otherCa, expired: caOf(pki, 'ecdsa') };
  const users = Object.fromEntries(
    await Promise.all(
      (Object.keys(issuers) as (keyof typeof issuers)[]).map(async (name) => {
        const id = `${name}-user@example.test`;
        const base = join(pki.dir, `cert-user-${name}`);
        const issued = await issue(sign, base, name === 'rsa' ? 'rsa' : 'ecdsa', issuers[name], id, {
          flag: 'clientAuth',
          extra: name === 'expired' ? [...BAD_CERTIFICATES.expired] : [],
        });
        const p12 = await exportPkcs12(issued, `${base}.p12`, passphrase);
        return [name, { id, subject: `${DN_PREFIX}, CN=${id}`, p12 }] as const;
      }),
    ),
  ) as ClientCertCredentials['users'];
  return { gateway, passphrase, users };
}
