/**
 * Typed IKEv2 messages (RFC 7296 §3, RFC 7383 for SKF). The codec turns bytes into these values and back; the
 * next-payload chaining, lengths and flags are derived by the codec and never stored here.
 */
import type { PayloadType, ProtocolId, TransformType, TsType } from '../../iana.js';

export interface IkeHeader {
  spiI: Uint8Array; // 8 bytes
  spiR: Uint8Array; // 8 bytes; zero in the first IKE_SA_INIT request
  exchange: number;
  initiator: boolean; // the I flag: set by the original initiator of the IKE SA
  response: boolean; // the R flag
  messageId: number;
}

/** A header as decoded from the wire also carries the chaining/length fields needed to process the rest. */
export interface DecodedHeader extends IkeHeader {
  firstPayload: number;
  length: number;
}

export interface Transform {
  type: TransformType;
  id: number;
  /** Key length attribute in bits (ENCR AES-CBC/GCM); absent where the transform has a fixed key size. */
  keyLength?: number;
}

export interface Proposal {
  number: number; // 1-based, as on the wire
  protocol: ProtocolId;
  spi: Uint8Array; // empty for an IKE proposal in IKE_SA_INIT, 8 bytes when rekeying IKE, 4 bytes for ESP/AH
  transforms: Transform[];
}

export interface SaPayload {
  type: typeof PayloadType.SA;
  proposals: Proposal[];
}

export interface KePayload {
  type: typeof PayloadType.KE;
  group: number;
  data: Uint8Array;
}

export interface IdPayload {
  type: typeof PayloadType.IDi | typeof PayloadType.IDr;
  idType: number;
  data: Uint8Array;
}

export interface CertPayload {
  type: typeof PayloadType.CERT;
  encoding: number;
  data: Uint8Array;
}

export interface CertReqPayload {
  type: typeof PayloadType.CERTREQ;
  encoding: number;
  /** For X.509: concatenated SHA-1 hashes of trusted CAs' SubjectPublicKeyInfo (20 bytes each). */
  data: Uint8Array;
}

export interface AuthPayload {
  type: typeof PayloadType.AUTH;
  method: number;
  data: Uint8Array;
}

export interface NoncePayload {
  type: typeof PayloadType.NONCE;
  data: Uint8Array;
}

export interface NotifyPayload {
  type: typeof PayloadType.NOTIFY;
  protocol: number; // 0 when no SPI
  spi: Uint8Array;
  notifyType: number;
  data: Uint8Array;
}

export interface DeletePayload {
  type: typeof PayloadType.DELETE;
  protocol: number;
  /** Empty for IKE; otherwise each SPI has the protocol's size (4 for ESP/AH). */
  spis: Uint8Array[];
}

export interface VendorPayload {
  type: typeof PayloadType.VENDOR;
  data: Uint8Array;
}

export interface TrafficSelector {
  tsType: TsType;
  ipProtocol: number; // 0 = any
  startPort: number;
  endPort: number;
  startAddress: Uint8Array; // 4 bytes for IPv4, 16 for IPv6
  endAddress: Uint8Array;
}

export interface TsPayload {
  type: typeof PayloadType.TSi | typeof PayloadType.TSr;
  selectors: TrafficSelector[];
}

/** The encrypted payload exactly as on the wire: IV ‖ ciphertext ‖ ICV. `innerType` is the first inner payload. */
export interface SkPayload {
  type: typeof PayloadType.SK;
  innerType: number;
  body: Uint8Array;
}

export interface CfgAttribute {
  attrType: number;
  value: Uint8Array;
}

export interface CpPayload {
  type: typeof PayloadType.CP;
  cfgType: number;
  attributes: CfgAttribute[];
}

export interface EapPayload {
  type: typeof PayloadType.EAP;
  /** The whole EAP packet (RFC 3748 §4), decoded by core/eap. */
  message: Uint8Array;
}

/** RFC 7383 encrypted fragment; `innerType` is meaningful only in fragment 1 (0 otherwise). */
export interface SkfPayload {
  type: typeof PayloadType.SKF;
  innerType: number;
  fragmentNumber: number;
  totalFragments: number;
  body: Uint8Array;
}

/** A payload type we do not know, kept so that a non-critical one can be ignored (critical ones are rejected). */
export interface UnrecognizedPayload {
  type: 'unrecognized';
  payloadType: number;
  critical: boolean;
  body: Uint8Array;
}

export type Payload =
  | SaPayload
  | KePayload
  | IdPayload
  | CertPayload
  | CertReqPayload
  | AuthPayload
  | NoncePayload
  | NotifyPayload
  | DeletePayload
  | VendorPayload
  | TsPayload
  | SkPayload
  | CpPayload
  | EapPayload
  | SkfPayload
  | UnrecognizedPayload;

export interface IkeMessage {
  header: DecodedHeader;
  payloads: Payload[];
}
