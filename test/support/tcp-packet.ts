// RFC 1071 checksums written plainly, to check the data path's optimised ones against (tun-offload tests).

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

/** True when the IPv4 header checksum (IPv6 has none) and the TCP checksum of `packet` are right. */
export function tcpPacketChecksumsValid(packet: Uint8Array): boolean {
  const ipv6 = packet[0]! >> 4 === 6;
  const ipHeader = ipv6 ? 40 : (packet[0]! & 0x0f) * 4;
  if (!ipv6 && internetChecksum(packet.subarray(0, ipHeader)) !== 0) return false;
  const tcp = packet.subarray(ipHeader);
  const addresses = ipv6 ? packet.subarray(8, 40) : packet.subarray(12, 20);
  const tail = Buffer.alloc(ipv6 ? 8 : 4);
  if (ipv6) {
    tail.writeUInt32BE(tcp.length, 0);
    tail[7] = 6;
  } else {
    tail[1] = 6;
    tail.writeUInt16BE(tcp.length, 2);
  }
  return internetChecksum(addresses, tail, tcp) === 0;
}
