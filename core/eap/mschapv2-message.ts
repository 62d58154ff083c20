/**
 * EAP-MSCHAPv2 Type-Data codec (draft-kamath-pppext-eap-mschapv2-02 §2, message texts from RFC 2759 §5–6).
 *
 * Requests from the gateway start OpCode, MS-CHAPv2-ID, MS-Length. MS-Length repeats the Type-Data length, which the
 * EAP Length already fixes; some servers fill it wrongly (wpa_supplicant ignores it for that reason, as does
 * strongSwan's peer), so it is not used here.
 */
import { DecodeError } from '../errors.js';

export const MschapV2OpCode = { CHALLENGE: 1, RESPONSE: 2, SUCCESS: 3, FAILURE: 4 } as const;

const REQUEST_HEADER_LENGTH = 4;
const CHALLENGE_LENGTH = 16;
const NT_RESPONSE_LENGTH = 24;
// Peer-Challenge (16) ‖ Reserved (8) ‖ NT-Response (24) ‖ Flags (1), RFC 2759 §4.
const RESPONSE_VALUE_LENGTH = 49;
const AUTHENTICATOR_RESPONSE_LENGTH = 20;

export type MschapV2Request =
  | { opCode: typeof MschapV2OpCode.CHALLENGE; mschapId: number; challenge: Uint8Array; serverName: string }
  | { opCode: typeof MschapV2OpCode.SUCCESS; mschapId: number; message: string }
  | { opCode: typeof MschapV2OpCode.FAILURE; mschapId: number; message: string };

/** Message text as C strings carry it: strongSwan includes the terminating NUL in its Success request. */
function text(bytes: Uint8Array): string {
  const nul = bytes.indexOf(0);
  return Buffer.from(nul === -1 ? bytes : bytes.subarray(0, nul)).toString('utf8');
}

export function decodeMschapV2Request(data: Uint8Array): MschapV2Request {
  if (data.length < REQUEST_HEADER_LENGTH) throw new DecodeError('EAP-MSCHAPv2 request shorter than its header');
  const opCode = data[0]!;
  const mschapId = data[1]!;
  const body = data.subarray(REQUEST_HEADER_LENGTH);
  switch (opCode) {
    case MschapV2OpCode.CHALLENGE: {
      if (body.length < 1 + CHALLENGE_LENGTH) throw new DecodeError('EAP-MSCHAPv2 challenge too short');
      if (body[0] !== CHALLENGE_LENGTH) throw new DecodeError(`EAP-MSCHAPv2 challenge Value-Size ${body[0]}`);
      return {
        opCode,
        mschapId,
        challenge: new Uint8Array(body.subarray(1, 1 + CHALLENGE_LENGTH)),
        serverName: text(body.subarray(1 + CHALLENGE_LENGTH)),
      };
    }
    case MschapV2OpCode.SUCCESS:
    case MschapV2OpCode.FAILURE:
      return { opCode, mschapId, message: text(body) };
    default:
      throw new DecodeError(`EAP-MSCHAPv2 request OpCode ${opCode}`);
  }
}

export interface MschapV2ResponseFields {
  mschapId: number;
  peerChallenge: Uint8Array;
  ntResponse: Uint8Array;
  /** Sent whole, "DOMAIN\" prefix included; only the challenge hash drops the domain. */
  name: string;
}

export function encodeMschapV2Response(fields: MschapV2ResponseFields): Uint8Array {
  if (fields.peerChallenge.length !== CHALLENGE_LENGTH || fields.ntResponse.length !== NT_RESPONSE_LENGTH) {
    throw new RangeError('EAP-MSCHAPv2 response needs a 16-byte peer challenge and a 24-byte NT-Response');
  }
  const name = Buffer.from(fields.name, 'utf8');
  const valueOffset = REQUEST_HEADER_LENGTH + 1;
  const out = new Uint8Array(valueOffset + RESPONSE_VALUE_LENGTH + name.length);
  out[0] = MschapV2OpCode.RESPONSE;
  out[1] = fields.mschapId;
  // MS-Length counts from the OpCode: the EAP Length minus the 5 bytes of EAP header and Type.
  new DataView(out.buffer).setUint16(2, out.length);
  out[4] = RESPONSE_VALUE_LENGTH;
  out.set(fields.peerChallenge, valueOffset);
  // 8 reserved zero bytes, then the NT-Response, then a zero Flags byte.
  out.set(fields.ntResponse, valueOffset + CHALLENGE_LENGTH + 8);
  out.set(name, valueOffset + RESPONSE_VALUE_LENGTH);
  return out;
}

/** Success and Failure responses are the OpCode alone (draft-kamath §2.3, §2.5). */
export function encodeMschapV2Acknowledgement(
  opCode: typeof MschapV2OpCode.SUCCESS | typeof MschapV2OpCode.FAILURE,
): Uint8Array {
  return Uint8Array.of(opCode);
}

export interface MschapV2SuccessMessage {
  authenticatorResponse: Uint8Array;
  message: string | undefined;
}

/**
 * RFC 2759 §5: "S=<auth_string> M=<message>", auth_string 40 hex digits. Returns undefined when the message does not
 * carry a well-formed authenticator response: for the peer that is a gateway that did not prove itself.
 */
export function parseMschapV2Success(message: string): MschapV2SuccessMessage | undefined {
  const match = /^S=([0-9A-Fa-f]{40})(?:\s+M=([\s\S]*))?\s*$/.exec(message);
  if (match === null) return undefined;
  const authenticatorResponse = Buffer.from(match[1]!, 'hex');
  if (authenticatorResponse.length !== AUTHENTICATOR_RESPONSE_LENGTH) return undefined;
  return { authenticatorResponse, message: match[2] };
}

export interface MschapV2FailureMessage {
  /** The Windows error number (646–649, 691, 709), undefined when the gateway sent none that parses. */
  error: number | undefined;
  message: string | undefined;
}

/**
 * RFC 2759 §6: "E=eeeeeeeeee R=r C=cccccccccccccccccccccccccccccccc V=vvvvvvvvvv M=<msg>". Everything after "M=" is
 * the message, spaces included. Lenient on purpose: whatever it says, the peer answers with a Failure response and
 * the conversation ends in failure (a retry would need a new password from the user, so this peer never retries);
 * the fields only choose the sentence shown to the user.
 */
export function parseMschapV2Failure(message: string): MschapV2FailureMessage {
  const messageStart = message.search(/(?:^|\s)M=/);
  const fields = messageStart === -1 ? message : message.slice(0, messageStart);
  const userMessage = messageStart === -1 ? undefined : message.slice(message.indexOf('M=', messageStart) + 2);
  let error: number | undefined;
  for (const token of fields.split(/\s+/)) {
    if (/^E=\d{1,10}$/.test(token)) error = Number(token.slice(2));
  }
  return { error, message: userMessage };
}
