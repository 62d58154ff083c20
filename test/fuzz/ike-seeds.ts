/**
 * Valid IKE payloads the fuzzers start from: one of every payload Outpost receives, as a gateway would send them in
 * IKE_SA_INIT, IKE_AUTH (inside SK), CREATE_CHILD_SA and INFORMATIONAL, encoded by our own encoder.
 */
import { readFileSync } from 'node:fs';
import {
  AuthMethod,
  CertEncoding,
  CfgAttr,
  CfgType,
  DhGroupId,
  IdType,
  NotifyType,
  PayloadType,
  ProtocolId,
} from '../../core/iana.js';
import { parseIdentity } from '../../core/ike/identity.js';
import { notify } from '../../core/ike/message/helpers.js';
import { encodePayload, payloadTypeOf } from '../../core/ike/message/payloads.js';
import type { CpPayload, Payload } from '../../core/ike/message/types.js';
import { selectorFromCidr } from '../../core/ike/traffic-selectors.js';
import { type ProposalKind, parseProposal } from '../../core/ike/proposals.js';
import { encodeEap, EapCode, EapType } from '../../core/eap/packet.js';
import { fromHex } from '../support/hex.js';
import type { Segment } from './ike-chain.js';

/** The CA certificate of the profile fixtures: a real DER certificate for CERT payloads and the X.509 fuzzer. */
export const CA_DER = Uint8Array.from(readFileSync(new URL('../../core/profile/testdata/ca.der', import.meta.url)));

const ascii = (s: string): Uint8Array => new TextEncoder().encode(s);
const filled = (length: number, value: number): Uint8Array => new Uint8Array(length).fill(value);

/** A proposal as a gateway answers one, from strongSwan's proposal syntax. */
function chosenSa(protocol: ProtocolId, spi: Uint8Array, proposal: string, kind: ProposalKind): Payload {
  return { type: PayloadType.SA, proposals: [{ number: 1, protocol, spi, transforms: parseProposal(proposal, kind) }] };
}

const ESP_SA = chosenSa(ProtocolId.ESP, fromHex('c0ffee01'), 'aes256gcm16', 'esp');
const IKE_SA = chosenSa(ProtocolId.IKE, new Uint8Array(0), 'aes128-sha256-x25519', 'ike');

/** A configuration reply with every attribute parseConfigReply reads, and two it ignores. */
export const CP_REPLY: CpPayload = {
  type: PayloadType.CP,
  cfgType: CfgType.REPLY,
  attributes: [
    { attrType: CfgAttr.INTERNAL_IP4_ADDRESS, value: fromHex('0a000002') },
    { attrType: CfgAttr.INTERNAL_IP4_NETMASK, value: fromHex('ffffff00') },
    { attrType: CfgAttr.INTERNAL_IP4_DNS, value: fromHex('0a000035') },
    { attrType: CfgAttr.INTERNAL_IP6_ADDRESS, value: fromHex('20010db8000000000000000000000002 40') },
    { attrType: CfgAttr.INTERNAL_IP6_DNS, value: fromHex('20010db8000000000000000000000035') },
    { attrType: CfgAttr.INTERNAL_IP4_SUBNET, value: fromHex('0a000000 ff000000') },
    { attrType: CfgAttr.INTERNAL_IP6_SUBNET, value: fromHex('20010db8000000000000000000000000 30') },
    { attrType: CfgAttr.INTERNAL_DNS_DOMAIN, value: ascii('corp.example.com') },
    { attrType: CfgAttr.APPLICATION_VERSION, value: ascii('strongSwan') },
  ],
};

/** EAP packets a gateway sends inside IKE_AUTH: identity and MS-CHAPv2 challenge requests, then the outcome. */
const EAP_SEEDS: readonly Uint8Array[] = [
  encodeEap({ code: EapCode.REQUEST, identifier: 1, type: EapType.IDENTITY, data: new Uint8Array(0) }),
  encodeEap({
    code: EapCode.REQUEST,
    identifier: 2,
    type: EapType.MSCHAPV2,
    data: fromHex('01 02 0021 10 5b5d7c7d7b3f2f3e3c2c602132262628 676174657761790a'),
  }),
  encodeEap({ code: EapCode.SUCCESS, identifier: 3, type: undefined, data: new Uint8Array(0) }),
];

const SELECTORS = [selectorFromCidr('10.0.0.0/8'), selectorFromCidr('2001:db8::/32')];

/** A DER ECDSA signature: SEQUENCE of two INTEGERs, r with a leading zero. */
const ECDSA = `3045 0221 00${'a1'.repeat(32)} 0220 ${'5b'.repeat(32)}`;
/** AlgorithmIdentifier of RSASSA-PSS: SHA-256, MGF1 with SHA-256, salt length 32 (RFC 4055 §3.1). */
const RSASSA_PSS = `3041 06092a864886f70d01010a 3034
  a00f 300d 0609608648016503040201 0500
  a11c 301a 06092a864886f70d010108 300d 0609608648016503040201 0500
  a203 020120`;

