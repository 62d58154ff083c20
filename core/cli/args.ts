/**
 * The `outpost` command line: a profile file, or a one-off connection described by flags in the manner of strongSwan's
 * charon-cmd. Parsed by hand so that every mistake (unknown option, missing value, option given twice, options that
 * contradict each other) gets its own sentence.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { DEFAULT_STATE_DIR } from '../adapter/linux/configure.js';
import { OutpostError } from '../errors.js';
import { DEFAULT_GROUP, DEFAULT_SOCKET } from '../helper/server.js';
import { DEFAULT_ESP_PROPOSALS, DEFAULT_IKE_PROPOSALS } from '../ike/proposals.js';
import { isTtlsInnerMethod, TTLS_INNER_METHODS } from '../eap/eap-ttls.js';
import { checkAuthSetting, usesEapServerCertificate } from '../profile/auth-rules.js';
import { loadProfile } from '../profile/load.js';
import { AUTH_METHODS, isAuthMethodName, type Profile } from '../profile/types.js';
import {
  assembleProfile,
  caPemFromFile,
  checkHost,
  checkIdentity,
  checkPort,
  pkcs12FromFile,
  DEFAULT_IKE_PORT,
  proposalsFrom,
  subnetsFrom,
} from '../profile/validate.js';

export type Command =
  | {
      kind: 'connect';
      profile: Profile;
      json: boolean;
      verbose: boolean;
      connectTimeoutMs: number | undefined;
      /** Check that the gateway is alive after this long without hearing from it. */
      livenessMs: number | undefined;
      /** Our own rekey times for the CHILD_SA and the IKE SA. */
      childRekeyMs: number | undefined;
      ikeRekeyMs: number | undefined;
      /** Where applied network settings are recorded (default /var/lib/outpost); the direct path's only. */
      stateDir: string | undefined;
      network: NetworkChoice;
      /** Block everything but the tunnel while connected and while reconnecting (the profile may ask too). */
      killSwitch: boolean;
    }
  | { kind: 'helper'; socket: string; group: string; stateDir: string }
  | { kind: 'disconnect'; socket: string }
  | { kind: 'help'; text: string }
  | { kind: 'version' };

/**
 * Who makes the network changes: the privileged helper service (an ordinary user's way), or this process itself (root
 * or CAP_NET_ADMIN); 'auto' picks the helper unless running as root.
 */
export type NetworkChoice = { kind: 'auto' } | { kind: 'helper'; socket: string } | { kind: 'direct' };

