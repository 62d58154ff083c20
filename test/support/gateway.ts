// A real strongSwan 5.9 gateway in the test network's gateway namespace. One charon serves four connections; the
// peer config is chosen by the IDr the client sends:
//   ecdsa  gateway: ECDSA P-256 certificate        client: EAP-MSCHAPv2
//   rsa    gateway: RSA-2048 certificate (other CA) client: EAP-MSCHAPv2
//   psk    both: pre-shared key (client IDi pskClientId)
//   totp   gateway: ECDSA certificate               client: EAP-MSCHAPv2, then EAP-GTC with a TOTP code (RFC 4739)
//   nochild  both: pre-shared key; refuses every CHILD_SA (NO_PROPOSAL_CHOSEN) after authenticating
//   tls    gateway: ECDSA certificate; client: EAP-TLS with a user certificate from the ECDSA CA, checked against
//          its CRL (only with { eapTls })
//   radius gateway: ECDSA certificate; client: any EAP method FreeRADIUS on the LAN host serves (radius.ts), relayed
//          by eap-radius (only with { eapTls, radius: true })
//   cert   gateway: ECDSA certificate; client: IKEv2 certificate signature (no EAP), user certificates from the ECDSA
//          or the RSA CA (only with { clientCert })
// All hand out a virtual IP from the pool with DNS 198.51.100.53 and INTERNAL_IP4_SUBNET 198.51.100.0/24.
// With { ipv6Pool: true } a sixth, full6 (PSK like full), also hands out IPv6 addresses from 2001:db8:2::/112 and
// offers ::/0 beside 0.0.0.0/0; the others stay IPv4-only.
import { randomBytes } from 'node:crypto';
import { copyFile, mkdir, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { generateSecret } from 'otplib';
import { Charon } from './charon.js';
import type { TestNetwork } from './netns.js';
import {
  BAD_CERTIFICATES,
  type BadCertificate,
  type ClientCertCredentials,
  createBadCertificates,
  createClientCertCredentials,
  createEapTlsCredentials,
  createTestPki,
  type EapTlsCredentials,
  type TestPki,
} from './pki.js';
import { RADIUS_ADDRESS, type RadiusServer, startRadius } from './radius.js';
import { createRunDir, removeRunDir } from './run-dir.js';
import { section } from './swanctl-conf.js';

export interface GatewayOptions {
  /**
   * When the gateway rekeys the IKE SA (duration: '30s', '5m', '1h', '1d' or plain seconds). Jitter is off; the
   * hard limit is twice this, so a rekey delayed by another exchange is not overtaken by expiry.
   */
  ikeLifetime?: string;
  /** When the gateway rekeys the CHILD SA; jitter off, hard expiry at twice this. */
  childLifetime?: string;
  /** Liveness check interval (the gateway sends empty INFORMATIONAL requests when the peer is idle). */
  dpdDelay?: string;
  /** Add the connection `full6`: full tunnel for IPv4 and IPv6, with an IPv6 pool (needs a network with ipv6). */
  ipv6Pool?: boolean;
  /** Write the CHILD_SAs' ESP keys to the log (read back with test/support/child-sa-keys.ts); off by default. */
  logChildKeys?: boolean;
  /**
   * Add one EAP connection per certificate a client must refuse (pki.ts BAD_CERTIFICATES: expired, not yet valid,
   * SHA-1-signed, RSA-1024, EKU clientAuth only), each named after it, with the id `<name>.vpn.example.test`.
   */
  certificateMatrix?: boolean;
  /**
   * Let clients move their IKE SA to another address (RFC 4555), `mobike = yes` on every connection. strongSwan's own
   * default is yes; these tests keep `no` unless asked, as they were written against a gateway without MOBIKE.
   */
  mobike?: boolean;
  /** Split DNS (RFC 8598): the pool also hands out these INTERNAL_DNS_DOMAIN attributes (type 25). */
  splitDnsDomains?: string[];
  /**
   * Add the connection `tls`: EAP-TLS by strongSwan's own eap-tls plugin, users from pki.ts createEapTlsCredentials
   * (the ECDSA CA and its CRL loaded), TLS up to `eapTls.versionMax`.
   */
  eapTls?: { versionMax: '1.2' | '1.3' };
  /** With eapTls: FreeRADIUS on the LAN host and the connection `radius` that relays EAP to it. */
  radius?: boolean;
  /**
   * Add the connection `cert`: IKEv2 certificate authentication of the client (no EAP), users from pki.ts
   * createClientCertCredentials; the ECDSA and RSA CAs are trusted, the other CA is not.
   */
  clientCert?: boolean;
}

export interface GatewayIds {
  ecdsa: 'ecdsa.vpn.example.test';
  rsa: 'rsa.vpn.example.test';
  psk: 'psk.vpn.example.test';
  totp: 'totp.vpn.example.test';
  /** PSK like `psk`, but the gateway offers everything (local_ts 0.0.0.0/0): a full tunnel. */
  full: 'full.vpn.example.test';
  /** Like `full`, with IPv6 too (local_ts ::/0, a virtual IPv6 address); only with the ipv6Pool option. */
  full6: 'full6.vpn.example.test';
  /**
   * PSK like `psk`, but its CHILD_SA allows only aes192gcm16, which no client offers by default: IKE_AUTH
   * authenticates both ends, then refuses the CHILD_SA with NO_PROPOSAL_CHOSEN and keeps the IKE SA.
   */
  nochild: 'nochild.vpn.example.test';
  /** EAP-TLS (only with the eapTls option). */
  tls: 'tls.vpn.example.test';
  /** EAP relayed to FreeRADIUS (only with the radius option). */
  radius: 'radius.vpn.example.test';
  /** IKEv2 certificate authentication of the client (only with the clientCert option). */
  cert: 'cert.vpn.example.test';
}

export type GatewayConnection = keyof GatewayIds;

export interface Gateway {
  address: '192.0.2.1';
  ids: GatewayIds;
  pki: TestPki;
  /** The users of `tls`, with the eapTls option. */
  eapTls: EapTlsCredentials | undefined;
  /** The users of `cert`, with the clientCert option. */
  clientCert: ClientCertCredentials | undefined;
  /** FreeRADIUS behind the `radius` connection, with the radius option. */
  radius: RadiusServer | undefined;
  /** EAP-MSCHAPv2 user (also the round-1 user of `totp`). */
  user: { name: string; password: string };
  /** IDi the `psk` connection expects (FQDN), and the pre-shared key. */
  pskClientId: string;
  psk: string;
  /** Base32, 160-bit; pam_google_authenticator checks the EAP-GTC round of `totp` against it. */
  totpSecret: string;
  pool: '203.0.113.0/24';
  /** The IPv6 pool of `full6`. */
  pool6: '2001:db8:2::/112';
  dns: '198.51.100.53';
  splitSubnet: '198.51.100.0/24';
  lanHost: '198.51.100.10';
  /** PID of the gateway's charon. */
  pid: number;
  /** The gateway's swanctl.conf directory (SWANCTL_DIR), for tests that want to read the configuration. */
  swanctlDir: string;
  listSas(): Promise<string>;
  /** Kills the gateway's charon (SIGKILL) and starts it again with the same configuration, after `downMs`. */
  restart(downMs?: number): Promise<void>;
  log(): Promise<string>;
  /** Runs swanctl with arbitrary arguments against the gateway (e.g. ['--terminate', '--ike', 'ecdsa']). */
  swanctl(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }>;
  stop(): Promise<void>;
}

export const GATEWAY_IDS: GatewayIds = {
  ecdsa: 'ecdsa.vpn.example.test',
  rsa: 'rsa.vpn.example.test',
  psk: 'psk.vpn.example.test',
  totp: 'totp.vpn.example.test',
  full: 'full.vpn.example.test',
  full6: 'full6.vpn.example.test',
  nochild: 'nochild.vpn.example.test',
  tls: 'tls.vpn.example.test',
  radius: 'radius.vpn.example.test',
  cert: 'cert.vpn.example.test',
};

/** Broad, but without aes192 so that a client offering only aes192gcm16 provokes NO_PROPOSAL_CHOSEN. */
const GROUPS = 'x25519-ecp256-ecp384-modp2048';
const IKE_PROPOSALS = [
  `aes256gcm16-aes128gcm16-chacha20poly1305-prfsha256-prfsha384-prfsha512-${GROUPS}`,
  `aes256-aes128-sha256-sha384-sha512-${GROUPS}`,
];
/** With and without a key exchange, so PFS is optional in CREATE_CHILD_SA. */
const ESP_PROPOSALS = [
  `aes256gcm16-aes128gcm16-chacha20poly1305-${GROUPS}`,
  `aes256-aes128-sha256-sha384-sha512-${GROUPS}`,
  'aes256gcm16-aes128gcm16-chacha20poly1305',
  'aes256-aes128-sha256-sha384-sha512',
];

const PAM_SERVICE = 'outpost-totp';

export async function startGateway(net: TestNetwork, options: GatewayOptions = {}): Promise<Gateway> {
  const dir = await createRunDir('gw');
  try {
    return await startIn(dir, net, options);
  } catch (error) {
    await removeRunDir(dir);
    throw error;
  }
}

async function startIn(dir: string, net: TestNetwork, options: GatewayOptions): Promise<Gateway> {
  const pki = await createTestPki(join(dir, 'pki'));
  const user = { name: 'alice', password: randomSecret() };
  const pskClientId = 'client.example.test';
  const psk = randomSecret();
  const totpSecret = generateSecret({ length: 20 });

  const swanctlDir = join(dir, 'swanctl');
  await installCredentials(swanctlDir, pki);
  const bad = options.certificateMatrix ? await createBadCertificates(pki) : undefined;
  for (const issued of Object.values(bad ?? {})) {
    await copyFile(issued.cert, join(swanctlDir, 'x509', basename(issued.cert)));
    await copyFile(issued.key, join(swanctlDir, 'private', basename(issued.key)));
  }
  const eapTls = options.eapTls ? await createEapTlsCredentials(pki) : undefined;
  if (eapTls) {
    for (const sub of ['x509ca', 'x509crl']) await mkdir(join(swanctlDir, sub), { recursive: true });
    for (const issued of [eapTls.gateway, eapTls.radiusGateway]) {
      await copyFile(issued.cert, join(swanctlDir, 'x509', basename(issued.cert)));
      await copyFile(issued.key, join(swanctlDir, 'private', basename(issued.key)));
    }
    // the users' CA, to check their certificates, and its CRL, which revokes one of them
    await copyFile(pki.ecdsaCaPem, join(swanctlDir, 'x509ca', basename(pki.ecdsaCaPem)));
    await copyFile(eapTls.crl, join(swanctlDir, 'x509crl', basename(eapTls.crl)));
  }
  const clientCert = options.clientCert ? await createClientCertCredentials(pki) : undefined;
  if (clientCert) {
    await mkdir(join(swanctlDir, 'x509ca'), { recursive: true });
    await copyFile(clientCert.gateway.cert, join(swanctlDir, 'x509', basename(clientCert.gateway.cert)));
    await copyFile(clientCert.gateway.key, join(swanctlDir, 'private', basename(clientCert.gateway.key)));
    for (const ca of [pki.ecdsaCaPem, pki.rsaCaPem]) await copyFile(ca, join(swanctlDir, 'x509ca', basename(ca)));
  }
  await writeFile(join(swanctlDir, 'swanctl.conf'), swanctlConf(options, user, pskClientId, psk));
  const pamDir = await writePam(dir, totpSecret);
  const radiusSecret = randomSecret();
  const radius =
    options.radius && eapTls
      ? await startRadius(net, {
          dir: join(dir, 'radius'),
          secret: radiusSecret,
          user,
          certificate: eapTls.radiusServer,
          usersCaFile: pki.ecdsaCaPem,
        })
      : undefined;

  const charonOptions = {
    dir,
    extraPlugins: [
      'xauth-pam',
      ...(eapTls ? ['eap-tls', 'revocation', 'constraints'] : []),
      ...(radius ? ['eap-radius'] : []),
    ],
    charonSettings: options.eapTls ? `  tls {\n    version_max = ${options.eapTls.versionMax}\n  }` : undefined,
    pluginSettings: `
    eap-gtc {
      backend = pam
    }
    xauth-pam {
      pam_service = ${PAM_SERVICE}
    }${
      radius
        ? `
    eap-radius {
      servers {
        lan {
          address = ${RADIUS_ADDRESS}
          secret = ${radiusSecret}
          auth_port = 1812
        }
      }
    }`
        : ''
    }`,
    bindMounts: [{ source: pamDir, target: '/etc/pam.d' }],
    logChildKeys: options.logChildKeys,
  };
  const launch = async (): Promise<Charon> => {
    const started = await Charon.start(net, net.gatewayNs, charonOptions);
    try {
      await started.swanctlOk(['--load-all', '--noprompt']);
    } catch (error) {
      await started.stop();
      throw error;
    }
    return started;
  };
  let charon: Charon;
  try {
    charon = await launch();
  } catch (error) {
    await radius?.stop();
    throw error;
  }

  return {
    address: '192.0.2.1',
    ids: GATEWAY_IDS,
    pki,
    eapTls,
    clientCert,
    radius,
    user,
    pskClientId,
    psk,
    totpSecret,
    pool: '203.0.113.0/24',
    pool6: '2001:db8:2::/112',
    dns: '198.51.100.53',
    splitSubnet: '198.51.100.0/24',
    lanHost: '198.51.100.10',
    get pid() {
      return charon.pid;
    },
    swanctlDir,
    listSas: () => charon.swanctlOk(['--list-sas']),
    log: () => charon.log(),
    swanctl: (args) => charon.swanctl(args),
    stop: async () => {
      await charon.stop();
      await radius?.stop();
      await removeRunDir(dir);
    },
    restart: async (downMs = 0) => {
      // a crash, not a shutdown: clients get no Delete and must notice by themselves
      process.kill(charon.pid, 'SIGKILL');
      await charon.stop();
      await new Promise((resolve) => setTimeout(resolve, downMs));
      charon = await launch();
    },
  };
}

/**
 * strongSwan's own defaults derive the hard limit as rekey time + 10 %, truncated to whole seconds: for a rekey time
 * under 10 s the SA expires the moment it should be rekeyed. The limit is set explicitly to twice the rekey time.
 * IKE SAs take the extra time as over_time, CHILD SAs the total as life_time.
 */
function rekeyTimes(duration: string, limit: 'over_time' | 'life_time'): string[] {
  const seconds = durationSeconds(duration);
  return [`rekey_time = ${seconds}s`, 'rand_time = 0s', `${limit} = ${limit === 'over_time' ? seconds : 2 * seconds}s`];
}

function durationSeconds(duration: string): number {
  const match = /^(\d+)([smhd]?)$/.exec(duration);
  if (!match) throw new Error(`not a strongSwan duration: ${duration}`);
  const unit = { '': 1, s: 1, m: 60, h: 3600, d: 86400 }[match[2] as '' | 's' | 'm' | 'h' | 'd'];
  return Number(match[1]) * unit;
}

/**
 * Letters and digits only, so the value needs no quoting in swanctl.conf. swanctl reads a secret starting with 0x as hex and with 0s as base64: a random secret with such a start (about one
 * gateway in a thousand) made every EAP login of that gateway fail with E=691. The fixed first letter rules it out.
 */
function randomSecret(): string {
  return `s${randomBytes(18).toString('base64url').replace(/[-_]/g, 'x')}`;
}

async function installCredentials(swanctlDir: string, pki: TestPki): Promise<void> {
  for (const sub of ['x509', 'private']) await mkdir(join(swanctlDir, sub), { recursive: true });
  for (const cert of [pki.ecdsaCertPem, pki.rsaCertPem, pki.totpCertPem]) {
    await copyFile(cert, join(swanctlDir, 'x509', basename(cert)));
  }
  for (const key of [pki.ecdsaKeyPem, pki.rsaKeyPem, pki.totpKeyPem]) {
    await copyFile(key, join(swanctlDir, 'private', basename(key)));
  }
}

/**
 * A private /etc/pam.d for charon's mount namespace. pam_google_authenticator reads and rewrites the secret file as
 * root (user=root), so it lives in a root-only directory of its own. The file sets neither DISALLOW_REUSE nor
 * RATE_LIMIT (back-to-back test logins reuse codes), and noskewadj keeps failed-code tests from teaching it a skew.
 * xauth-pam in 5.9.8 opens a PAM session per IKE_SA even with its `session = no` default, hence the session line.
 */
async function writePam(dir: string, totpSecret: string): Promise<string> {
  const totpDir = join(dir, 'totp');
  await mkdir(totpDir, { mode: 0o700 });
  const secretFile = join(totpDir, 'secret');
  await writeFile(secretFile, `${totpSecret}\n" TOTP_AUTH\n`, { mode: 0o600 });
  const pamDir = join(dir, 'pam.d');
  await mkdir(pamDir);
  await writeFile(
    join(pamDir, PAM_SERVICE),
    `auth required pam_google_authenticator.so secret=${secretFile} user=root noskewadj\n` +
      'account required pam_permit.so\n' +
      'session required pam_permit.so\n',
  );
  return pamDir;
}

function swanctlConf(
  options: GatewayOptions,
  user: { name: string; password: string },
  pskClientId: string,
  psk: string,
): string {
  const ike = [
    'version = 2',
    `proposals = ${IKE_PROPOSALS.join(', ')}`,
    'pools = clients',
    'fragmentation = yes',
    `mobike = ${options.mobike ? 'yes' : 'no'}`,
    'send_cert = always',
    ...(options.ikeLifetime ? rekeyTimes(options.ikeLifetime, 'over_time') : []),
    ...(options.dpdDelay ? [`dpd_delay = ${options.dpdDelay}`] : []),
  ];
  const child = (name: string, localTs = '198.51.100.0/24', espProposals = ESP_PROPOSALS): string =>
    section('children', [
      section(name, [
        `local_ts = ${localTs}`,
        `esp_proposals = ${espProposals.join(', ')}`,
        ...(options.childLifetime ? rekeyTimes(options.childLifetime, 'life_time') : []),
      ]),
    ]);
  const certLocal = (name: GatewayConnection): string =>
    section('local', ['auth = pubkey', `certs = ${name}-gw.pem`, `id = ${GATEWAY_IDS[name]}`]);
  const eap = (suffix: string, method: string): string =>
    section(`remote${suffix}`, [`auth = ${method}`, 'eap_id = %any']);

  const connections = section('connections', [
    section('ecdsa', [...ike, certLocal('ecdsa'), eap('', 'eap-mschapv2'), child('ecdsa')]),
    section('rsa', [...ike, certLocal('rsa'), eap('', 'eap-mschapv2'), child('rsa')]),
    section('psk', [
      ...ike,
      section('local', ['auth = psk', `id = ${GATEWAY_IDS.psk}`]),
      section('remote', ['auth = psk', `id = ${pskClientId}`]),
      child('psk'),
    ]),
    section('totp', [...ike, certLocal('totp'), eap('-1', 'eap-mschapv2'), eap('-2', 'eap-gtc'), child('totp')]),
    // asymmetric (RFC 7296 §2.15): the gateway proves itself with ecdsa's certificate, the client with the PSK; chosen
    // over `ecdsa` by the client's identity, which only this connection names
    section('asym', [
      ...ike,
      certLocal('ecdsa'),
      section('remote', ['auth = psk', `id = ${pskClientId}`]),
      child('asym'),
    ]),
    section('full', [
      ...ike,
      section('local', ['auth = psk', `id = ${GATEWAY_IDS.full}`]),
      section('remote', ['auth = psk', `id = ${pskClientId}`]),
      child('full', '0.0.0.0/0'),
    ]),
    section('nochild', [
      ...ike,
      section('local', ['auth = psk', `id = ${GATEWAY_IDS.nochild}`]),
      section('remote', ['auth = psk', `id = ${pskClientId}`]),
      child('nochild', '198.51.100.0/24', ['aes192gcm16']),
    ]),
    ...(options.eapTls
      ? [
          section('tls', [
            ...ike,
            section('local', ['auth = pubkey', 'certs = tls-gw.pem', `id = ${GATEWAY_IDS.tls}`]),
            eap('', 'eap-tls'),
            child('tls'),
          ]),
          ...(options.radius
            ? [
                section('radius', [
                  ...ike,
                  section('local', ['auth = pubkey', 'certs = radius-gw.pem', `id = ${GATEWAY_IDS.radius}`]),
                  eap('', 'eap-radius'),
                  child('radius'),
                ]),
              ]
            : []),
        ]
      : []),
    ...(options.clientCert
      ? [
          section('cert', [
            ...ike,
            section('local', ['auth = pubkey', 'certs = cert-gw.pem', `id = ${GATEWAY_IDS.cert}`]),
            section('remote', ['auth = pubkey', 'cacerts = ecdsa-ca.pem, rsa-ca.pem']),
            child('cert'),
          ]),
        ]
      : []),
    ...(options.certificateMatrix
      ? (Object.keys(BAD_CERTIFICATES) as BadCertificate[]).map((name) =>
          section(name, [
            ...ike,
            section('local', ['auth = pubkey', `certs = ${name}-gw.pem`, `id = ${name}.vpn.example.test`]),
            eap('', 'eap-mschapv2'),
            child(name),
          ]),
        )
      : []),
    ...(options.ipv6Pool
      ? [
          section('full6', [
            // one pool per family: charon answers each INTERNAL_IP*_ADDRESS request from the pool of its family
            ...ike.map((line) => (line === 'pools = clients' ? 'pools = clients, clients6' : line)),
            section('local', ['auth = psk', `id = ${GATEWAY_IDS.full6}`]),
            section('remote', ['auth = psk', `id = ${pskClientId}`]),
            child('full6', '0.0.0.0/0, ::/0'),
          ]),
        ]
      : []),
  ]);
  const pools = section('pools', [
    section('clients', [
      'addrs = 203.0.113.0/24',
      'dns = 198.51.100.53',
      'subnet = 198.51.100.0/24',
      // strongSwan knows no keyword for it: a numeric attribute type whose value is sent as the string given
      ...(options.splitDnsDomains?.length ? [`25 = ${options.splitDnsDomains.join(', ')}`] : []),
    ]),
    ...(options.ipv6Pool ? [section('clients6', ['addrs = 2001:db8:2::/112'])] : []),
  ]);
  const secrets = section('secrets', [
    section('eap-user', [`id = ${user.name}`, `secret = "${user.password}"`]),
    section('ike-psk', [
      `id-1 = ${GATEWAY_IDS.psk}`,
      `id-2 = ${GATEWAY_IDS.full}`,
      `id-3 = ${pskClientId}`,
      `id-4 = ${GATEWAY_IDS.full6}`,
      `id-5 = ${GATEWAY_IDS.nochild}`,
      `secret = "${psk}"`,
    ]),
  ]);
  return `# written by test/support/gateway.ts\n${connections}\n${pools}\n${secrets}\n`;
}
