/**
 * Profile files as the desktop app imports them (parseProfileText: JSON, then the native or the .sswan reader by name
 * or shape): the fixtures mutated as JSON documents and as text. A profile is refused only with an OutpostError
 * ('profile-invalid', or 'unsupported' for a .sswan setting Outpost cannot honour).
 */
import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { fileURLToPath } from 'node:url';
import { isOutpostError } from '../../../core/errors.js';
import { formatCidr, parseCidr } from '../../../core/net/address.js';
import { authNeeds } from '../../../core/profile/auth-rules.js';
import type { Profile } from '../../../core/profile/types.js';
import { MTU_MAX, MTU_MIN } from '../../../core/profile/validate.js';
import { parseProfileText } from '../../../electron/services/profile-store.js';
import { type Json, JsonMutator } from '../json-mutator.js';
import type { Dice } from '../mutator.js';
import { defineTarget } from '../target.js';

const TESTDATA = new URL('../../../core/profile/testdata/', import.meta.url);
const fixture = (name: string): string => readFileSync(new URL(name, TESTDATA), 'utf8');

const NATIVE = JSON.parse(fixture('office.json')) as Json;
const SSWAN = JSON.parse(fixture('office.sswan')) as Json;
const INLINE_CA: Json = {
  name: 'Inline CA',
  gateway: { address: '2001:db8::1', port: 4500, ca: fixture('ca.pem') },
  auth: 'eap-gtc',
  username: 'bob',
  splitSubnets: ['0.0.0.0/0', '::/0'],
  killSwitch: true,
  legacySignatures: false,
};
const PSK: Json = { version: 1, name: 'PSK', gateway: { address: '192.0.2.1', id: '@vpn' }, auth: 'psk' };

const VOCABULARY = {
  keys: [
    ...['version', 'name', 'uuid', 'gateway', 'auth', 'username', 'identity', 'ike', 'esp', 'splitSubnets'],
    ...['dnsServers', 'mtu', 'killSwitch', 'legacySignatures', 'address', 'port', 'id', 'ca', 'caFile'],
    ...['type', 'remote', 'addr', 'cert', 'certreq', 'revocation', 'strict', 'local', 'eap_id', 'ike-proposal'],
    ...['esp-proposal', 'dns-servers', 'split-tunneling', 'subnets', 'excluded', 'block-ipv4', 'block-ipv6'],
  ],
  strings: [
    ...['psk', 'eap-mschapv2', 'eap-gtc', 'eap-md5', 'eap-mschapv2+totp', 'ikev2-eap', 'ikev2-cert', 'ikev2-byod-eap'],
    ...['vpn.example.com', '192.0.2.1', '2001:db8::1', 'fe80::1%eth0', '@vpn', '@#0a0b', 'C=CH, O=Outpost, CN=vpn'],
    ...[
      'aes256gcm16-prfsha256-x25519',
      'aes256-sha256-modp2048',
      'aes128-sha1-ecp256',
      'aes256gcm16',
      'chacha20poly1305',
    ],
    ...['10.0.0.0/8', '0.0.0.0/0', '::/0', '192.0.2.10 - 192.0.2.11', '10.9.0.0/16', '10.0.0.0/33', '2001:db8::/129'],
    ...['6F1C3F0E-2A47-4D0C-9B8E-3F1D2C4B5A69', 'ca.pem', 'ca.der', '-----BEGIN CERTIFICATE-----', 'MIIB', '===='],
  ],
  numbers: [0, 1, 500, 4500, 65535, 65536, 1279, 1280, 1400, 1500, 1501, 2 ** 31, 2 ** 53, 0.5, -1, 1e21],
  documents: [NATIVE, SSWAN, INLINE_CA, PSK],
};

const FILE_NAMES = ['office.json', 'office.sswan', 'office.SSWAN', 'profile', 'office.conf'];

interface ProfileFile {
  name: string;
  text: string;
}

const MUTATOR = new JsonMutator(VOCABULARY);

function generate(dice: Dice): ProfileFile {
  return { name: dice.pick(FILE_NAMES), text: MUTATOR.document(dice) };
}

function isCanonicalCidr(text: string): boolean {
  try {
    return formatCidr(parseCidr(text)) === text;
  } catch {
    return false;
  }
}

/** What every user of a Profile relies on; an accepted profile that breaks it means a reader let a bad value in. */
function checkProfile(profile: Profile): void {
  const { port } = profile.gateway;
  const broken = [
    (!Number.isInteger(port) || port < 1 || port > 65535) && `gateway port ${port}`,
    profile.mtu !== undefined && !(Number.isInteger(profile.mtu) && profile.mtu >= MTU_MIN && profile.mtu <= MTU_MAX)
      ? `MTU ${profile.mtu}`
      : false,
    ...profile.splitSubnets.map((subnet) => !isCanonicalCidr(subnet) && `split subnet "${subnet}"`),
    ...profile.dnsServers.map((server) => isIP(server) === 0 && `DNS server "${server}"`),
    (profile.ikeProposals.length === 0 || profile.espProposals.length === 0) && 'no proposals',
    authNeeds(profile.auth).gatewayCa === 'required' && profile.gateway.caCertificatesPem === undefined && 'no CA',
    profile.gateway.address === '' && 'no gateway address',
  ].filter((problem) => problem !== false);
  if (broken.length > 0) throw new Error(`profile accepted with ${broken.join(', ')}`);
}

function run({ name, text }: ProfileFile): boolean {
  checkProfile(parseProfileText(name, text, fileURLToPath(TESTDATA)).profile);
  return true;
}

export const profileTarget = defineTarget({
  name: 'profile',
  generate,
  run,
  expected: isOutpostError,
  show: ({ name, text }) => `${name} ${JSON.stringify(text)}`,
});
