/**
 * TCP MSS clamping on the tunnel's data path: a SYN or SYN-ACK announcing more than fits in the tunnel is lowered,
 * so large transfers never depend on path-MTU discovery through the tunnel (which ICMP filtering often breaks).
 * Runs on every packet in both directions, so anything that is not an unfragmented TCP SYN leaves after a few byte
 * reads. The checksum is updated incrementally (RFC 1624); packets that do not parse are left alone.
 */
const TCP = 6;
const SYN = 0x02;
const TCP_HEADER = 20;
const OPTION_END = 0;
const OPTION_NOP = 1;
const OPTION_MSS = 2;
const MSS_OPTION_LENGTH = 4;
const IPV6_HEADER = 40;
/** IPv6 extension headers that may precede TCP and can be skipped (RFC 8200 §4): hop-by-hop, routing, destination. */
const IPV6_HOP_BY_HOP = 0;
const IPV6_ROUTING = 43;
const IPV6_DESTINATION = 60;

/**
 * Lowers the MSS option of a TCP SYN or SYN-ACK (IPv4 or IPv6) to `maxMss` (0..65535) when it announces more, in
 * place; true when the packet changed. Fragments, packets with AH or other IPv6 extension headers before TCP (AH
 * would no longer verify), non-TCP and malformed packets are left untouched.
 */
export function clampMss(packet: Uint8Array, maxMss: number): boolean {
  const version = packet[0]! >> 4;
  let tcp: number;
  let end: number;
  if (version === 4) {
    if (packet.length < 20 || packet[9] !== TCP) return false;
    // fragment offset or More Fragments set: only the whole datagram is a TCP segment we may edit
    if ((packet[6]! & 0x3f) !== 0 || packet[7] !== 0) return false;
    tcp = (packet[0]! & 0x0f) * 4;
    end = (packet[2]! << 8) | packet[3]!;
    if (tcp < 20) return false;
  } else if (version === 6) {
    if (packet.length < IPV6_HEADER) return false;
    end = IPV6_HEADER + ((packet[4]! << 8) | packet[5]!);
    if (end > packet.length) return false;
    const found = skipIpv6Extensions(packet, end);
    if (found === undefined) return false;
    tcp = found;
  } else {
    return false;
  }
  if (end > packet.length || tcp + TCP_HEADER > end) return false;
  if ((packet[tcp + 13]! & SYN) === 0) return false;
  const optionsEnd = tcp + (packet[tcp + 12]! >> 4) * 4;
  if (optionsEnd < tcp + TCP_HEADER || optionsEnd > end) return false;
  return clampOption(packet, tcp, optionsEnd, maxMss);
}

/** The offset of the TCP header behind the skippable extension headers, or undefined when it is not TCP. */
function skipIpv6Extensions(packet: Uint8Array, end: number): number | undefined {
  let next = packet[6]!;
  let at = IPV6_HEADER;
  while (next !== TCP) {
    if (next !== IPV6_HOP_BY_HOP && next !== IPV6_ROUTING && next !== IPV6_DESTINATION) return undefined;
    if (at + 2 > end) return undefined;
    next = packet[at]!;
    at += (packet[at + 1]! + 1) * 8;
  }
  return at;
}

function clampOption(packet: Uint8Array, tcp: number, optionsEnd: number, maxMss: number): boolean {
  let i = tcp + TCP_HEADER;
  while (i < optionsEnd) {
    const kind = packet[i]!;
    if (kind === OPTION_END) return false;
    if (kind === OPTION_NOP) {
      i++;
      continue;
    }
    if (i + 1 >= optionsEnd) return false;
    const length = packet[i + 1]!;
    if (length < 2 || i + length > optionsEnd) return false;
    if (kind === OPTION_MSS) {
      if (length !== MSS_OPTION_LENGTH) return false;
      const mss = (packet[i + 2]! << 8) | packet[i + 3]!;
      if (mss <= maxMss) return false;
      packet[i + 2] = maxMss >> 8;
      packet[i + 3] = maxMss & 0xff;
      // The checksum sums 16-bit words from the start of the TCP header (always at an even offset here). An MSS
      // value at an odd offset straddles two words; one's-complement sums are byte-order independent (RFC 1071
      // §2(B)), so the byte-swapped values update the sum correctly.
      const odd = ((i + 2 - tcp) & 1) === 1;
      updateChecksum(packet, tcp + 16, odd ? swap(mss) : mss, odd ? swap(maxMss) : maxMss);
      return true;
    }
    i += length;
  }
  return false;
}

function swap(word: number): number {
  return ((word & 0xff) << 8) | (word >> 8);
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
