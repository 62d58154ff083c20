/**
 * One direction of an ESP SA (RFC 4303): the sender's sequence counter (never wrapping, §3.3.3) and the receiver's
 * anti-replay window (§3.4.3), around the packet protection of protection.ts. Packets in, packets out, counters.
 */
import { cryptoError } from '../crypto/crypto-error.js';
import type { Encryption } from '../crypto/encryption.js';
import type { Integrity } from '../crypto/integrity.js';
import { OutpostError } from '../errors.js';
import { AeadProtection } from './aead-protection.js';
import { CbcProtection } from './cbc-protection.js';
import { ESP_HEADER_LENGTH, readTrailer, readUint32 } from './layout.js';
import type { EspProtection } from './protection.js';
import { ReplayWindow } from './replay-window.js';

export { NEXT_HEADER_NONE } from './layout.js';

export interface EspSaConfig {
  /** 4 bytes, as sent on the wire. */
  spi: Uint8Array;
  encryption: Encryption;
  /** undefined for AEAD transforms */
  integrity: Integrity | undefined;
  /** `encryption` includes the 4-byte salt for AEAD; `integrity` is empty for AEAD. */
  keys: { encryption: Uint8Array; integrity: Uint8Array };
  /** Extended (64-bit) sequence numbers, RFC 4303 §2.2.1. */
  esn: boolean;
}

/** Checks the configuration against the transforms (a mismatch is a keying bug) and builds the protection. */
export function createProtection(config: EspSaConfig): EspProtection {
  const { spi, encryption, integrity, keys, esn } = config;
  if (spi.length !== 4) throw cryptoError(`ESP SPI of ${spi.length} bytes`);
  if (keys.encryption.length !== encryption.keyLength) {
    throw cryptoError(`${encryption.name} needs ${encryption.keyLength} bytes of key, got ${keys.encryption.length}`);
  }
  if (encryption.kind === 'aead') {
    if (integrity || keys.integrity.length !== 0) throw cryptoError(`${encryption.name} takes no integrity transform`);
    return new AeadProtection(spi, esn, encryption, keys.encryption);
  }
  if (!integrity) throw cryptoError(`${encryption.name} without an integrity transform`);
  if (keys.integrity.length !== integrity.keyLength) {
    throw cryptoError(
      `integrity ${integrity.id} needs ${integrity.keyLength} bytes of key, got ${keys.integrity.length}`,
    );
  }
  return new CbcProtection(spi, esn, encryption, keys.encryption, integrity, keys.integrity);
}

export type DropReason = 'replay' | 'auth' | 'malformed' | 'no-sa';

export type Decapsulated = { ok: true; payload: Uint8Array; nextHeader: number } | { ok: false; reason: DropReason };

const TWO_32 = 0x1_0000_0000;
/** The last number a 32-bit counter may send before it would wrap to 0. */
const LAST_32 = TWO_32 - 1;
/** Sequence numbers are kept as JS numbers: with ESN, 2^53 - 1 is the practical end (centuries at line rate). */
const LAST_64 = Number.MAX_SAFE_INTEGER;
/** How many packets before the end `nearExhaustion` turns true: time for the IKE layer to rekey. */
const REKEY_MARGIN = 2 ** 20;

/** Key buffers that already have an OutboundSa: a second one would restart at 1 and repeat AEAD nonces. */
const outboundKeys = new WeakSet<Uint8Array>();

export interface OutboundSaOptions {
  /**
   * Sequence number of the first packet. The IKE layer always starts at 1 (the default); tests start near 2^32
   * to reach the end of the counter or the ESN rollover without sending four billion packets.
   */
  firstSequence?: bigint;
}

export class OutboundSa {
  readonly counters = { packets: 0, bytes: 0 };
  private readonly protection: EspProtection;
  /** Number of the last packet sent (0 before the first). */
  private last: number;
  private readonly limit: number;

  constructor(config: EspSaConfig, options: OutboundSaOptions = {}) {
    this.protection = createProtection(config);
    if (outboundKeys.has(config.keys.encryption)) {
      throw cryptoError('a second outbound ESP SA over the same keys would repeat sequence numbers and nonces');
    }
    outboundKeys.add(config.keys.encryption);
    this.limit = config.esn ? LAST_64 : LAST_32;
    const first = options.firstSequence ?? 1n;
    if (first < 1n || first > BigInt(this.limit)) throw cryptoError(`first ESP sequence number ${first}`);
    this.last = Number(first) - 1;
  }

  /** Frees the cipher state now; the SA sends nothing afterwards (see EspProtection.dispose). */
  dispose(): void {
    this.protection.dispose();
  }

