/**
 * The ESP engine of a tunnel-mode connection: the current outbound SA and every inbound SA still alive (old and new
 * side by side while a rekey completes, RFC 7296 §2.8 make-before-break), looked up by SPI. Packets in, packets out,
 * counters; no I/O.
 */
import { type DropReason, type InboundSa, NEXT_HEADER_NONE, type OutboundSa } from './sa.js';

const IPV4 = 4;
const IPV6 = 41;

function spiKey(spi: Uint8Array, offset = 0): number {
  return ((spi[offset]! << 24) | (spi[offset + 1]! << 16) | (spi[offset + 2]! << 8) | spi[offset + 3]!) >>> 0;
}

export interface EngineCounters {
  packetsIn: number;
  bytesIn: number;
  packetsOut: number;
  bytesOut: number;
  drops: Record<DropReason, number>;
}

export class EspEngine {
  private readonly inbound = new Map<number, InboundSa>();
  private outbound: OutboundSa | undefined;
  readonly counters: EngineCounters = {
    packetsIn: 0,
    bytesIn: 0,
    packetsOut: 0,
    bytesOut: 0,
    drops: { replay: 0, auth: 0, malformed: 0, 'no-sa': 0 },
  };

  installInbound(sa: InboundSa): void {
    this.inbound.set(spiKey(sa.spi), sa);
  }

  removeInbound(spi: Uint8Array): void {
    this.inbound.delete(spiKey(spi));
  }

  setOutbound(sa: OutboundSa | undefined): void {
    this.outbound = sa;
  }

  /** An inner IPv4/IPv6 packet to an ESP packet, or undefined (counted) when no SA is there to send with. */
  encapsulate(ipPacket: Uint8Array): Uint8Array | undefined {
    const version = ipPacket.length > 0 ? ipPacket[0]! >> 4 : 0;
    if (version !== 4 && version !== 6) {
      this.counters.drops.malformed++;
      return undefined;
    }
    if (!this.outbound) {
      this.counters.drops['no-sa']++;
      return undefined;
    }
    const packet = this.outbound.encapsulate(ipPacket, version === 4 ? IPV4 : IPV6);
    this.counters.packetsOut++;
    this.counters.bytesOut += ipPacket.length;
    return packet;
  }

  /** An ESP packet to its inner IP packet, or undefined when it is dropped (counted by reason). */
  decapsulate(espPacket: Uint8Array): Uint8Array | undefined {
    if (espPacket.length < 8) {
      this.counters.drops.malformed++;
      return undefined;
    }
    const sa = this.inbound.get(spiKey(espPacket));
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
    const version = result.payload.length > 0 ? result.payload[0]! >> 4 : 0;
    const expected = result.nextHeader === IPV4 ? 4 : result.nextHeader === IPV6 ? 6 : 0;
    if (expected === 0 || version !== expected) {
      this.counters.drops.malformed++;
      return undefined;
    }
    this.counters.packetsIn++;
    this.counters.bytesIn += result.payload.length;
    return result.payload;
  }
}
