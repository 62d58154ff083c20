import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { test } from 'node:test';
import { isOutpostError } from '../errors.js';
import { DhGroupId, EncrId, PrfId, TransformType as T } from '../iana.js';
import { DEFAULT_ESP_PROPOSALS, DEFAULT_IKE_PROPOSALS, parseProposalList } from '../ike/proposals.js';
import { type Command, HELP_TEXT, parseArgs } from './args.js';

const TESTDATA = join(import.meta.dirname, '..', 'profile', 'testdata');
const CA_PEM = readFileSync(join(TESTDATA, 'ca.pem'), 'latin1');

/** Serves only the CA file, so the tests never depend on the working directory. */
function files(path: string): string {
  if (path === resolve('ca.pem')) return CA_PEM;
  throw Object.assign(new Error(`ENOENT: ${path}`), { code: 'ENOENT' });
}

function connect(argv: string[]): Extract<Command, { kind: 'connect' }> {
  const command = parseArgs(['connect', ...argv], files);
  assert.equal(command.kind, 'connect');
  return command as Extract<Command, { kind: 'connect' }>;
}

function refuses(argv: string[], message: RegExp): void {
  assert.throws(
    () => parseArgs(argv, files),
    (e: unknown) => isOutpostError(e) && e.code === 'profile-invalid' && message.test(e.message),
  );
}

const EAP = ['--gateway', 'vpn.example.com', '--ca', 'ca.pem', '--auth', 'eap-mschapv2', '--user', 'alice'];

test('help and version, wherever they are asked for', () => {
  for (const argv of [[], ['help'], ['--help'], ['-h'], ['connect', '--help'], ['connect', '--gateway', 'x', '-h']]) {
    assert.deepEqual(parseArgs(argv, files), { kind: 'help', text: HELP_TEXT }, argv.join(' '));
  }
  assert.deepEqual(parseArgs(['--version'], files), { kind: 'version' });
  assert.deepEqual(parseArgs(['connect', '--version'], files), { kind: 'version' });
  assert.match(HELP_TEXT, /outpost connect --profile FILE/);
  assert.match(HELP_TEXT, /OUTPOST_TOTP_SECRET/);
});

test('a one-off EAP connection from flags, like charon-cmd', () => {
  const c = connect([
    ...EAP,
    '--port',
    '4500',
    '--gateway-id',
    'vpn.example.com',
    '--identity',
    'alice@example.com',
    '--ike',
    'aes256gcm16-prfsha256-x25519, default',
    '--esp=aes128gcm16',
    '--split',
    '10.0.0.0/8,192.0.2.0/24',
    '--split=198.51.100.9/24',
    '--json',
    '--verbose',
    '--timeout',
    '4.5',
  ]);
  assert.equal(c.json, true);
  assert.equal(c.verbose, true);
  assert.equal(c.connectTimeoutMs, 4500);
  const p = c.profile;
  assert.equal(p.name, 'vpn.example.com');
  assert.deepEqual(p.gateway, {
    address: 'vpn.example.com',
    port: 4500,
    id: 'vpn.example.com',
    caCertificatesPem: CA_PEM,
  });
  assert.equal(p.auth, 'eap-mschapv2');
  assert.equal(p.username, 'alice');
  assert.equal(p.identity, 'alice@example.com');
  assert.deepEqual(p.ikeProposalsText, ['aes256gcm16-prfsha256-x25519', ...DEFAULT_IKE_PROPOSALS]);
  assert.deepEqual(p.ikeProposals[0], [
    { type: T.ENCR, id: EncrId.AES_GCM_16, keyLength: 256 },
    { type: T.PRF, id: PrfId.HMAC_SHA2_256 },
    { type: T.DH, id: DhGroupId.CURVE25519 },
  ]);
  assert.deepEqual(p.espProposals, parseProposalList('aes128gcm16', 'esp'));
  assert.deepEqual(p.splitSubnets, ['10.0.0.0/8', '192.0.2.0/24', '198.51.100.0/24']);
});

test('defaults: port 500, default proposals, full tunnel, no timeout, human output', () => {
  const c = connect(EAP);
  assert.equal(c.json, false);
  assert.equal(c.verbose, false);
  assert.equal(c.connectTimeoutMs, undefined);
  assert.equal(c.profile.gateway.port, 500);
  assert.equal(c.profile.gateway.id, undefined);
  assert.deepEqual(c.profile.ikeProposalsText, DEFAULT_IKE_PROPOSALS);
  assert.deepEqual(c.profile.espProposalsText, DEFAULT_ESP_PROPOSALS);
  assert.deepEqual(c.profile.splitSubnets, []);
});

test('PSK needs neither --ca nor --user', () => {
  const p = connect([
    '--gateway',
    '192.0.2.1',
    '--gateway-id',
    'gw.lab',
    '--auth',
    'psk',
    '--identity',
    'client.lab',
  ]).profile;
  assert.equal(p.auth, 'psk');
  assert.equal(p.gateway.caCertificatesPem, undefined);
  assert.equal(p.username, undefined);
  assert.equal(p.identity, 'client.lab');
});

test('--profile reads a native or .sswan profile; --user fills in or replaces the username', () => {
  const native = connect(['--profile', join(TESTDATA, 'office.json'), '--json']);
  assert.equal(native.profile.name, 'Office');
  assert.equal(native.profile.username, 'alice');
  assert.equal(native.json, true);
  assert.equal(connect(['--profile', join(TESTDATA, 'office.json'), '--user', 'bob']).profile.username, 'bob');
  assert.equal(connect([`--profile=${join(TESTDATA, 'office.sswan')}`]).profile.auth, 'eap-mschapv2');
});

