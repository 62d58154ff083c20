/**
 * The SK payload (RFC 7296 §3.14, RFC 5282 for AEAD) and its fragments SKF (RFC 7383): turns inner payloads into
 * protected messages and back. The AAD / integrity input is the message from its first byte up to the end of the
 * SK(F) payload header, so the exact bytes on the wire are needed when opening.
 */
import type { Encryption } from '../crypto/encryption.js';
import type { Integrity } from '../crypto/integrity.js';
import { randomBytes } from '../crypto/random.js';
import { DecodeError } from '../errors.js';
import { IKE_HEADER_LENGTH, PayloadType } from '../iana.js';
import type { IkeKeys } from './keys.js';
import { GENERIC_HEADER_LENGTH } from './message/constants.js';
import {
  decodePayloadChain,
  encodeGenericHeader,
  encodeHeader,
  encodePayloadChain,
  firstPayloadType,
} from './message/index.js';
import type { IkeHeader, IkeMessage, Payload, SkfPayload, SkPayload } from './message/types.js';
import type { IkeSuite } from './suite.js';

const SKF_HEADER_LENGTH = 8;
/** RFC 7383 §2.5.3 leaves the limit to us; more fragments than this is not a message we want to hold in memory. */
const MAX_FRAGMENTS = 64;

interface DirectionKeys {
  encryption: Uint8Array;
  integrity: Uint8Array;
}

export interface OpenedFragment {
  fragmentNumber: number;
  totalFragments: number;
  innerType: number;
  plaintext: Uint8Array;
}

export class MessageProtection {
  private readonly encryption: Encryption;
  private readonly integrity: Integrity | undefined;
  private readonly outbound: DirectionKeys;
  private readonly inbound: DirectionKeys;

  /** `initiator`: whether we are the original initiator of the IKE SA (we always are, but rekeyed SAs may swap). */
  constructor(suite: IkeSuite, keys: IkeKeys, initiator: boolean) {
    this.encryption = suite.encryption;
    this.integrity = suite.integrity;
    const i = { encryption: keys.skEi, integrity: keys.skAi };
    const r = { encryption: keys.skEr, integrity: keys.skAr };
    this.outbound = initiator ? i : r;
    this.inbound = initiator ? r : i;
  }

  private get icvLength(): number {
    return this.encryption.kind === 'aead' ? this.encryption.icvLength : this.integrity!.icvLength;
  }

  /**
   * Protects `inner` into one SK message, or into SKF fragments when `maxDatagram` is given and the single message
   * would be larger (the peer must have announced IKEV2_FRAGMENTATION_SUPPORTED).
   */
  seal(header: IkeHeader, inner: Payload[], maxDatagram?: number): Uint8Array[] {
    const plaintext = encodePayloadChain(inner);
    const firstType = firstPayloadType(inner);
    const single = this.sealEncoded(header, plaintext, firstType, undefined);
    if (maxDatagram === undefined || single.length <= maxDatagram) return [single];

    const room = this.fragmentRoom(maxDatagram);
    const total = Math.ceil(plaintext.length / room);
    if (total > MAX_FRAGMENTS) throw new Error(`message needs ${total} fragments`);
    const fragments: Uint8Array[] = [];
    for (let n = 1; n <= total; n++) {
      const chunk = plaintext.subarray((n - 1) * room, n * room);
      fragments.push(this.sealEncoded(header, chunk, n === 1 ? firstType : PayloadType.NONE, { n, total }));
    }
    return fragments;
  }

  /** How many plaintext bytes fit in one fragment datagram of `maxDatagram` bytes. */
  private fragmentRoom(maxDatagram: number): number {
    const budget = maxDatagram - IKE_HEADER_LENGTH - SKF_HEADER_LENGTH - this.encryption.ivLength - this.icvLength;
    const block = this.encryption.kind === 'cbc' ? this.encryption.blockSize : 1;
    // one byte is always taken by the pad length field
    const room = Math.floor(budget / block) * block - 1;
    if (room < 64) throw new Error(`fragment size ${maxDatagram} is too small`);
    return room;
  }

  /**
   * One SK message, or the SKF fragment `fragment`, around an inner chain that is already encoded. seal() is how the
   * engine sends; tests call this to protect bytes our encoder would never write, so that they reach the decoders.
   */
  sealEncoded(
    header: IkeHeader,
    plaintext: Uint8Array,
    innerType: number,
    fragment: { n: number; total: number } | undefined,
  ): Uint8Array {
    const block = this.encryption.kind === 'cbc' ? this.encryption.blockSize : 1;
    const padLength = (block - ((plaintext.length + 1) % block)) % block;
    const padded = new Uint8Array(plaintext.length + padLength + 1);
    padded.set(plaintext);
    padded[padded.length - 1] = padLength;

    const iv = randomBytes(this.encryption.ivLength);
    const bodyLength = this.encryption.ivLength + padded.length + this.icvLength;
    const payloadHeaderLength = fragment ? SKF_HEADER_LENGTH : GENERIC_HEADER_LENGTH;
    const totalLength = IKE_HEADER_LENGTH + payloadHeaderLength + bodyLength;
    const payloadHeader = new Uint8Array(payloadHeaderLength);
    payloadHeader.set(encodeGenericHeader(innerType, payloadHeaderLength + bodyLength));
    if (fragment) {
      const view = new DataView(payloadHeader.buffer);
      view.setUint16(4, fragment.n);
      view.setUint16(6, fragment.total);
    }
    const ikeHeader = encodeHeader(header, fragment ? PayloadType.SKF : PayloadType.SK, totalLength);
    const prefix = Buffer.concat([ikeHeader, payloadHeader]);

    if (this.encryption.kind === 'aead') {
      const sealed = this.encryption.seal(this.outbound.encryption, iv, prefix, padded);
      return Buffer.concat([prefix, iv, sealed]);
    }
    const ciphertext = this.encryption.encrypt(this.outbound.encryption, iv, padded);
    const icv = this.integrity!.compute(this.outbound.integrity, prefix, iv, ciphertext);
    return Buffer.concat([prefix, iv, ciphertext, icv]);
  }

