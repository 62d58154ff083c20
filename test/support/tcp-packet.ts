// TCP packets built and checked plainly (RFC 791, RFC 8200, RFC 9293, RFC 1071 checksums), to hold the data path's
// optimised segmenting and coalescing against (tun-offload tests).

/** One's complement of the one's complement sum of `bytes` (an odd length padded with a zero byte). */
export function internetChecksum(...parts: Uint8Array[]): number {
  let sum = 0;
  for (const bytes of parts) {
    for (let i = 0; i < bytes.length; i += 2) {
      sum += bytes[i]! * 256 + (bytes[i + 1] ?? 0);
      sum = (sum & 0xffff) + (sum >>> 16);
    }
  }
  return ~sum & 0xffff;
}

/** The TCP pseudo-header of the IPv4 or IPv6 `packet`: addresses, protocol, TCP length. */
export function pseudoHeader(packet: Uint8Array): Buffer {
  const ipv6 = packet[0]! >> 4 === 6;
  const tcpLength = packet.length - (ipv6 ? 40 : (packet[0]! & 0x0f) * 4);
  const addresses = ipv6 ? packet.subarray(8, 40) : packet.subarray(12, 20);
  const tail = Buffer.alloc(ipv6 ? 8 : 4);
  if (ipv6) {
    tail.writeUInt32BE(tcpLength, 0);
    tail[7] = 6;
  } else {
    tail[1] = 6;
    tail.writeUInt16BE(tcpLength, 2);
  }
  return Buffer.concat([addresses, tail]);
}

/** True when the IPv4 header checksum (IPv6 has none) and the TCP checksum of `packet` are right. */
export function tcpPacketChecksumsValid(packet: Uint8Array): boolean {
  const ipv6 = packet[0]! >> 4 === 6;
  const ipHeader = ipv6 ? 40 : (packet[0]! & 0x0f) * 4;
  if (!ipv6 && internetChecksum(packet.subarray(0, ipHeader)) !== 0) return false;
  return internetChecksum(pseudoHeader(packet), packet.subarray(ipHeader)) === 0;
}

/**
 * Leaves in the TCP checksum field what a sender offloading it leaves (CHECKSUM_PARTIAL): the folded pseudo-header
 * sum, not complemented; the receiver of a NEEDS_CSUM header completes it.
 */
export function withPartialChecksum(packet: Buffer): Buffer {
  const ipHeader = packet[0]! >> 4 === 6 ? 40 : (packet[0]! & 0x0f) * 4;
  packet.writeUInt16BE(~internetChecksum(pseudoHeader(packet)) & 0xffff, ipHeader + 16);
  return packet;
}

export const FIN = 0x01;
export const PSH = 0x08;
export const ACK = 0x10;
export const CWR = 0x80;
/** MSS option, then NOP NOP and a timestamp option: 32 bytes of TCP header beyond the fixed 20. */
export const OPTIONS = Buffer.from('020405b40101080a0001e24000000000', 'hex');

export interface TcpSpec {
  ipv6?: boolean;
  payload: Uint8Array;
  seq: number;
  flags: number;
  id?: number;
  /** IPv4 DF; set unless false. */
  dontFragment?: boolean;
  options?: Uint8Array;
}

/** A complete, correctly checksummed TCP packet from 203.0.113.5:40000 to 198.51.100.7:5201 (or 2001:db8::). */
export function tcpPacket(spec: TcpSpec): Buffer {
  const options = spec.options ?? Buffer.alloc(0);
  const tcpLength = 20 + options.length + spec.payload.length;
  const ipHeader = spec.ipv6 ? 40 : 20;
  const packet = Buffer.alloc(ipHeader + tcpLength);
  if (spec.ipv6) {
    packet.writeUInt32BE(0x60012345, 0);
    packet.writeUInt16BE(tcpLength, 4);
    packet[6] = 6;
    packet[7] = 64;
    Buffer.from('20010db8000000000000000000000005', 'hex').copy(packet, 8);
    Buffer.from('20010db8000000010000000000000007', 'hex').copy(packet, 24);
  } else {
    packet[0] = 0x45;
    packet.writeUInt16BE(packet.length, 2);
    packet.writeUInt16BE(spec.id ?? 0x1234, 4);
    packet.writeUInt16BE(spec.dontFragment === false ? 0 : 0x4000, 6);
    packet[8] = 64;
    packet[9] = 6;
    Buffer.of(203, 0, 113, 5, 198, 51, 100, 7).copy(packet, 12);
    packet.writeUInt16BE(internetChecksum(packet.subarray(0, 20)), 10);
  }
  const tcp = packet.subarray(ipHeader);
  tcp.writeUInt16BE(40000, 0);
  tcp.writeUInt16BE(5201, 2);
  tcp.writeUInt32BE(spec.seq >>> 0, 4);
  tcp.writeUInt32BE(0x01020304, 8);
  tcp[12] = ((20 + options.length) / 4) << 4;
  tcp[13] = spec.flags;
  tcp.writeUInt16BE(502, 14);
  Buffer.from(options).copy(tcp, 20);
  Buffer.from(spec.payload).copy(tcp, 20 + options.length);
  tcp.writeUInt16BE(internetChecksum(pseudoHeader(packet), tcp), 16);
  return packet;
}

export function payloadOf(length: number): Buffer {
  return Buffer.from(Array.from({ length }, (_, i) => (i * 7 + 3) & 0xff));
}