export const HELP_TEXT = `Usage:
  outpost connect --profile FILE [--user NAME] [options]
  outpost connect --gateway ADDRESS --auth METHOD [connection flags] [options]
  outpost disconnect [--helper SOCKET]
  outpost helper [--socket PATH] [--group NAME] [--state-dir DIR]
  outpost --help | --version

Connects to an IKEv2 VPN gateway and keeps the tunnel up until Ctrl+C.

Profile:
  --profile FILE        Outpost JSON profile or strongSwan .sswan profile
  --user NAME           EAP username (fills in or replaces the profile's)
  --cert FILE.p12       your certificate and key (PKCS#12) for eap-tls and cert
                        (fills in or replaces the profile's)

Connection flags (instead of --profile):
  --gateway ADDRESS     gateway host name or IP address (IPv4 or IPv6; a name with
                        both is tried over IPv6 first, IPv4 250 ms later)
  --port N              IKE UDP port (default ${DEFAULT_IKE_PORT})
  --gateway-id ID       identity the gateway must prove (FQDN, IP, email or DN);
                        default: the --gateway name as typed, checked against its certificate
  --ca FILE             CA certificate(s) that issued the gateway certificate
                        (PEM or DER); required for EAP methods
  --auth METHOD         ${AUTH_METHODS.join(', ')}
  --user NAME           EAP username (required for EAP methods)
  --eap-server-name N   eap-tls: the name the sign-in server's certificate must
                        carry (default: --gateway-id, else --gateway)
  --eap-ca FILE         eap-tls: CA of the sign-in server when it is not the
                        gateway's (a RADIUS server's own CA); likewise eap-ttls
  --ttls-inner METHOD   eap-ttls: the sign-in inside the tunnel: ${TTLS_INNER_METHODS.join(', ')}
                        (default pap)
  --identity ID         IKE identity to send (default: the username; for psk,
                        the local IP address)
  --ike PROPOSALS       IKE proposals in strongSwan syntax, comma-separated
                        (default: ${DEFAULT_IKE_PROPOSALS[0]}, ... ; "default" adds them)
  --esp PROPOSALS       ESP proposals, likewise (default: ${DEFAULT_ESP_PROPOSALS[0]}, ...)
  --split CIDR,...      send only these networks through the tunnel (repeatable)

Options:
  --json                print machine-readable events, one JSON object per line
  --verbose             print more detail about failures
  --timeout SECONDS     give up when not connected after this long
  --dpd SECONDS         check that the gateway is alive after this long without
                        traffic from it (default 30)
  --child-rekey SECONDS rekey the CHILD_SA after this long (default 3600, less up
                        to 10%); the gateway may rekey sooner
  --ike-rekey SECONDS   rekey the IKE SA after this long (default 14400)
  --kill-switch         block all traffic outside the tunnel while connected and
                        while reconnecting; it stays on (fail-closed) until
                        "outpost disconnect" when the helper service is used
  --legacy-signatures   accept an old gateway's RSA/SHA-1 signature (AUTH method
                        1), with a warning; SHA-1 can be forged
  --helper SOCKET       the network service's socket (default ${DEFAULT_SOCKET});
                        an ordinary user connects through it
  --no-helper           make the network changes in this process (root or
                        CAP_NET_ADMIN); the default when running as root
  --state-dir DIR       (root, without the helper) where applied routes/DNS are
                        recorded so they can be undone after a crash
                        (default /var/lib/outpost)
  -h, --help            show this help
  --version             show the version

Secrets come from the environment, or are asked for on the terminal:
  OUTPOST_PASSWORD      EAP password
  OUTPOST_PSK           pre-shared key (0x... hex and 0s... base64 as in strongSwan)
  OUTPOST_TOTP_SECRET   base32 TOTP secret: a fresh code is made when the gateway asks
  OUTPOST_OTP           a one-time code (eap-mschapv2+totp)
  OUTPOST_P12_PASSWORD  password of the PKCS#12 file (eap-tls, cert)
Asked codes are asked before connecting: enter one that is still valid for a few seconds.

outpost disconnect ends your session at the network service: it restores routes
and DNS and lifts the kill switch.

outpost helper runs the network service (as root, in the foreground):
  --socket PATH         its Unix socket (default ${DEFAULT_SOCKET}), mode 0660
  --group NAME          the group allowed to use it besides root (default ${DEFAULT_GROUP})
  --state-dir DIR       its journal of network changes (default /var/lib/outpost)

Examples:
  outpost connect --profile office.sswan
  outpost connect --gateway vpn.example.com --gateway-id vpn.example.com \\
    --ca company-ca.pem --auth eap-mschapv2 --user alice --split 10.0.0.0/8`;

type Flag =
  | 'profile'
  | 'gateway'
  | 'port'
  | 'gateway-id'
  | 'ca'
  | 'auth'
  | 'user'
  | 'cert'
  | 'eap-server-name'
  | 'eap-ca'
  | 'ttls-inner'
  | 'identity'
  | 'ike'
  | 'esp'
  | 'split'
  | 'json'
  | 'verbose'
  | 'timeout'
  | 'dpd'
  | 'child-rekey'
  | 'ike-rekey'
  | 'state-dir'
  | 'kill-switch'
  | 'legacy-signatures'
  | 'helper'
  | 'no-helper'
  | 'socket'
  | 'group'
  | 'help'
  | 'version';