test('mistakes get their own sentence', () => {
  refuses(['connect'], /Give --profile FILE, or --gateway ADDRESS with --auth METHOD/);
  refuses(['dial'], /Unknown command "dial"/);
  refuses(['--gateway', 'x'], /Start with the command: outpost connect/);
  refuses(['connect', ...EAP, 'extra'], /Unexpected argument "extra"/);
  refuses(['connect', ...EAP, '--colour', 'blue'], /Unknown option --colour\. Run "outpost --help"/);
  refuses(['connect', ...EAP, '--ike'], /Option --ike needs a value/);
  refuses(['connect', '--gateway', '--auth', 'psk'], /Option --gateway needs a value/);
  refuses(['connect', ...EAP, '--user', 'bob'], /Option --user is given twice/);
  refuses(['connect', ...EAP, '--json=false'], /Option --json takes no value/);
  refuses(['connect', ...EAP, '--gateway-id='], /Option --gateway-id must not be empty/);
  refuses(['connect', '--gateway', 'gw', '--auth', 'eap-aka'], /Option --auth must be one of psk, eap-mschapv2/);
  refuses(
    ['connect', '--gateway', 'gw', '--auth', 'eap-tls', '--ca', 'ca.pem', '--user', 'alice'],
    /Option --cert is required for eap-tls/,
  );
  refuses(
    ['connect', '--gateway', 'gw', '--auth', 'eap-mschapv2', '--ca', 'ca.pem', '--user', 'a', '--cert', 'u.p12'],
    /Option --cert is only used with eap-tls/,
  );
  refuses(
    ['connect', '--gateway', 'gw', '--auth', 'eap-mschapv2', '--ca', 'ca.pem', '--user', 'a', '--eap-server-name', 'r'],
    /Option --eap-server-name is only used with eap-tls, eap-ttls and eap-peap/,
  );
  refuses(
    ['connect', '--gateway', 'gw', '--auth', 'eap-ttls', '--ca', 'ca.pem', '--user', 'a', '--ttls-inner', 'chap'],
    /Option --ttls-inner must be one of pap, mschapv2, eap-mschapv2, eap-md5, eap-gtc/,
  );
  refuses(['connect', '--gateway', 'gw'], /Option --auth METHOD is required with --gateway/);
  refuses(
    ['connect', '--gateway', 'bad host', '--auth', 'psk'],
    /Option --gateway must be a host name or an IP address/,
  );
  for (const port of ['0', '65536', '5e2', '-1', 'http']) {
    refuses(['connect', ...EAP, '--port', port], /Option --port must be a whole number from 1 to 65535/);
  }
  for (const timeout of ['0', '-1', 'soon', '3601']) {
    refuses(['connect', ...EAP, '--timeout', timeout], /Option --timeout must be a number of seconds/);
  }
  refuses(['connect', '--gateway', 'gw', '--auth', 'eap-md5', '--user', 'a'], /Option --ca is required for eap-md5/);
  // asymmetric (RFC 7296 §2.15): our PSK, the gateway's certificate checked against the CA
  assert.equal(
    connect(['--gateway', 'gw', '--auth', 'psk', '--ca', 'ca.pem']).profile.gateway.caCertificatesPem,
    CA_PEM,
  );
  refuses(
    ['connect', '--gateway', 'gw', '--auth', 'eap-gtc', '--ca', 'ca.pem'],
    /Option --user is required for eap-gtc/,
  );
  refuses(['connect', '--gateway', 'gw', '--auth', 'psk', '--user', 'a'], /Option --user is only used with EAP/);
  refuses(
    ['connect', '--gateway', 'gw', '--auth', 'eap-md5', '--user', 'a', '--ca', 'no.pem'],
    /Option --ca: the file ".*no\.pem" could not be read \(ENOENT\)/,
  );
  refuses(['connect', ...EAP, '--gateway-id', '%any'], /Option --gateway-id: The identity "%any"/);
  refuses(
    ['connect', ...EAP, '--ike', 'aes256-md5-x25519'],
    /Option --ike: The IKE proposal "aes256-md5-x25519" contains "md5"/,
  );
  refuses(['connect', ...EAP, '--esp', 'aes256gcm16,'], /Option --esp: An ESP proposal is empty/);
  refuses(['connect', ...EAP, '--split', '10.0.0.0/8,,'], /Option --split must be a comma-separated list/);
  refuses(['connect', ...EAP, '--split', '10.0.0.0/99'], /Option --split: "10\.0\.0\.0\/99" is not a valid subnet/);
});

test('--profile excludes the connection flags and checks --user against the profile', () => {
  const office = join(TESTDATA, 'office.json');
  refuses(['connect', '--profile', office, '--gateway', 'x'], /Option --gateway cannot be combined with --profile/);
  refuses(['connect', '--profile', office, '--ike', 'default'], /Option --ike cannot be combined with --profile/);
  refuses(['connect', '--profile', join(TESTDATA, 'missing.json')], /The profile ".*missing\.json" could not be read/);
});

test('--legacy-signatures lets an old gateway sign with RSA/SHA-1; without it the profile decides', () => {
  const flags = ['--gateway', 'gw', '--auth', 'psk'];
  assert.equal(connect(flags).profile.legacySignatures, undefined);
  assert.equal(connect([...flags, '--legacy-signatures']).profile.legacySignatures, true);
});