/** Payloads of the protected exchanges: what the decrypted SK of an IKE_AUTH response or an INFORMATIONAL holds. */
const INNER_PAYLOADS: readonly Payload[] = [
  { type: PayloadType.IDr, idType: IdType.FQDN, data: ascii('vpn.example.com') },
  { type: PayloadType.IDr, idType: IdType.IPV4_ADDR, data: fromHex('c0000201') },
  { type: PayloadType.IDr, idType: IdType.RFC822_ADDR, data: ascii('gw@example.com') },
  { type: PayloadType.CERT, encoding: CertEncoding.X509_SIGNATURE, data: CA_DER },
  { type: PayloadType.AUTH, method: AuthMethod.SHARED_KEY_MIC, data: filled(32, 0xa5) },
  {
    type: PayloadType.AUTH,
    method: AuthMethod.DIGITAL_SIGNATURE,
    data: fromHex(`0f 300d06092a864886f70d01010b0500 ${'5a'.repeat(64)}`),
  },
  CP_REPLY,
  ESP_SA,
  { type: PayloadType.TSi, selectors: SELECTORS },
  { type: PayloadType.TSr, selectors: [SELECTORS[0]!] },
  notify(NotifyType.AUTHENTICATION_FAILED),
  notify(NotifyType.ANOTHER_AUTH_FOLLOWS),
  notify(NotifyType.REKEY_SA, new Uint8Array(0), ProtocolId.ESP, fromHex('c0ffee02')),
  notify(NotifyType.SIGNATURE_HASH_ALGORITHMS, fromHex('0002 0003 0004')),
  { type: PayloadType.DELETE, protocol: ProtocolId.ESP, spis: [fromHex('c0ffee01'), fromHex('c0ffee02')] },
  { type: PayloadType.DELETE, protocol: ProtocolId.IKE, spis: [] },
  ...EAP_SEEDS.map((message): Payload => ({ type: PayloadType.EAP, message })),
  { type: PayloadType.NONCE, data: filled(32, 0x11) },
  { type: PayloadType.KE, group: DhGroupId.CURVE25519, data: filled(32, 0x22) },
  { type: PayloadType.VENDOR, data: ascii('Outpost fuzz') },
  { type: 'unrecognized', payloadType: 200, critical: false, body: filled(8, 0x33) },
  { type: PayloadType.IDr, ...parseIdentity('C=CH, O=Outpost Test, CN=Outpost Test CA') },
  // RFC 7427 AUTH: ECDSA with SHA-256 (the CA's key is P-256), and RSASSA-PSS with its parameters spelled out
  {
    type: PayloadType.AUTH,
    method: AuthMethod.DIGITAL_SIGNATURE,
    data: fromHex(`0c 300a06082a8648ce3d040302 ${ECDSA}`),
  },
  {
    type: PayloadType.AUTH,
    method: AuthMethod.DIGITAL_SIGNATURE,
    data: fromHex(`43 ${RSASSA_PSS} ${'5a'.repeat(256)}`),
  },
];

/** Payloads of an IKE_SA_INIT response, outside any encryption. */
export const OUTER_PAYLOADS: readonly Payload[] = [
  IKE_SA,
  { type: PayloadType.KE, group: DhGroupId.CURVE25519, data: filled(32, 0x44) },
  { type: PayloadType.NONCE, data: filled(32, 0x55) },
  notify(NotifyType.NAT_DETECTION_SOURCE_IP, filled(20, 0x66)),
  notify(NotifyType.IKEV2_FRAGMENTATION_SUPPORTED),
  { type: PayloadType.CERTREQ, encoding: CertEncoding.X509_SIGNATURE, data: filled(20, 0x77) },
];

function segmentOf(payload: Payload): Segment {
  return { type: payloadTypeOf(payload), critical: false, body: encodePayload(payload) };
}

/** Typical chains, as lists of payloads: the donors of every splice come from all of them. */
export const INNER_CHAINS: readonly (readonly Segment[])[] = [
  [0, 3, 4, 6, 7, 8, 9],
  [0, 4, 6, 7, 8, 9, 11],
  [10],
  [12, 7, 17, 8, 9],
  [14],
  [15],
  [16],
  [0, 3, 4, 17],
  [18],
  [1, 5, 13, 20, 21],
  [2, 19],
  [23, 3, 4],
  [0, 3, 24],
  [0, 25],
].map((indices) => indices.map((i) => segmentOf(INNER_PAYLOADS[i]!)));

export const INNER_DONORS: readonly Segment[] = [...INNER_PAYLOADS, ...OUTER_PAYLOADS].map(segmentOf);
