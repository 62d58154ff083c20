/**
 * Diameter-style AVPs inside the EAP-TTLS tunnel (RFC 5281 §10): Code, flags (V: a Vendor-ID follows; M: mandatory),
 * a 24-bit length over header and data, the data, then padding to a 4-octet boundary that the length leaves out.
 */
import { DecodeError } from '../errors.js';

export const AvpFlag = { VENDOR: 0x80, MANDATORY: 0x40 } as const;

/** RADIUS attribute numbers (RFC 2865, RFC 3579) and Microsoft's (RFC 2548, vendor 311) that TTLS carries. */
export const Avp = {
  USER_NAME: 1,
  USER_PASSWORD: 2,
  EAP_MESSAGE: 79,
  MS_CHAP_ERROR: 2,
  MS_CHAP_CHALLENGE: 11,
  MS_CHAP2_RESPONSE: 25,
  MS_CHAP2_SUCCESS: 26,
} as const;
export const MICROSOFT_VENDOR_ID = 311;

export interface TtlsAvp {
  code: number;
  /** 0 for RADIUS attributes, 311 for Microsoft's. */
  vendorId: number;
  mandatory: boolean;
  data: Uint8Array;
}

const HEADER = 8;
const VENDOR_FIELD = 4;
/** An AVP's length is 24 bits; a tunnel's AVPs are small, and this bound keeps a forged length from costing much. */
const MAX_AVPS = 64;

export function encodeAvps(avps: readonly TtlsAvp[]): Uint8Array {
  const parts: Uint8Array[] = [];
  for (const avp of avps) {
    const vendor = avp.vendorId !== 0;
    const length = HEADER + (vendor ? VENDOR_FIELD : 0) + avp.data.length;
    if (length > 0xffffff) throw new RangeError('TTLS AVP longer than its 24-bit length');
    const padded = new Uint8Array(Math.ceil(length / 4) * 4);
    const view = new DataView(padded.buffer);
    view.setUint32(0, avp.code);
    view.setUint32(4, length);
    padded[4] = (vendor ? AvpFlag.VENDOR : 0) | (avp.mandatory ? AvpFlag.MANDATORY : 0);
    if (vendor) view.setUint32(HEADER, avp.vendorId);
    padded.set(avp.data, length - avp.data.length);
    parts.push(padded);
  }
  const out = Buffer.concat(parts);
  return new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
}

export function decodeAvps(bytes: Uint8Array): TtlsAvp[] {
  const avps: TtlsAvp[] = [];
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let offset = 0;
  while (offset < bytes.length) {
    if (avps.length === MAX_AVPS) throw new DecodeError(`more than ${MAX_AVPS} TTLS AVPs`);
    if (bytes.length - offset < HEADER) throw new DecodeError('TTLS AVP header cut short');
    const code = view.getUint32(offset);
    const flags = bytes[offset + 4]!;
    const length = view.getUint32(offset + 4) & 0xffffff;
    const vendor = (flags & AvpFlag.VENDOR) !== 0;
    const headerLength = HEADER + (vendor ? VENDOR_FIELD : 0);
    if (length < headerLength || offset + length > bytes.length) {
      throw new DecodeError(`TTLS AVP ${code} length ${length} does not fit`);
    }
    avps.push({
      code,
      vendorId: vendor ? view.getUint32(offset + HEADER) : 0,
      mandatory: (flags & AvpFlag.MANDATORY) !== 0,
      // a copy as a plain Uint8Array, whatever the caller passed (a Buffer's slice would share memory)
      data: new Uint8Array(bytes.subarray(offset + headerLength, offset + length)),
    });
    offset += Math.ceil(length / 4) * 4;
  }
  return avps;
}

/** RFC 5281 §11.2.5: PAP's password is padded with nulls to a multiple of 16 octets. */
export function papPassword(password: string): Uint8Array {
  const text = Buffer.from(password, 'utf8');
  const padded = new Uint8Array(Math.max(16, Math.ceil(text.length / 16) * 16));
  padded.set(text);
  text.fill(0);
  return padded;
}