const WITH_VALUE: ReadonlySet<string> = new Set<Flag>([
  'profile',
  'gateway',
  'port',
  'gateway-id',
  'ca',
  'auth',
  'user',
  'cert',
  'eap-server-name',
  'eap-ca',
  'ttls-inner',
  'identity',
  'ike',
  'esp',
  'split',
  'timeout',
  'dpd',
  'child-rekey',
  'ike-rekey',
  'state-dir',
  'helper',
  'socket',
  'group',
]);
const SWITCHES: ReadonlySet<string> = new Set<Flag>([
  'json',
  'verbose',
  'help',
  'version',
  'kill-switch',
  'no-helper',
  'legacy-signatures',
]);
/** What each command other than connect takes. */
const HELPER_FLAGS: readonly Flag[] = ['socket', 'group', 'state-dir', 'help'];
const DISCONNECT_FLAGS: readonly Flag[] = ['helper', 'help'];
const REPEATABLE: ReadonlySet<string> = new Set<Flag>(['split']);
/** Flags that describe the connection, which a profile already does. */
const CONNECTION_FLAGS: readonly Flag[] = [
  'gateway',
  'port',
  'gateway-id',
  'ca',
  'auth',
  'eap-server-name',
  'eap-ca',
  'ttls-inner',
  'identity',
  'ike',
  'esp',
  'split',
];

const MAX_TIMEOUT_SECONDS = 3600;

function usage(sentence: string): OutpostError {
  return new OutpostError('profile-invalid', `${sentence} Run "outpost --help" for the options.`);
}

function invalidOption(flag: Flag, problem: string): OutpostError {
  return new OutpostError('profile-invalid', `Option --${flag} ${problem}`);
}

/** Reads `--name value`, `--name=value` and switches into a map; values are collected per flag. */
function readFlags(args: string[]): Map<Flag, string[]> {
  const flags = new Map<Flag, string[]>();
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (arg === '-h') {
      flags.set('help', ['']);
      continue;
    }
    if (!arg.startsWith('--') || arg === '--') throw usage(`Unexpected argument "${arg}".`);
    const eq = arg.indexOf('=');
    const name = eq < 0 ? arg.slice(2) : arg.slice(2, eq);
    let value: string;
    if (SWITCHES.has(name)) {
      if (eq >= 0) throw usage(`Option --${name} takes no value.`);
      value = '';
    } else if (WITH_VALUE.has(name)) {
      const next = eq >= 0 ? arg.slice(eq + 1) : args[++i];
      if (next === undefined || (eq < 0 && next.startsWith('--'))) throw usage(`Option --${name} needs a value.`);
      value = next;
    } else {
      throw usage(`Unknown option --${name}.`);
    }
    const flag = name as Flag;
    const seen = flags.get(flag);
    if (seen && !REPEATABLE.has(flag)) throw usage(`Option --${flag} is given twice.`);
    flags.set(flag, [...(seen ?? []), value]);
  }
  return flags;
}

function secondsMs(flag: Flag, text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const seconds = /^\d+(\.\d+)?$/.test(text) ? Number(text) : Number.NaN;
  if (!(seconds > 0 && seconds <= MAX_TIMEOUT_SECONDS)) {
    throw invalidOption(flag, `must be a number of seconds above 0 and at most ${MAX_TIMEOUT_SECONDS}.`);
  }
  return Math.round(seconds * 1000);
}

/** The single value of a flag, trimmed; an empty value is refused. */
function single(flags: Map<Flag, string[]>, flag: Flag): string | undefined {
  const value = flags.get(flag)?.[0];
  if (value !== undefined && value.trim() === '') throw invalidOption(flag, 'must not be empty.');
  return value?.trim();
}

function fromProfileFile(flags: Map<Flag, string[]>, path: string): Profile {
  const mixed = CONNECTION_FLAGS.find((f) => flags.has(f));
  if (mixed) throw usage(`Option --${mixed} cannot be combined with --profile: the profile describes the connection.`);
  const profile = loadProfile(path);
  const user = single(flags, 'user');
  // a .sswan profile may leave the username to the command line; the parsers refuse one in a PSK profile
  checkAuthSetting(profile.auth, 'username', (user ?? profile.username) !== undefined, {
    missing: () => new OutpostError('profile-invalid', 'The profile has no username: give it with --user NAME.'),
    unused: () => invalidOption('user', `is only used with EAP authentication; this profile uses ${profile.auth}.`),
  });
  return user === undefined ? profile : { ...profile, username: user };
}

