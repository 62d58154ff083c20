/**
 * One direction of an ESP SA (RFC 4303): sealing with sequence numbers (ESN optional) and opening with the
 * anti-replay window checked before decryption. AEAD per RFC 4106 / RFC 7634 (AAD = SPI ‖ [seq high ‖] seq low,
 * IV = the 64-bit sequence number); AES-CBC with a truncated HMAC ICV per RFC 4303 §2 and RFC 4868.
 */
import type { Encryption } from '../crypto/encryption.js';
import type { Integrity } from '../crypto/integrity.js';
import { randomBytes } from '../crypto/random.js';
import { OutpostError } from '../errors.js';
import { ReplayWindow } from './replay-window.js';

export interface EspSaConfig {
  spi: Uint8Array; // 4 bytes
  encryption: Encryption;
  integrity: Integrity | undefined; // undefined for AEAD
  keys: { encryption: Uint8Array; integrity: Uint8Array };
  esn: boolean;
}

export type DropReason = 'replay' | 'auth' | 'malformed' | 'no-sa';

export type Decapsulated = { ok: true; payload: Uint8Array; nextHeader: number } | { ok: false; reason: DropReason };

const HEADER = 8; // SPI + sequence number
const TWO_32 = 0x1_0000_0000;
/** RFC 4303 §2.6: a dummy packet, to be discarded. */
export const NEXT_HEADER_NONE = 59;

function icvLength(config: EspSaConfig): number {
  return config.encryption.kind === 'aead' ? config.encryption.icvLength : config.integrity!.icvLength;
}

export class OutboundSa {
  /** Last sequence number used; the first packet carries 1. */
  private seq = 0;
  readonly counters = { packets: 0, bytes: 0 };
  private readonly limit: number;

  constructor(private readonly config: EspSaConfig) {
    if (config.encryption.kind === 'cbc' && !config.integrity) throw new Error('AES-CBC ESP needs integrity');
    // never wrap (RFC 4303 §3.3.3); ask for a rekey well before the end
    this.limit = config.esn ? Number.MAX_SAFE_INTEGER : TWO_32 - 1;
  }

  get sequence(): bigint {
    return BigInt(this.seq);
  }

  get nearExhaustion(): boolean {
    return this.seq > this.limit - 2 ** 20;
  }

  encapsulate(payload: Uint8Array, nextHeader: number): Uint8Array {
    if (this.seq >= this.limit) {
      throw new OutpostError('crypto', 'The tunnel needs new keys before it can send more.', {
        detail: 'ESP sequence number exhausted',
      });
    }
    const seq = ++this.seq;
    const { encryption, integrity, keys, spi } = this.config;
    const high = Math.floor(seq / TWO_32);
    const header = new Uint8Array(HEADER);
    header.set(spi);
    new DataView(header.buffer).setUint32(4, seq >>> 0);

    const block = encryption.kind === 'cbc' ? encryption.blockSize : 4;
    const padLength = (block - ((payload.length + 2) % block)) % block;
    const plain = new Uint8Array(payload.length + padLength + 2);
    plain.set(payload);
    for (let i = 0; i < padLength; i++) plain[payload.length + i] = i + 1;
    plain[plain.length - 2] = padLength;
    plain[plain.length - 1] = nextHeader;

    let packet: Uint8Array;
    if (encryption.kind === 'aead') {
      const iv = new Uint8Array(8);
      const ivView = new DataView(iv.buffer);
      ivView.setUint32(0, high);
      ivView.setUint32(4, seq >>> 0);
      const aad = this.config.esn ? esnAad(spi, high, seq >>> 0) : header;
      const sealed = encryption.seal(keys.encryption, iv, aad, plain);
      packet = Buffer.concat([header, iv, sealed]);
    } else {
      const iv = randomBytes(encryption.ivLength);
      const ciphertext = encryption.encrypt(keys.encryption, iv, plain);
      const covered = [header, iv, ciphertext];
      if (this.config.esn) covered.push(highBytes(high));
      const icv = integrity!.compute(keys.integrity, ...covered);
      packet = Buffer.concat([header, iv, ciphertext, icv]);
    }
    this.counters.packets++;
    this.counters.bytes += payload.length;
    return packet;
  }
}

function highBytes(high: number): Uint8Array {
  const out = new Uint8Array(4);
  new DataView(out.buffer).setUint32(0, high);
  return out;
}

function esnAad(spi: Uint8Array, high: number, low: number): Uint8Array {
  const aad = new Uint8Array(12);
  aad.set(spi);
  const view = new DataView(aad.buffer);
  view.setUint32(4, high);
  view.setUint32(8, low);
  return aad;
}

export class InboundSa {
  readonly counters = {
    packets: 0,
    bytes: 0,
    drops: { replay: 0, auth: 0, malformed: 0, 'no-sa': 0 } as Record<DropReason, number>,
  };
  private readonly window: ReplayWindow;
  private readonly icvLength: number;

  constructor(
    private readonly config: EspSaConfig,
    windowSize = 1024,
  ) {
    if (windowSize < 1024) throw new Error('anti-replay window below 1024 packets');
    this.window = new ReplayWindow(windowSize, config.esn);
    this.icvLength = icvLength(config);
  }

  get spi(): Uint8Array {
    return this.config.spi;
  }

  decapsulate(packet: Uint8Array): Decapsulated {
    const result = this.open(packet);
    if (result.ok) {
      this.counters.packets++;
      this.counters.bytes += result.payload.length;
    } else this.counters.drops[result.reason]++;
    return result;
  }

  private open(packet: Uint8Array): Decapsulated {
    const { encryption, integrity, keys, spi, esn } = this.config;
    const ivLength = encryption.ivLength;
    const minimum = HEADER + ivLength + 2 + this.icvLength;
    if (packet.length < minimum) return { ok: false, reason: 'malformed' };
    const view = new DataView(packet.buffer, packet.byteOffset, packet.byteLength);
    const low = view.getUint32(4);
    const seq = this.window.check(low);
    if (seq === undefined) return { ok: false, reason: 'replay' };
    const high = Math.floor(seq / TWO_32);
    const header = packet.subarray(0, HEADER);
    const iv = packet.subarray(HEADER, HEADER + ivLength);

    let plain: Uint8Array;
    if (encryption.kind === 'aead') {
      const aad = esn ? esnAad(spi, high, low) : header;
      const opened = encryption.open(keys.encryption, iv, aad, packet.subarray(HEADER + ivLength));
      if (!opened) return { ok: false, reason: 'auth' };
      plain = opened;
    } else {
      const ciphertext = packet.subarray(HEADER + ivLength, packet.length - this.icvLength);
      const icv = packet.subarray(packet.length - this.icvLength);
      const covered = [header, iv, ciphertext];
      if (esn) covered.push(highBytes(high));
      if (!integrity!.verify(keys.integrity, icv, ...covered)) return { ok: false, reason: 'auth' };
      if (ciphertext.length % encryption.blockSize !== 0) return { ok: false, reason: 'malformed' };
      plain = encryption.decrypt(keys.encryption, iv, ciphertext);
    }
    // authenticated: from here on the sender is the gateway, and the window may move
    this.window.accept(seq);
    const padLength = plain[plain.length - 2]!;
    const nextHeader = plain[plain.length - 1]!;
    const end = plain.length - 2 - padLength;
    if (end < 0) return { ok: false, reason: 'malformed' };
    for (let i = 0; i < padLength; i++) if (plain[end + i] !== i + 1) return { ok: false, reason: 'malformed' };
    return { ok: true, payload: plain.subarray(0, end), nextHeader };
  }
}
