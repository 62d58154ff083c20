/**
 * The inbound policy check of RFC 4301 §5.2 (step 4): a packet that decrypted correctly must still be one the
 * CHILD_SA was negotiated for. Its source must lie in the gateway's traffic selectors (TSr as we see them, RFC 7296
 * §2.9) and its destination must be one of our virtual addresses; anything else was put in the tunnel by a gateway
 * (or a peer behind it) that may not send it, and is dropped before the adapter sees it.
 *
 * Runs on every inbound packet: the selectors are turned into byte ranges once, and a check only reads bytes.
 */
import { TsType } from '../iana.js';
import type { TrafficSelector } from '../ike/message/types.js';
import { parseIp } from '../net/address.js';

const IPV4_HEADER = 20;
const IPV6_HEADER = 40;
/** Where the source and destination addresses start in each header (RFC 791 §3.1, RFC 8200 §3). */
const IPV4_SOURCE = 12;
const IPV4_DESTINATION = 16;
const IPV6_SOURCE = 8;
const IPV6_DESTINATION = 24;
/** Protocols whose first four bytes are the source and destination port. */
const PORTED = new Set([6 /* TCP */, 17 /* UDP */, 132 /* SCTP */, 136 /* UDP-Lite */]);
const ANY_PORT_END = 65535;

interface Range {
  start: Uint8Array;
  end: Uint8Array;
  /** 0: any protocol. */
  protocol: number;
  startPort: number;
  endPort: number;
}

export class InboundFilter {
  private readonly ranges4: Range[] = [];
  private readonly ranges6: Range[] = [];
  private readonly address4: Uint8Array | undefined;
  private readonly address6: Uint8Array | undefined;

  /**
   * `remoteTs`: the CHILD_SA's negotiated remote selectors; `ip4`, `ip6`: our virtual addresses from the
   * configuration payload (IPv6 with or without its prefix length).
   */
  constructor(remoteTs: TrafficSelector[], ip4: string | undefined, ip6: string | undefined) {
    for (const ts of remoteTs) {
      const range = {
        start: ts.startAddress,
        end: ts.endAddress,
        protocol: ts.ipProtocol,
        startPort: ts.startPort,
        endPort: ts.endPort,
      };
      if (ts.tsType === TsType.IPV4_ADDR_RANGE) this.ranges4.push(range);
      else if (ts.tsType === TsType.IPV6_ADDR_RANGE) this.ranges6.push(range);
    }
    this.address4 = ip4 === undefined ? undefined : parseIp(ip4);
    this.address6 = ip6 === undefined ? undefined : parseIp(ip6.split('/')[0] ?? '');
  }

  /** Whether the inner packet (IPv4 or IPv6, as the ESP engine delivers it) may enter through this CHILD_SA. */
  accepts(packet: Uint8Array): boolean {
    const version = packet.length > 0 ? packet[0]! >> 4 : 0;
    if (version === 4) {
      if (packet.length < IPV4_HEADER || !equalAt(packet, IPV4_DESTINATION, this.address4)) return false;
      // the ports are only in the first fragment (RFC 4301 §7 treats the others as OPAQUE)
      const firstFragment = ((packet[6]! & 0x1f) | packet[7]!) === 0;
      const transport = firstFragment ? (packet[0]! & 0x0f) * 4 : -1;
      return this.matches(this.ranges4, packet, IPV4_SOURCE, 4, packet[9]!, transport);
    }
    if (version === 6) {
      if (packet.length < IPV6_HEADER || !equalAt(packet, IPV6_DESTINATION, this.address6)) return false;
      // the Next Header field names the transport only without extension headers; a selector that limits the
      // protocol then does not match (the conservative choice of RFC 4301 §4.4.1.1 for an unknown next layer)
      return this.matches(this.ranges6, packet, IPV6_SOURCE, 16, packet[6]!, IPV6_HEADER);
    }
    return false;
  }

  /** `transport`: the offset of the transport header, or -1 when the ports cannot be read. */
  private matches(
    ranges: Range[],
    packet: Uint8Array,
    source: number,
    length: number,
    protocol: number,
    transport: number,
  ): boolean {
    for (const range of ranges) {
      if (range.protocol !== 0 && range.protocol !== protocol) continue;
      if (compareAt(packet, source, range.start, length) < 0 || compareAt(packet, source, range.end, length) > 0) {
        continue;
      }
      if (range.startPort === 0 && range.endPort === ANY_PORT_END) return true;
      if (transport < 0 || !PORTED.has(protocol) || transport + 2 > packet.length) continue;
      const port = (packet[transport]! << 8) | packet[transport + 1]!;
      if (port >= range.startPort && port <= range.endPort) return true;
    }
    return false;
  }
}

function equalAt(packet: Uint8Array, at: number, address: Uint8Array | undefined): boolean {
  return address !== undefined && compareAt(packet, at, address, address.length) === 0;
}

/** Compares `length` bytes of `packet` from `at` with `bound`, as unsigned big-endian numbers. */
function compareAt(packet: Uint8Array, at: number, bound: Uint8Array, length: number): number {
  for (let i = 0; i < length; i++) {
    const d = packet[at + i]! - bound[i]!;
    if (d !== 0) return d;
  }
  return 0;
}
