/**
 * Outpost's own JSON profile (documented in FORMAT.md). Strict: unknown keys, wrong types and values that do not parse
 * are refused with a sentence naming the field, so a typo can never quietly drop a setting.
 */
import { isAbsolute, resolve } from 'node:path';
import { DEFAULT_ESP_PROPOSALS, DEFAULT_IKE_PROPOSALS } from '../ike/proposals.js';
import { isTtlsInnerMethod, TTLS_INNER_METHODS } from '../eap/eap-ttls.js';
import { authNeeds, checkAuthSetting, usesEapServerCertificate } from './auth-rules.js';
import { JsonFields } from './json-fields.js';
import { AUTH_METHODS, isAuthMethodName, type Profile } from './types.js';
import {
  assembleProfile,
  caPemFromFile,
  caPemFromText,
  checkHost,
  checkIdentity,
  checkUuid,
  DEFAULT_IKE_PORT,
  dnsServersFrom,
  MTU_MAX,
  MTU_MIN,
  pkcs12FromFile,
  proposalsFrom,
  subnetsFrom,
} from './validate.js';

export const NATIVE_PROFILE_VERSION = 1;

const ROOT_KEYS = [
  'version',
  'name',
  'uuid',
  'gateway',
  'auth',
  'username',
  'identity',
  'ike',
  'esp',
  'splitSubnets',
  'dnsServers',
  'mtu',
  'killSwitch',
  'legacySignatures',
  'eapServerName',
  'eapCa',
  'eapCaFile',
  'pkcs12File',
  'ttlsInner',
];
const GATEWAY_KEYS = ['address', 'port', 'id', 'ca', 'caFile'];

/** `baseDir` resolves a relative `gateway.caFile` (the directory of the profile file). */
export function parseNativeProfile(json: unknown, baseDir: string): Profile {
  const root = JsonFields.root(json, 'Profile field', 'A profile');
  root.only(ROOT_KEYS);
  const version = root.integer('version', 0, Number.MAX_SAFE_INTEGER);
  if (version !== undefined && version !== NATIVE_PROFILE_VERSION) {
    throw root.error('version', `is ${version}; this Outpost reads version ${NATIVE_PROFILE_VERSION} profiles.`);
  }
  const name = root.requiredString('name');
  const uuidText = root.string('uuid');
  const uuid = uuidText === undefined ? undefined : checkUuid(uuidText, root.label('uuid'));

  const gateway = root.object('gateway');
  if (!gateway) throw root.error('gateway', 'is required.');
  gateway.only(GATEWAY_KEYS);
  const address = checkHost(gateway.requiredString('address'), gateway.label('address'));
  const port = gateway.integer('port', 1, 65535) ?? DEFAULT_IKE_PORT;
  const idText = gateway.string('id');
  const id = idText === undefined ? undefined : checkIdentity(idText, gateway.label('id'));

  const authText = root.requiredString('auth');
  if (!isAuthMethodName(authText)) throw root.error('auth', `must be one of ${AUTH_METHODS.join(', ')}.`);
  const auth = authText;

  const caText = gateway.string('ca');
  const caFile = gateway.string('caFile');
  if (caText !== undefined && caFile !== undefined) {
    throw gateway.error('caFile', 'cannot be given together with "gateway.ca": use one of them.');
  }
  checkAuthSetting(auth, 'gatewayCa', caText !== undefined || caFile !== undefined, {
    missing: () =>
      gateway.error('ca', 'is required for EAP authentication (or "gateway.caFile"): it checks the gateway.'),
  });
  let caCertificatesPem: string | undefined;
  if (caText !== undefined) caCertificatesPem = caPemFromText(caText, gateway.label('ca'));
  else if (caFile !== undefined) {
    caCertificatesPem = caPemFromFile(isAbsolute(caFile) ? caFile : resolve(baseDir, caFile), gateway.label('caFile'));
  }

  const username = root.string('username');
  checkAuthSetting(auth, 'username', username !== undefined, {
    missing: () => root.error('username', `is required for ${auth} authentication.`),
    unused: () => root.error('username', 'is only used with EAP authentication.'),
  });
  const eapServerNameText = root.string('eapServerName');
  const eapCaText = root.string('eapCa');
  const eapCaFile = root.string('eapCaFile');
  const pkcs12File = root.string('pkcs12File');
  if (!usesEapServerCertificate(auth)) {
    const stray = (['eapServerName', 'eapCa', 'eapCaFile'] as const).find((key) => root.has(key));
    if (stray) throw root.error(stray, 'is only used with eap-tls, eap-ttls and eap-peap authentication.');
  }
  const ttlsInnerText = root.string('ttlsInner');
  if (ttlsInnerText !== undefined && auth !== 'eap-ttls') {
    throw root.error('ttlsInner', 'is only used with eap-ttls authentication.');
  }
  if (ttlsInnerText !== undefined && !isTtlsInnerMethod(ttlsInnerText)) {
    throw root.error('ttlsInner', `must be one of ${TTLS_INNER_METHODS.join(', ')}.`);
  }
  const ttlsInner = ttlsInnerText;
  if (eapCaText !== undefined && eapCaFile !== undefined) {
    throw root.error('eapCaFile', 'cannot be given together with "eapCa": use one of them.');
  }
  // not required with eap-tls: the app keeps the PKCS#12 in the keychain instead, the command line takes --cert
  if (pkcs12File !== undefined && authNeeds(auth).clientCertificate === 'unused') {
    throw root.error('pkcs12File', 'is only used with eap-tls and cert authentication.');
  }
  const fromFile = (file: string) => (isAbsolute(file) ? file : resolve(baseDir, file));
  let eapCaCertificatesPem: string | undefined;
  if (eapCaText !== undefined) eapCaCertificatesPem = caPemFromText(eapCaText, root.label('eapCa'));
  else if (eapCaFile !== undefined) eapCaCertificatesPem = caPemFromFile(fromFile(eapCaFile), root.label('eapCaFile'));
  const clientPkcs12 =
    pkcs12File === undefined ? undefined : pkcs12FromFile(fromFile(pkcs12File), root.label('pkcs12File'));
  const eapServerName =
    eapServerNameText === undefined ? undefined : checkHost(eapServerNameText, root.label('eapServerName'));

  const identityText = root.string('identity');
  const identity = identityText === undefined ? undefined : checkIdentity(identityText, root.label('identity'));

  const proposals = (key: 'ike' | 'esp') => {
    const value = root.has(key)
      ? (root.stringList(key, /,/) ?? [])
      : key === 'ike'
        ? DEFAULT_IKE_PROPOSALS
        : DEFAULT_ESP_PROPOSALS;
    return proposalsFrom(value, key, root.label(key));
  };
  const ike = proposals('ike');
  const esp = proposals('esp');

  return assembleProfile({
    name,
    uuid,
    gateway: { address, port, id, caCertificatesPem },
    auth,
    username,
    identity,
    eapServerName,
    eapCaCertificatesPem,
    clientPkcs12,
    ttlsInner,
    ike,
    esp,
    splitSubnets: subnetsFrom(root.stringList('splitSubnets') ?? [], root.label('splitSubnets')),
    dnsServers: dnsServersFrom(root.stringList('dnsServers') ?? [], root.label('dnsServers')),
    mtu: root.integer('mtu', MTU_MIN, MTU_MAX),
    killSwitch: root.boolean('killSwitch') ?? false,
    legacySignatures: root.boolean('legacySignatures') ?? false,
  });
}
