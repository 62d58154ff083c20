/**
 * EAP packet codec (RFC 3748 §4). In IKEv2 an EAP payload carries exactly one EAP packet (RFC 7296 §3.16), so the
 * Length field must equal the bytes received.
 */
import { DecodeError } from '../errors.js';

export const EapCode = { REQUEST: 1, RESPONSE: 2, SUCCESS: 3, FAILURE: 4 } as const;

export const EapType = {
  IDENTITY: 1,
  NOTIFICATION: 2,
  NAK: 3,
  MD5_CHALLENGE: 4,
  GTC: 6,
  TLS: 13,
  TTLS: 21,
  PEAP: 25,
  MSCHAPV2: 26,
  /** RFC 3748 §5.7: Vendor-Id and Vendor-Type follow in the Type-Data. */
  EXPANDED: 254,
} as const;

export interface EapPacket {
  code: number;
  identifier: number;
  /** The method Type: present for Request and Response, undefined for Success and Failure. */
  type: number | undefined;
  /** Type-Data for Request and Response; empty for Success and Failure. */
  data: Uint8Array;
}

const HEADER_LENGTH = 4;

function carriesType(code: number): boolean {
  return code === EapCode.REQUEST || code === EapCode.RESPONSE;
}

export function decodeEap(bytes: Uint8Array): EapPacket {
  if (bytes.length < HEADER_LENGTH) throw new DecodeError('EAP packet shorter than its header');
  const code = bytes[0]!;
  const identifier = bytes[1]!;
  const length = (bytes[2]! << 8) | bytes[3]!;
  if (length !== bytes.length) throw new DecodeError(`EAP length ${length} does not match the ${bytes.length} bytes`);

  if (carriesType(code)) {
    if (length < HEADER_LENGTH + 1) throw new DecodeError('EAP request or response without a type');
    // A copy, not a view: callers may pass a Buffer, whose slice() shares memory.
    return { code, identifier, type: bytes[4]!, data: new Uint8Array(bytes.subarray(HEADER_LENGTH + 1)) };
  }
  if (code === EapCode.SUCCESS || code === EapCode.FAILURE) {
    // RFC 3748 §4.2: Success and Failure carry no data.
    if (length !== HEADER_LENGTH) throw new DecodeError('EAP Success or Failure with data');
    return { code, identifier, type: undefined, data: new Uint8Array(0) };
  }
  throw new DecodeError(`EAP code ${code} is not defined`);
}

/** Encodes a packet this program built; an inconsistent packet is a programming error and throws RangeError. */
export function encodeEap(packet: EapPacket): Uint8Array {
  const { code, identifier, type, data } = packet;
  if (!Number.isInteger(identifier) || identifier < 0 || identifier > 0xff) {
    throw new RangeError(`EAP identifier ${identifier} is not a byte`);
  }
  const typed = carriesType(code);
  if (!typed && code !== EapCode.SUCCESS && code !== EapCode.FAILURE) throw new RangeError(`EAP code ${code}`);
  if (typed !== (type !== undefined)) {
    throw new RangeError('EAP type must be present exactly for requests and responses');
  }
  if (type !== undefined && (!Number.isInteger(type) || type < 0 || type > 0xff)) {
    throw new RangeError(`EAP type ${type} is not a byte`);
  }
  if (!typed && data.length > 0) throw new RangeError('EAP Success and Failure carry no data');

  const length = HEADER_LENGTH + (typed ? 1 + data.length : 0);
  if (length > 0xffff) throw new RangeError('EAP packet longer than 65535 bytes');
  const bytes = new Uint8Array(length);
  bytes[0] = code;
  bytes[1] = identifier;
  bytes[2] = length >> 8;
  bytes[3] = length & 0xff;
  if (type !== undefined) {
    bytes[4] = type;
    bytes.set(data, HEADER_LENGTH + 1);
  }
  return bytes;
}
