/**
 * TCP MSS clamping on the tunnel's data path: a SYN or SYN-ACK announcing more than fits in the tunnel is lowered,
 * so large transfers never depend on path-MTU discovery through the tunnel (which ICMP filtering often breaks).
 * The checksum is updated incrementally (RFC 1624). Malformed packets are left alone.
 */
const TCP = 6;
const SYN = 0x02;
const OPTION_END = 0;
const OPTION_NOP = 1;
const OPTION_MSS = 2;

function tcpOffset(packet: Uint8Array): number | undefined {
  const version = packet[0]! >> 4;
  if (version === 4) {
    if (packet.length < 20) return undefined;
    const ihl = (packet[0]! & 0x0f) * 4;
    const fragment = ((packet[6]! & 0x1f) << 8) | packet[7]!;
    const moreFragments = (packet[6]! & 0x20) !== 0;
    if (packet[9] !== TCP || fragment !== 0 || moreFragments || ihl < 20) return undefined;
    return ihl;
  }
  if (version === 6) {
    // extension headers before TCP are rare on SYNs; those packets pass unclamped
    if (packet.length < 40 || packet[6] !== TCP) return undefined;
    return 40;
  }
  return undefined;
}

export function clampMss(packet: Uint8Array, maxMss: number): boolean {
  if (packet.length < 20) return false;
  const tcp = tcpOffset(packet);
  if (tcp === undefined || packet.length < tcp + 20) return false;
  if ((packet[tcp + 13]! & SYN) === 0) return false;
  const headerLength = (packet[tcp + 12]! >> 4) * 4;
  const end = tcp + headerLength;
  if (headerLength < 20 || end > packet.length) return false;
  let i = tcp + 20;
  while (i < end) {
    const kind = packet[i]!;
    if (kind === OPTION_END) return false;
    if (kind === OPTION_NOP) {
      i++;
      continue;
    }
    if (i + 1 >= end) return false;
    const length = packet[i + 1]!;
    if (length < 2 || i + length > end) return false;
    if (kind === OPTION_MSS && length === 4) {
      const mss = (packet[i + 2]! << 8) | packet[i + 3]!;
      if (mss <= maxMss) return false;
      packet[i + 2] = maxMss >> 8;
      packet[i + 3] = maxMss & 0xff;
      updateChecksum(packet, tcp + 16, mss, maxMss);
      return true;
    }
    i += length;
  }
  return false;
}

/** RFC 1624 eqn. 3: HC' = ~(~HC + ~m + m'). */
function updateChecksum(packet: Uint8Array, at: number, oldWord: number, newWord: number): void {
  let sum = (~((packet[at]! << 8) | packet[at + 1]!) & 0xffff) + (~oldWord & 0xffff) + newWord;
  sum = (sum & 0xffff) + (sum >>> 16);
  sum = (sum & 0xffff) + (sum >>> 16);
  const checksum = ~sum & 0xffff;
  packet[at] = checksum >> 8;
  packet[at + 1] = checksum & 0xff;
}
