/**
 * PEAPv0 with EAP-MSCHAPv2 inside ([MS-PEAP], draft-kamath-pppext-peapv0): a TLS tunnel in which only the server
 * proves itself, then EAP-MSCHAPv2 whose packets travel without their 4-octet EAP header, and a closing Result TLV
 * (EAP type 33, sent whole) that both ends agree on. The MSK is RFC 5216's, from the outer TLS session; no crypto
 * binding (FreeRADIUS and most servers run PEAPv0 without it).
 */
import { DecodeError, OutpostError } from '../errors.js';
import { TlsFramedMethod, type TlsCredentials } from './eap-tls.js';
import { type InnerEapPeer, signInRejected, unexpectedMessage } from './method.js';
import { EapCode, EapType, encodeEap } from './packet.js';
import type { TlsClient } from './tls-client.js';

const TLV_TYPE = 33;
const RESULT_TLV = 3;
const MANDATORY_TLV = 0x8000;
const RESULT_SUCCESS = 1;
const RESULT_FAILURE = 2;
const KEY_LENGTH = 64;
const EAP_HEADER = 4;

/** A whole EAP-TLV request: Code 1, the header's length matching, Type 33. Everything else comes compressed. */
function isWholeTlvRequest(packet: Uint8Array): boolean {
  return (
    packet.length >= EAP_HEADER + 1 &&
    packet[0] === EapCode.REQUEST &&
    ((packet[2]! << 8) | packet[3]!) === packet.length &&
    packet[4] === TLV_TYPE
  );
}

/** The status of the Result TLV among the TLVs, or undefined without one. */
function resultStatus(tlvs: Uint8Array): number | undefined {
  const view = new DataView(tlvs.buffer, tlvs.byteOffset, tlvs.byteLength);
  for (let offset = 0; offset + 4 <= tlvs.length; ) {
    const type = view.getUint16(offset) & 0x3fff;
    const length = view.getUint16(offset + 2);
    if (offset + 4 + length > tlvs.length) throw new DecodeError('PEAP TLV longer than its packet');
    if (type === RESULT_TLV) {
      if (length !== 2) throw new DecodeError('PEAP Result TLV of the wrong length');
      return view.getUint16(offset + 4);
    }
    offset += 4 + length;
  }
  return undefined;
}

export class EapPeapMethod extends TlsFramedMethod {
  readonly type = EapType.PEAP;
  protected readonly name = 'PEAP';
  private outcome: 'success' | OutpostError | undefined;

  /** `inner`: an EAP-MSCHAPv2 peer (peer.ts makes it). */
  constructor(
    tls: TlsCredentials,
    private readonly inner: InnerEapPeer,
  ) {
    super(tls, 'TLSv1.2');
  }

  protected override afterHandshake(tls: TlsClient): Uint8Array {
    const plaintext = tls.takePlaintext();
    if (plaintext.length === 0) return new Uint8Array(0);
    const identifier = this.identifier;
    if (isWholeTlvRequest(plaintext)) return tls.send(this.result(plaintext));
    // [MS-PEAP] §3.1.5.6: the inner packet without Code, Identifier and Length; the outer Identifier stands in
    const whole = encodeEap({
      code: EapCode.REQUEST,
      identifier,
      type: plaintext[0],
      data: plaintext.subarray(1),
    });
    const step = this.inner.handle(whole);
    if (step.kind === 'respond') return tls.send(step.message.subarray(EAP_HEADER));
    this.outcome = step.kind === 'failure' ? step.error : 'success';
    return new Uint8Array(0);
  }

  /** The server's Result TLV, answered with the same status once the inner method agrees. */
  private result(packet: Uint8Array): Uint8Array {
    const status = resultStatus(packet.subarray(EAP_HEADER + 1));
    if (status !== RESULT_SUCCESS && status !== RESULT_FAILURE) throw new DecodeError('PEAP TLV without a result');
    let answer = status;
    if (status === RESULT_SUCCESS && this.outcome === undefined) {
      // the Result TLV stands for the inner EAP-Success; MS-CHAPv2 checks that the server proved the password
      const end = this.inner.handle(
        encodeEap({ code: EapCode.SUCCESS, identifier: packet[1]!, type: undefined, data: new Uint8Array(0) }),
      );
      this.outcome =
        end.kind === 'success' ? 'success' : end.kind === 'failure' ? end.error : unexpectedMessage('PEAP');
      if (this.outcome !== 'success') answer = RESULT_FAILURE;
    } else if (status === RESULT_FAILURE && this.outcome === undefined) {
      // the Result TLV stands for the inner EAP-Failure: MS-CHAPv2 says why when the server told it (E=691...)
      const end = this.inner.handle(
        encodeEap({ code: EapCode.FAILURE, identifier: packet[1]!, type: undefined, data: new Uint8Array(0) }),
      );
      this.outcome = end.kind === 'failure' ? end.error : signInRejected('PEAP Result TLV failure');
    }
    const tlv = Uint8Array.of((MANDATORY_TLV | RESULT_TLV) >> 8, RESULT_TLV, 0, 2, 0, answer);
    return encodeEap({ code: EapCode.RESPONSE, identifier: packet[1]!, type: TLV_TYPE, data: tlv });
  }

  protected keys(tls: TlsClient): Uint8Array | OutpostError {
    if (this.outcome instanceof OutpostError) return this.outcome;
    if (this.outcome !== 'success') {
      return new OutpostError(
        'gateway-auth-invalid',
        'The gateway reported success before your password was checked, so it may not be genuine. Tell IT.',
        { detail: 'EAP-Success before the PEAP Result TLV' },
      );
    }
    return tls.exportKeyingMaterial(KEY_LENGTH, 'client EAP encryption');
  }

  override failure(): OutpostError {
    const tlsError = super.failure();
    return this.outcome instanceof OutpostError ? this.outcome : tlsError;
  }
}
