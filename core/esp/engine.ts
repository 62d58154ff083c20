/**
 * The ESP engine of a tunnel-mode connection: the current outbound SA and every inbound SA still alive, looked up
 * by SPI (old and new side by side while a rekey completes: RFC 7296 §2.8 make-before-break). Inner IP packets in,
 * ESP packets out and back; counters; no I/O.
 */
import { NEXT_HEADER_IPV4, NEXT_HEADER_IPV6, NEXT_HEADER_NONE, readUint32 } from './layout.js';
import type { DropReason, InboundSa, OutboundSa } from './sa.js';

const IPV4_HEADER = 20;
const IPV6_HEADER = 40;

export interface EngineCounters {
  /** Inner packets delivered from the gateway, and their bytes. */
  packetsIn: number;
  bytesIn: number;
  /** Inner packets sent to the gateway, and their bytes. */
  packetsOut: number;
  bytesOut: number;
  /**
   * Packets dropped, by reason, in both directions: outbound only 'no-sa' (no SA, or its sequence numbers used up)
   * and 'malformed' (not IPv4/IPv6). Dummy packets (RFC 4303 §2.6) are discarded without counting here.
   */
  drops: Record<DropReason, number>;
}

/**
 * The length of the inner IP packet at the start of `payload`, or undefined when it is not an IP packet of the
 * version `nextHeader` announces. Bytes after the length its header declares are TFC padding (RFC 4303 §2.7),
 * stripped as strongSwan does; a header declaring more than there is stays as it came (the kernel judges it).
 */
function innerLength(payload: Uint8Array, nextHeader: number): number | undefined {
  const version = payload.length > 0 ? payload[0]! >> 4 : 0;
  let declared: number;
  if (nextHeader === NEXT_HEADER_IPV4 && version === 4 && payload.length >= IPV4_HEADER) {
    declared = (payload[2]! << 8) | payload[3]!;
    if (declared < IPV4_HEADER) return payload.length;
  } else if (nextHeader === NEXT_HEADER_IPV6 && version === 6 && payload.length >= IPV6_HEADER) {
    declared = IPV6_HEADER + ((payload[4]! << 8) | payload[5]!);
  } else {
    return undefined;
  }
  return Math.min(declared, payload.length);
}

export class EspEngine {
  readonly counters: EngineCounters = {
    packetsIn: 0,
    bytesIn: 0,
    packetsOut: 0,
    bytesOut: 0,
    drops: { replay: 0, auth: 0, malformed: 0, 'no-sa': 0 },
  };
  private readonly inbound = new Map<number, InboundSa>();
  private outbound: OutboundSa | undefined;

  installInbound(sa: InboundSa): void {
    this.inbound.set(readUint32(sa.spi, 0), sa);
  }

  /** The SA of `spi` goes, with its cipher state. */
  removeInbound(spi: Uint8Array): void {
    const key = readUint32(spi, 0);
    this.inbound.get(key)?.dispose();
    this.inbound.delete(key);
  }

  /** Sends with `sa` from now on; the SA it replaces is done with (one outbound SA per CHILD_SA, never reused). */
  setOutbound(sa: OutboundSa | undefined): void {
    if (this.outbound !== sa) this.outbound?.dispose();
    this.outbound = sa;
  }

  /**
   * Tunnel mode: an inner IPv4/IPv6 packet to its ESP packet (Next Header 4 or 41 from the version nibble), or
   * undefined, counted, when there is no usable outbound SA ('no-sa', also once its sequence numbers are used up)
   * or the packet is not IP ('malformed').
   */
  encapsulate(ipPacket: Uint8Array): Uint8Array | undefined {
    const version = ipPacket.length > 0 ? ipPacket[0]! >> 4 : 0;
    if (version !== 4 && version !== 6) {
      this.counters.drops.malformed++;
      return undefined;
    }
    const sa = this.outbound;
    if (!sa || sa.exhausted) {
      this.counters.drops['no-sa']++;
      return undefined;
    }
    const packet = sa.encapsulate(ipPacket, version === 4 ? NEXT_HEADER_IPV4 : NEXT_HEADER_IPV6);
    this.counters.packetsOut++;
    this.counters.bytesOut += ipPacket.length;
    return packet;
  }

  /**
   * An ESP packet to its inner IP packet (TFC padding removed), or undefined when it is dropped (counted by reason)
   * or a dummy packet. Tunnel mode: Next Header must be 4 or 41 and agree with the inner packet's version.
   */
  decapsulate(espPacket: Uint8Array): Uint8Array | undefined {
    if (espPacket.length < 4) {
      this.counters.drops.malformed++;
      return undefined;
    }
    const sa = this.inbound.get(readUint32(espPacket, 0));
    if (!sa) {
      this.counters.drops['no-sa']++;
      return undefined;
    }
    const result = sa.decapsulate(espPacket);
    if (!result.ok) {
      this.counters.drops[result.reason]++;
      return undefined;
    }
    if (result.nextHeader === NEXT_HEADER_NONE) return undefined;
    const length = innerLength(result.payload, result.nextHeader);
    if (length === undefined) {
      this.counters.drops.malformed++;
      return undefined;
    }
    this.counters.packetsIn++;
    this.counters.bytesIn += length;
    return length === result.payload.length ? result.payload : result.payload.subarray(0, length);
  }
}
