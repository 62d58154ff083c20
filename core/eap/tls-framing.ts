/**
 * The framing EAP-TLS (RFC 5216 §3.1), EAP-TTLS (RFC 5281 §9.1) and PEAP share: a Flags octet (L, M, S and, for TTLS
 * and PEAP, a 3-bit version), an optional 4-octet TLS Message Length, then a fragment of TLS records. Reassembly is
 * bounded (total length, fragment count) because the gateway decides how much we buffer.
 */
import { DecodeError } from '../errors.js';

export const TlsFlag = { LENGTH: 0x80, MORE: 0x40, START: 0x20 } as const;
const VERSION_MASK = 0x07;
const LENGTH_FIELD = 4;

export interface TlsFrame {
  start: boolean;
  more: boolean;
  /** The TLS Message Length when the L flag is set. */
  totalLength: number | undefined;
  /** The version bits (TTLS, PEAP); 0 for EAP-TLS. */
  version: number;
  fragment: Uint8Array;
}

export function decodeTlsFrame(data: Uint8Array): TlsFrame {
  const flags = data[0];
  if (flags === undefined) throw new DecodeError('EAP-TLS message without flags');
  // RFC 5216 §3.1 and RFC 5281 §9.1: the reserved bits between S and the version are zero when sent, ignored on receipt
  const hasLength = (flags & TlsFlag.LENGTH) !== 0;
  if (hasLength && data.length < 1 + LENGTH_FIELD) throw new DecodeError('EAP-TLS message length field cut short');
  const totalLength = hasLength ? new DataView(data.buffer, data.byteOffset, data.byteLength).getUint32(1) : undefined;
  return {
    start: (flags & TlsFlag.START) !== 0,
    more: (flags & TlsFlag.MORE) !== 0,
    totalLength,
    version: flags & VERSION_MASK,
    fragment: data.subarray(1 + (hasLength ? LENGTH_FIELD : 0)),
  };
}

/** Type-Data of one response: flags, the length when given, the fragment. */
export function encodeTlsFrame(frame: {
  more: boolean;
  totalLength?: number;
  version?: number;
  fragment: Uint8Array;
}): Uint8Array {
  const hasLength = frame.totalLength !== undefined;
  const out = new Uint8Array(1 + (hasLength ? LENGTH_FIELD : 0) + frame.fragment.length);
  out[0] = (hasLength ? TlsFlag.LENGTH : 0) | (frame.more ? TlsFlag.MORE : 0) | ((frame.version ?? 0) & VERSION_MASK);
  if (hasLength) new DataView(out.buffer).setUint32(1, frame.totalLength!);
  out.set(frame.fragment, out.length - frame.fragment.length);
  return out;
}

/** The empty response that acknowledges a fragment (RFC 5216 §2.1.5). */
export function tlsAcknowledgement(version = 0): Uint8Array {
  return encodeTlsFrame({ more: false, version, fragment: new Uint8Array(0) });
}

/**
 * Splits TLS records into frames of at most `maxFragment` bytes of data: the first carries L with the total whenever
 * there is more than one (RFC 5216 §2.1.5 requires it there), each but the last carries M.
 */
export function fragmentTlsMessage(message: Uint8Array, maxFragment: number, version = 0): Uint8Array[] {
  if (!Number.isInteger(maxFragment) || maxFragment < 1) throw new RangeError('fragment size must be positive');
  if (message.length <= maxFragment) return [encodeTlsFrame({ more: false, version, fragment: message })];
  const frames: Uint8Array[] = [];
  for (let offset = 0; offset < message.length; offset += maxFragment) {
    const fragment = message.subarray(offset, offset + maxFragment);
    frames.push(
      encodeTlsFrame({
        more: offset + maxFragment < message.length,
        totalLength: offset === 0 ? message.length : undefined,
        version,
        fragment,
      }),
    );
  }
  return frames;
}

export interface ReassemblyLimits {
  /** The largest TLS message we accept; a gateway's certificate chain is a few kB. */
  maxTotal: number;
  /** The most fragments of one message. */
  maxFragments: number;
}

export const DEFAULT_REASSEMBLY_LIMITS: ReassemblyLimits = { maxTotal: 64 * 1024, maxFragments: 128 };

export type Reassembled = { kind: 'more' } | { kind: 'complete'; message: Uint8Array };

/**
 * Puts one message back together from the gateway's frames. A repeated EAP identifier within a message is a
 * fragment out of order (the peer resends its answer to an immediate duplicate before this is asked).
 */
export class TlsReassembler {
  private fragments: Uint8Array[] = [];
  private received = 0;
  private expected: number | undefined;
  private identifiers = new Set<number>();

  constructor(private readonly limits: ReassemblyLimits = DEFAULT_REASSEMBLY_LIMITS) {}

  get inProgress(): boolean {
    return this.fragments.length > 0;
  }

  add(identifier: number, frame: TlsFrame): Reassembled {
    const first = this.fragments.length === 0;
    if (this.identifiers.has(identifier)) throw new DecodeError(`EAP-TLS fragment ${identifier} repeated out of order`);
    if (frame.totalLength !== undefined) {
      if (frame.totalLength > this.limits.maxTotal) {
        throw new DecodeError(`EAP-TLS message of ${frame.totalLength} bytes exceeds ${this.limits.maxTotal}`);
      }
      if (!first && frame.totalLength !== this.expected) {
        throw new DecodeError(`EAP-TLS message length changed from ${this.expected} to ${frame.totalLength}`);
      }
      this.expected = frame.totalLength;
    } else if (first && frame.more) {
      throw new DecodeError('first EAP-TLS fragment without the message length');
    }
    if (frame.fragment.length === 0 && frame.more) throw new DecodeError('empty EAP-TLS fragment');
    if (this.fragments.length + 1 > this.limits.maxFragments) {
      throw new DecodeError(`EAP-TLS message in more than ${this.limits.maxFragments} fragments`);
    }
    const total = this.received + frame.fragment.length;
    const bound = this.expected ?? this.limits.maxTotal;
    if (total > bound) throw new DecodeError(`EAP-TLS fragments exceed the ${bound}-byte message`);

    this.identifiers.add(identifier);
    this.fragments.push(new Uint8Array(frame.fragment));
    this.received = total;
    if (frame.more) return { kind: 'more' };

    if (this.expected !== undefined && total !== this.expected) {
      throw new DecodeError(`EAP-TLS message of ${total} bytes announced as ${this.expected}`);
    }
    const message = Buffer.concat(this.fragments);
    this.fragments = [];
    this.received = 0;
    this.expected = undefined;
    this.identifiers.clear();
    return { kind: 'complete', message: new Uint8Array(message.buffer, message.byteOffset, message.byteLength) };
  }
}