  /** Decrypts the trailing SK payload of a received message. Integrity failures are DecodeErrors: drop the packet. */
  open(raw: Uint8Array, message: IkeMessage): Payload[] {
    const sk = message.payloads.at(-1);
    if (sk?.type !== PayloadType.SK) throw new DecodeError('message has no encrypted payload');
    const plaintext = this.decrypt(raw, sk, GENERIC_HEADER_LENGTH);
    return decodePayloadChain(sk.innerType, plaintext);
  }

  openFragment(raw: Uint8Array, message: IkeMessage): OpenedFragment {
    const skf = message.payloads.at(-1);
    if (skf?.type !== PayloadType.SKF) throw new DecodeError('message has no encrypted fragment');
    if (skf.totalFragments > MAX_FRAGMENTS) throw new DecodeError(`too many fragments (${skf.totalFragments})`);
    return {
      fragmentNumber: skf.fragmentNumber,
      totalFragments: skf.totalFragments,
      innerType: skf.innerType,
      plaintext: this.decrypt(raw, skf, SKF_HEADER_LENGTH),
    };
  }

  private decrypt(raw: Uint8Array, payload: SkPayload | SkfPayload, payloadHeaderLength: number): Uint8Array {
    const { body } = payload;
    const prefixEnd = raw.length - body.length;
    if (prefixEnd < IKE_HEADER_LENGTH + payloadHeaderLength) throw new DecodeError('encrypted payload out of place');
    const prefix = raw.subarray(0, prefixEnd);
    const ivLength = this.encryption.ivLength;
    const icvLength = this.icvLength;
    if (body.length < ivLength + icvLength + 1) throw new DecodeError('encrypted payload too short');
    const iv = body.subarray(0, ivLength);

    let padded: Uint8Array;
    if (this.encryption.kind === 'aead') {
      const opened = this.encryption.open(this.inbound.encryption, iv, prefix, body.subarray(ivLength));
      if (!opened) throw new DecodeError('encrypted payload failed its integrity check');
      padded = opened;
    } else {
      const ciphertext = body.subarray(ivLength, body.length - icvLength);
      const icv = body.subarray(body.length - icvLength);
      if (!this.integrity!.verify(this.inbound.integrity, icv, prefix, iv, ciphertext)) {
        throw new DecodeError('encrypted payload failed its integrity check');
      }
      if (ciphertext.length % this.encryption.blockSize !== 0) throw new DecodeError('ciphertext not block aligned');
      padded = this.encryption.decrypt(this.inbound.encryption, iv, ciphertext);
    }
    const padLength = padded[padded.length - 1]!;
    if (padLength + 1 > padded.length) throw new DecodeError('encrypted payload padding longer than its content');
    return padded.subarray(0, padded.length - padLength - 1);
  }
}

/** Collects the fragments of one message (RFC 7383 §2.6) until it is complete. */
export class FragmentCollector {
  private messageId = -1;
  private total = 0;
  private parts = new Map<number, OpenedFragment>();

  /** Returns the reassembled inner payloads once every fragment has arrived, otherwise undefined. */
  add(messageId: number, fragment: OpenedFragment): Payload[] | undefined {
    if (messageId !== this.messageId) {
      this.messageId = messageId;
      this.total = fragment.totalFragments;
      this.parts.clear();
    }
    if (fragment.totalFragments > this.total) {
      // a retransmission with a smaller fragment size starts over (§2.6)
      this.total = fragment.totalFragments;
      this.parts.clear();
    } else if (fragment.totalFragments < this.total) {
      return undefined;
    }
    if (fragment.fragmentNumber > this.total) throw new DecodeError('fragment number beyond total');
    this.parts.set(fragment.fragmentNumber, fragment);
    if (this.parts.size < this.total) return undefined;

    const ordered: Uint8Array[] = [];
    for (let n = 1; n <= this.total; n++) ordered.push(this.parts.get(n)!.plaintext);
    const first = this.parts.get(1)!;
    this.parts.clear();
    this.messageId = -1;
    // a DecodeError like any other broken message: the session drops it, where another error would end the session
    if (first.innerType === PayloadType.NONE) throw new DecodeError('the first fragment names no inner payload');
    return decodePayloadChain(first.innerType, Buffer.concat(ordered));
  }
}