function fromFlags(flags: Map<Flag, string[]>, readFile: (path: string) => string): Profile {
  const one = (flag: Flag): string | undefined => single(flags, flag);
  const gatewayText = one('gateway');
  if (gatewayText === undefined) throw usage('Give --profile FILE, or --gateway ADDRESS with --auth METHOD.');
  const address = checkHost(gatewayText, 'Option --gateway');
  const portText = one('port');
  const port =
    portText === undefined
      ? DEFAULT_IKE_PORT
      : checkPort(/^\d+$/.test(portText) ? Number(portText) : Number.NaN, 'Option --port');
  const idText = one('gateway-id');
  const id = idText === undefined ? undefined : checkIdentity(idText, 'Option --gateway-id');

  const authText = one('auth');
  if (authText === undefined) throw usage('Option --auth METHOD is required with --gateway.');
  if (!isAuthMethodName(authText)) throw invalidOption('auth', `must be one of ${AUTH_METHODS.join(', ')}.`);
  const auth = authText;

  const caPath = one('ca');
  checkAuthSetting(auth, 'gatewayCa', caPath !== undefined, {
    missing: () => invalidOption('ca', `is required for ${auth}: it checks the gateway's certificate.`),
  });
  const caCertificatesPem =
    caPath === undefined
      ? undefined
      : caPemFromFile(resolve(caPath), 'Option --ca', (p) => Buffer.from(readFile(p), 'latin1'));

  const username = one('user');
  checkAuthSetting(auth, 'username', username !== undefined, {
    missing: () => invalidOption('user', `is required for ${auth}.`),
    unused: () => invalidOption('user', 'is only used with EAP authentication.'),
  });
  const identityText = one('identity');
  const identity = identityText === undefined ? undefined : checkIdentity(identityText, 'Option --identity');
  const eapServerName = one('eap-server-name');
  const eapCaPath = one('eap-ca');
  if (!usesEapServerCertificate(auth) && (eapServerName !== undefined || eapCaPath !== undefined)) {
    throw invalidOption(
      eapServerName === undefined ? 'eap-ca' : 'eap-server-name',
      'is only used with eap-tls, eap-ttls and eap-peap.',
    );
  }
  const ttlsInner = one('ttls-inner');
  if (ttlsInner !== undefined && auth !== 'eap-ttls') throw invalidOption('ttls-inner', 'is only used with eap-ttls.');
  if (ttlsInner !== undefined && !isTtlsInnerMethod(ttlsInner)) {
    throw invalidOption('ttls-inner', `must be one of ${TTLS_INNER_METHODS.join(', ')}.`);
  }
  const eapCaCertificatesPem =
    eapCaPath === undefined
      ? undefined
      : caPemFromFile(resolve(eapCaPath), 'Option --eap-ca', (p) => Buffer.from(readFile(p), 'latin1'));

  const ike = proposalsFrom(one('ike') ?? DEFAULT_IKE_PROPOSALS, 'ike', 'Option --ike');
  const esp = proposalsFrom(one('esp') ?? DEFAULT_ESP_PROPOSALS, 'esp', 'Option --esp');
  const split = (flags.get('split') ?? []).flatMap((v) => v.split(',')).map((s) => s.trim());
  if (split.includes('')) throw invalidOption('split', 'must be a comma-separated list of subnets such as 10.0.0.0/8.');

  return assembleProfile({
    name: address,
    uuid: undefined,
    gateway: { address, port, id, caCertificatesPem },
    auth,
    username,
    identity,
    eapServerName: eapServerName === undefined ? undefined : checkHost(eapServerName, 'Option --eap-server-name'),
    eapCaCertificatesPem,
    ttlsInner,
    ike,
    esp,
    splitSubnets: subnetsFrom(split, 'Option --split'),
    dnsServers: [],
    mtu: undefined,
  });
}

/**
 * `argv` without the node and script paths. `readFile` returns a file's content as a latin1 string (byte for byte, so
 * a DER certificate survives); tests pass their own.
 */