  /** Sequence number of the last packet sent (0 before the first). */
  get sequence(): bigint {
    return BigInt(this.last);
  }

  /**
   * True once fewer than 2^20 sequence numbers are left (from 2^32 - 2^20 on without ESN; never in practice with
   * ESN): the IKE layer must rekey before the counter would wrap (RFC 4303 §3.3.3: never wrap).
   */
  get nearExhaustion(): boolean {
    return this.last > this.limit - REKEY_MARGIN;
  }

  /** True once the last sequence number is used: `encapsulate` would throw. */
  get exhausted(): boolean {
    return this.last >= this.limit;
  }

  /**
   * The ESP packet carrying `payload` (an inner IP packet in tunnel mode, the transport header and data in
   * transport mode) with `nextHeader`. Throws OutpostError('crypto') rather than wrap the sequence number.
   */
  encapsulate(payload: Uint8Array, nextHeader: number): Uint8Array {
    if (!Number.isInteger(nextHeader) || nextHeader < 0 || nextHeader > 255) {
      throw cryptoError(`ESP next header ${nextHeader}`);
    }
    if (this.last >= this.limit) {
      throw new OutpostError('crypto', 'The tunnel ran out of sequence numbers before it got new keys.', {
        detail: 'ESP sequence number exhausted (RFC 4303 §3.3.3 forbids wrapping); the CHILD_SA needed a rekey',
      });
    }
    const seq = ++this.last;
    const high = Math.floor(seq / TWO_32);
    const low = seq % TWO_32;
    const packet = this.protection.seal(high, low, this.protection.iv(high, low), payload, nextHeader);
    this.counters.packets++;
    this.counters.bytes += payload.length;
    return packet;
  }
}

export interface InboundCounters {
  /** Authentic packets, dummy ones (Next Header 59) included. */
  packets: number;
  /** Their payload bytes (padding and trailer excluded). */
  bytes: number;
  drops: Record<DropReason, number>;
}

export class InboundSa {
  readonly counters: InboundCounters = {
    packets: 0,
    bytes: 0,
    drops: { replay: 0, auth: 0, malformed: 0, 'no-sa': 0 },
  };
  readonly spi: Uint8Array;
  private readonly spiValue: number;
  private readonly protection: EspProtection;
  private readonly window: ReplayWindow;

  /** `windowSize` is the anti-replay window in packets: at least 1024, a multiple of 32. */
  constructor(config: EspSaConfig, windowSize = 1024) {
    if (windowSize < 1024) throw cryptoError(`anti-replay window of ${windowSize} packets is below 1024`);
    this.protection = createProtection(config);
    this.window = new ReplayWindow(windowSize, config.esn);
    this.spi = config.spi;
    this.spiValue = readUint32(config.spi, 0);
  }

  /** Frees the cipher state now; the SA opens nothing afterwards (see EspProtection.dispose). */
  dispose(): void {
    this.protection.dispose();
  }

  /** Highest sequence number received and authenticated so far (0 before the first). */
  get highestSequence(): bigint {
    return BigInt(this.window.highest);
  }

  /**
   * The payload and Next Header of an ESP packet, or why it was dropped: 'malformed' (too short, not whole blocks,
   * bad padding), 'no-sa' (another SPI), 'replay' (seen, or left of the window: checked before any cryptography),
   * 'auth' (ICV). The window moves only for authentic packets. A dummy packet (Next Header 59, RFC 4303 §2.6) comes
   * back like any other for the caller to discard. Never throws.
   */
  decapsulate(packet: Uint8Array): Decapsulated {
    const result = this.open(packet);
    if (result.ok) {
      this.counters.packets++;
      this.counters.bytes += result.payload.length;
    } else {
      this.counters.drops[result.reason]++;
    }
    return result;
  }

  private open(packet: Uint8Array): Decapsulated {
    if (packet.length < ESP_HEADER_LENGTH || !this.protection.fits(packet.length)) {
      return { ok: false, reason: 'malformed' };
    }
    if (readUint32(packet, 0) !== this.spiValue) return { ok: false, reason: 'no-sa' };
    const seq = this.window.check(readUint32(packet, 4));
    if (seq === undefined) return { ok: false, reason: 'replay' };
    const plain = this.protection.open(packet, Math.floor(seq / TWO_32));
    if (!plain) return { ok: false, reason: 'auth' };
    // authentic: from here on the gateway sent it, so the number counts as received whatever the padding says
    this.window.accept(seq);
    const trailer = readTrailer(plain);
    if (!trailer) return { ok: false, reason: 'malformed' };
    return { ok: true, payload: plain.subarray(0, trailer.payloadLength), nextHeader: trailer.nextHeader };
  }
}
