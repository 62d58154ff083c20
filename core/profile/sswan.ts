/**
 * Import of strongSwan's `.sswan` profiles, the JSON that the strongSwan VPN Client for Android (and apps built on
 * it) import: https://docs.strongswan.org/docs/5.9/os/androidVpnClientProfiles.html and the app's
 * VpnProfileImportActivity. The format evolves, so unknown keys are ignored as the app ignores them; known keys are
 * checked strictly. A setting Outpost cannot honour where ignoring it would weaken security (a client certificate,
 * strict revocation checking, blocking traffic outside the tunnel) is refused with 'unsupported'.
 */
import { OutpostError } from '../errors.js';
import { DEFAULT_ESP_PROPOSALS, DEFAULT_IKE_PROPOSALS } from '../ike/proposals.js';
import { authNeeds } from './auth-rules.js';
import { JsonFields } from './json-fields.js';
import { subnetsCovering } from './subnets.js';
import type { AuthMethodName, Profile } from './types.js';
import {
  assembleProfile,
  caPemFromBase64,
  checkHost,
  checkIdentity,
  checkUuid,
  DEFAULT_IKE_PORT,
  dnsServersFrom,
  MTU_MAX,
  MTU_MIN,
  pkcs12FromBase64,
  proposalsFrom,
} from './validate.js';

/** The app's VpnType identifiers Outpost can connect with: username/password EAP, which strongSwan gateways run as
 * EAP-MSCHAPv2 for this type, EAP-TLS and IKEv2 certificate authentication with the user's certificate in `local.p12`. */
const SUPPORTED: Readonly<Record<string, AuthMethodName>> = {
  'ikev2-eap': 'eap-mschapv2',
  'ikev2-eap-tls': 'eap-tls',
  'ikev2-cert': 'cert',
};

/** The other VpnType identifiers, with the reason they cannot work. */
const UNSUPPORTED: Readonly<Record<string, string>> = {
  'ikev2-cert-eap': 'it authenticates the client with a certificate before EAP',
  'ikev2-byod-eap': 'BYOD profiles need TNC endpoint assessment',
};

const WHITESPACE = /\s+/;

function unsupported(sentence: string): OutpostError {
  return new OutpostError('unsupported', sentence);
}

export function parseSswanProfile(json: unknown): Profile {
  const root = JsonFields.root(json, 'The .sswan field', 'A .sswan profile', { blankIsAbsent: true });
  const uuid = checkUuid(root.requiredString('uuid'), root.label('uuid'));
  const name = root.requiredString('name');
  const type = root.requiredString('type');
  const reason = UNSUPPORTED[type];
  if (reason !== undefined) throw unsupported(`The profile type "${type}" is not supported by Outpost yet: ${reason}.`);
  const auth = SUPPORTED[type];
  if (auth === undefined) {
    const known = [...Object.keys(SUPPORTED), ...Object.keys(UNSUPPORTED)].join(', ');
    throw root.error('type', `is "${type}", which is not a known profile type (${known}).`);
  }

  const remote = root.object('remote');
  if (!remote) throw root.error('remote', 'is required.');
  const address = checkHost(remote.requiredString('addr'), remote.label('addr'));
  const port = remote.integer('port', 1, 65535) ?? DEFAULT_IKE_PORT;
  const idText = remote.string('id');
  const id = idText === undefined ? undefined : checkIdentity(idText, remote.label('id'));
  const cert = remote.string('cert');
  if (cert === undefined && authNeeds(auth).gatewayCa === 'required') {
    // the app falls back to the system's CA store; Outpost trusts only a CA the profile names
    throw remote.error(
      'cert',
      'is required by Outpost: it holds the CA (or gateway) certificate to check the gateway.',
    );
  }
  const caCertificatesPem = cert === undefined ? undefined : caPemFromBase64(cert, remote.label('cert'));
  // certreq (sending certificate requests), revocation.crl/ocsp, nat-keepalive, apps and excluded-apps change nothing
  // Outpost must enforce; revocation.strict does
  if (remote.object('revocation')?.boolean('strict') === true) {
    throw unsupported('The profile asks for strict certificate revocation checking, which Outpost does not do yet.');
  }

  const local = root.object('local');
  const identityText = local?.string('id');
  const identity = identityText === undefined ? undefined : checkIdentity(identityText, root.label('local.id'));
  // without eap_id the app asks for the username on import; the command line takes it with --user. EAP-TLS sends the
  // IKE identity as EAP identity when there is no eap_id, as the app does.
  const username = local?.string('eap_id') ?? (auth === 'eap-tls' ? identityText : undefined);
  const p12 = local?.string('p12');
  if (p12 !== undefined && authNeeds(auth).clientCertificate === 'unused')
    throw root.error('local.p12', 'is only used with ikev2-eap-tls and ikev2-cert profiles.');
  // the .sswan may leave the certificate to be installed separately; the command line then takes --cert
  const clientPkcs12 = p12 === undefined ? undefined : pkcs12FromBase64(p12, root.label('local.p12'));

  const ike = proposalsFrom(root.string('ike-proposal') ?? DEFAULT_IKE_PROPOSALS, 'ike', root.label('ike-proposal'));
  const esp = proposalsFrom(root.string('esp-proposal') ?? DEFAULT_ESP_PROPOSALS, 'esp', root.label('esp-proposal'));

  const split = root.object('split-tunneling');
  for (const family of ['block-ipv4', 'block-ipv6'] as const) {
    if (split?.boolean(family) === true) {
      throw unsupported(
        `The profile asks to block ${family === 'block-ipv4' ? 'IPv4' : 'IPv6'} traffic outside the tunnel, which Outpost does not do yet.`,
      );
    }
  }
  const included = split?.stringList('subnets', WHITESPACE) ?? [];
  const excluded = split?.stringList('excluded', WHITESPACE) ?? [];
  const splitSubnets =
    included.length === 0 && excluded.length === 0
      ? []
      : subnetsCovering(included, excluded, root.label('split-tunneling'));

  return assembleProfile({
    name,
    uuid,
    gateway: { address, port, id, caCertificatesPem },
    auth,
    username,
    identity,
    clientPkcs12,
    ike,
    esp,
    splitSubnets,
    dnsServers: dnsServersFrom(root.stringList('dns-servers', WHITESPACE) ?? [], root.label('dns-servers')),
    mtu: root.integer('mtu', MTU_MIN, MTU_MAX),
  });
}