export function parseArgs(
  argv: string[],
  readFile: (path: string) => string = (p) => readFileSync(p, 'latin1'),
): Command {
  const [command, ...rest] = argv;
  if (command === undefined || command === 'help') return { kind: 'help', text: HELP_TEXT };
  if (command === 'helper' || command === 'disconnect') return serviceCommand(command, readFlags(rest));
  if (command !== 'connect') {
    if (!command.startsWith('-')) throw usage(`Unknown command "${command}".`);
    const flags = readFlags(argv);
    if (flags.has('help')) return { kind: 'help', text: HELP_TEXT };
    if (flags.has('version')) return { kind: 'version' };
    throw usage('Start with the command: outpost connect ...');
  }
  const flags = readFlags(rest);
  if (flags.has('help')) return { kind: 'help', text: HELP_TEXT };
  if (flags.has('version')) return { kind: 'version' };
  const profilePath = single(flags, 'profile');
  const described = profilePath === undefined ? fromFlags(flags, readFile) : fromProfileFile(flags, profilePath);
  const withCertificate = withClientCertificate(described, single(flags, 'cert'), readFile);
  const profile = flags.has('legacy-signatures') ? { ...withCertificate, legacySignatures: true } : withCertificate;
  return {
    kind: 'connect',
    profile,
    json: flags.has('json'),
    verbose: flags.has('verbose'),
    connectTimeoutMs: secondsMs('timeout', single(flags, 'timeout')),
    livenessMs: secondsMs('dpd', single(flags, 'dpd')),
    childRekeyMs: secondsMs('child-rekey', single(flags, 'child-rekey')),
    ikeRekeyMs: secondsMs('ike-rekey', single(flags, 'ike-rekey')),
    stateDir: single(flags, 'state-dir'),
    network: networkChoice(flags),
    killSwitch: flags.has('kill-switch') || profile.killSwitch === true,
  };
}

/** `--cert` fills in or replaces the profile's PKCS#12; eap-tls needs one from somewhere, other methods none. */
function withClientCertificate(
  profile: Profile,
  path: string | undefined,
  readFile: (path: string) => string,
): Profile {
  checkAuthSetting(profile.auth, 'clientCertificate', (path ?? profile.clientPkcs12) !== undefined, {
    missing: () => invalidOption('cert', `is required for ${profile.auth}: give your certificate file (PKCS#12).`),
    unused: () => invalidOption('cert', `is only used with eap-tls and cert; this profile uses ${profile.auth}.`),
  });
  const clientPkcs12 =
    path === undefined
      ? profile.clientPkcs12
      : pkcs12FromFile(resolve(path), 'Option --cert', (p) => Buffer.from(readFile(p), 'latin1'));
  return { ...profile, clientPkcs12 };
}

function networkChoice(flags: Map<Flag, string[]>): NetworkChoice {
  const socket = single(flags, 'helper');
  if (socket !== undefined && flags.has('no-helper')) throw usage('Options --helper and --no-helper contradict.');
  if (flags.has('no-helper')) return { kind: 'direct' };
  if (socket !== undefined) return { kind: 'helper', socket: resolve(socket) };
  return { kind: 'auto' };
}

function serviceCommand(command: 'helper' | 'disconnect', flags: Map<Flag, string[]>): Command {
  if (flags.has('help')) return { kind: 'help', text: HELP_TEXT };
  const allowed = command === 'helper' ? HELPER_FLAGS : DISCONNECT_FLAGS;
  const stray = [...flags.keys()].find((flag) => !allowed.includes(flag));
  if (stray) throw usage(`Option --${stray} is not for "outpost ${command}".`);
  if (command === 'disconnect')
    return { kind: 'disconnect', socket: resolve(single(flags, 'helper') ?? DEFAULT_SOCKET) };
  return {
    kind: 'helper',
    socket: resolve(single(flags, 'socket') ?? DEFAULT_SOCKET),
    group: single(flags, 'group') ?? DEFAULT_GROUP,
    stateDir: resolve(single(flags, 'state-dir') ?? DEFAULT_STATE_DIR),
  };
}
