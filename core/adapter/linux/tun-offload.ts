/**
 * TUN offloads (IFF_VNET_HDR + TUNSETOFFLOAD): with them the kernel hands userspace one TCP "super-packet" of up to
 * 64 KB behind a 10-byte struct virtio_net_hdr (include/uapi/linux/virtio_net.h) instead of ~45 MSS-sized packets,
 * and accepts such a super-packet on write. Userspace then does what the NIC would: split a super-packet into the
 * segments the kernel's own GSO would have produced (net/ipv4/tcp_offload.c, af_inet.c inet_gso_segment), and, the
 * other way, merge in-order segments of one flow into one (GRO-like) with the header the kernel expects from a TUN.
 *
 * Pure functions over bytes: no I/O. Output goes to a callback with a view of a reused buffer, valid only during the
 * call, so segmenting a read allocates nothing but views.
 */

export const VIRTIO_NET_HDR_LEN = 10;

const F_NEEDS_CSUM = 0x01;
const GSO_NONE = 0;
const GSO_TCPV4 = 1;
const GSO_TCPV6 = 4;
const GSO_ECN = 0x80;

const IPPROTO_TCP = 6;
const TCP_CHECKSUM_OFFSET = 16;
const TCP_FIN = 0x01;
const TCP_PSH = 0x08;
const TCP_ACK = 0x10;
const TCP_CWR = 0x80;
/** The largest IP packet either direction can carry (IPv4 total length, IPv6 payload length are 16-bit). */
const MAX_PACKET = 65535 + 40;

/** Room for any frame a TUN reads or takes with IFF_VNET_HDR, and for any segment: the size for scratch buffers. */
export const FRAME_BUFFER_SIZE = VIRTIO_NET_HDR_LEN + MAX_PACKET;

/** Receives a frame to write (a view valid only during the call) and how many IP packets it carries. */
export type FrameSink = (frame: Uint8Array, packets: number) => void;

export type GsoType = 'none' | 'tcpv4' | 'tcpv6';

/** struct virtio_net_hdr as a TUN reads it (little-endian on the hosts we run on: x86-64, arm64). */
export interface VirtioNetHeader {
  /** VIRTIO_NET_HDR_F_NEEDS_CSUM: the checksum at csumStart + csumOffset holds only the pseudo-header sum. */
  needsChecksum: boolean;
  gso: GsoType;
  /** VIRTIO_NET_HDR_GSO_ECN: the flow negotiated ECN (CWR may be set on the first segment). */
  ecn: boolean;
  /** IP + TCP header length by the kernel's count; not trusted for the split (see segment). */
  headerLength: number;
  /** Payload bytes per segment (the MSS). */
  segmentSize: number;
  checksumStart: number;
  checksumOffset: number;
}

export type DropReason =
  | 'short-header'
  | 'unsupported-gso-type'
  | 'gso-size-zero'
  | 'header-beyond-packet'
  | 'csum-offset-out-of-range'
  | 'not-tcp'
  | 'ip-version-mismatch'
  | 'bad-ip-header'
  | 'bad-tcp-header';

export type HeaderParse = { ok: true; header: VirtioNetHeader } | { ok: false; reason: DropReason };
export type SegmentOutcome = { ok: true; segments: number } | { ok: false; reason: DropReason };

/** The header of a frame read from a TUN opened with IFF_VNET_HDR; the packet follows at VIRTIO_NET_HDR_LEN. */
export function parseVirtioNetHeader(frame: Uint8Array): HeaderParse {
  if (frame.length < VIRTIO_NET_HDR_LEN) return { ok: false, reason: 'short-header' };
  const flags = frame[0]!;
  const type = frame[1]!;
  const base = type & ~GSO_ECN;
  let gso: GsoType;
  if (base === GSO_NONE && type === GSO_NONE) gso = 'none';
  else if (base === GSO_TCPV4) gso = 'tcpv4';
  else if (base === GSO_TCPV6) gso = 'tcpv6';
  else return { ok: false, reason: 'unsupported-gso-type' };
  const u16 = (at: number) => frame[at]! | (frame[at + 1]! << 8);
  const header: VirtioNetHeader = {
    needsChecksum: (flags & F_NEEDS_CSUM) !== 0,
    gso,
    ecn: (type & GSO_ECN) !== 0,
    headerLength: u16(2),
    segmentSize: u16(4),
    checksumStart: u16(6),
    checksumOffset: u16(8),
  };
  if (gso !== 'none' && header.segmentSize === 0) return { ok: false, reason: 'gso-size-zero' };
  return { ok: true, header };
}

/** The header the kernel takes for a plain packet: no GSO, checksums already complete. */
export const PLAIN_HEADER: Readonly<VirtioNetHeader> = {
  needsChecksum: false,
  gso: 'none',
  ecn: false,
  headerLength: 0,
  segmentSize: 0,
  checksumStart: 0,
  checksumOffset: 0,
};

export function writeVirtioNetHeader(header: VirtioNetHeader, into: Uint8Array, at = 0): void {
  const type = header.gso === 'tcpv4' ? GSO_TCPV4 : header.gso === 'tcpv6' ? GSO_TCPV6 : GSO_NONE;
  into[at] = header.needsChecksum ? F_NEEDS_CSUM : 0;
  into[at + 1] = type | (header.ecn ? GSO_ECN : 0);
  const put = (offset: number, value: number) => {
    into[at + offset] = value & 0xff;
    into[at + offset + 1] = value >>> 8;
  };
  put(2, header.headerLength);
  put(4, header.segmentSize);
  put(6, header.checksumStart);
  put(8, header.checksumOffset);
}

/** Whether a Uint32Array reads bytes little-endian here (x86-64, arm64): the fast sum below assumes it. */
const LITTLE_ENDIAN = new Uint8Array(Uint16Array.of(1).buffer)[0] === 1;
/** Below this many bytes the Uint32Array view costs more than it saves. */
const WIDE_SUM_MIN = 64;

/** Unfolded 16-bit big-endian sum of bytes[start, end), added to `sum`; fold with foldSum. */
function sumWords(bytes: Uint8Array, start: number, end: number, sum: number): number {
  let i = start;
  if (LITTLE_ENDIAN && end - i >= WIDE_SUM_MIN && (bytes.byteOffset + i) % 2 === 0) {
    if ((bytes.byteOffset + i) % 4 === 2) {
      sum += (bytes[i]! << 8) | bytes[i + 1]!;
      i += 2;
    }
    // RFC 1071: the sum is the same in either byte order, swapped, and summing 32-bit words folds to the same
    // 16-bit value; four bytes a turn without shifts is where the time goes on the data path
    const words = (end - i) >>> 2;
    const view = new Uint32Array(bytes.buffer, bytes.byteOffset + i, words);
    let native = 0;
    for (let w = 0; w < words; w++) native += view[w]!;
    const folded = foldSum(native);
    sum += ((folded & 0xff) << 8) | (folded >>> 8);
    i += words * 4;
  }
  for (; i + 1 < end; i += 2) sum += (bytes[i]! << 8) | bytes[i + 1]!;
  if (i < end) sum += bytes[i]! << 8;
  return sum;
}

function foldSum(sum: number): number {
  let folded = sum;
  while (folded > 0xffff) folded = (folded % 0x10000) + Math.floor(folded / 0x10000);
  return folded;
}

function readU16(bytes: Uint8Array, at: number): number {
  return (bytes[at]! << 8) | bytes[at + 1]!;
}

function writeU16(bytes: Uint8Array, at: number, value: number): void {
  bytes[at] = (value >>> 8) & 0xff;
  bytes[at + 1] = value & 0xff;
}

function readU32(bytes: Uint8Array, at: number): number {
  return ((bytes[at]! << 24) | (bytes[at + 1]! << 16) | (bytes[at + 2]! << 8) | bytes[at + 3]!) >>> 0;
}

function writeU32(bytes: Uint8Array, at: number, value: number): void {
  bytes[at] = value >>> 24;
  bytes[at + 1] = (value >>> 16) & 0xff;
  bytes[at + 2] = (value >>> 8) & 0xff;
  bytes[at + 3] = value & 0xff;
}

/** Sum of the TCP pseudo-header (addresses, protocol, TCP length) of the IP packet in `bytes` at `ip`. */
function pseudoHeaderSum(bytes: Uint8Array, ip: number, ipv6: boolean, tcpLength: number): number {
  const sum = ipv6 ? sumWords(bytes, ip + 8, ip + 40, 0) : sumWords(bytes, ip + 12, ip + 20, 0);
  return sum + IPPROTO_TCP + tcpLength;
}

function setIpv4HeaderChecksum(bytes: Uint8Array, ip: number, headerLength: number): void {
  writeU16(bytes, ip + 10, 0);
  writeU16(bytes, ip + 10, ~foldSum(sumWords(bytes, ip, ip + headerLength, 0)) & 0xffff);
}

/** Where the IP and TCP headers of a TCP packet end, or why the packet is not one. */
type TcpLayout = { ok: true; ipv6: boolean; ipHeader: number; headers: number } | { ok: false; reason: DropReason };

function tcpLayout(packet: Uint8Array): TcpLayout {
  if (packet.length < 20) return { ok: false, reason: 'bad-ip-header' };
  const version = packet[0]! >> 4;
  let ipHeader: number;
  if (version === 4) {
    ipHeader = (packet[0]! & 0x0f) * 4;
    if (ipHeader < 20 || readU16(packet, 2) !== packet.length || packet.length < ipHeader) {
      return { ok: false, reason: 'bad-ip-header' };
    }
    if (packet[9] !== IPPROTO_TCP) return { ok: false, reason: 'not-tcp' };
  } else if (version === 6) {
    ipHeader = 40;
    if (packet.length < 40 || readU16(packet, 4) + 40 !== packet.length) return { ok: false, reason: 'bad-ip-header' };
    // extension headers are not followed: neither the kernel's TSO for a TUN nor our coalesce produces them
    if (packet[6] !== IPPROTO_TCP) return { ok: false, reason: 'not-tcp' };
  } else {
    return { ok: false, reason: 'bad-ip-header' };
  }
  if (packet.length < ipHeader + 20) return { ok: false, reason: 'header-beyond-packet' };
  const tcpHeader = (packet[ipHeader + 12]! >> 4) * 4;
  if (tcpHeader < 20) return { ok: false, reason: 'bad-tcp-header' };
  if (packet.length < ipHeader + tcpHeader) return { ok: false, reason: 'header-beyond-packet' };
  return { ok: true, ipv6: version === 6, ipHeader, headers: ipHeader + tcpHeader };
}

/**
 * Splits what a TUN read (`header`, then `packet`) into the IP packets a TUN without offloads would have given,
 * each passed to `emit` as a view of `scratch` (or of `packet` itself when there is nothing to split) that is valid
 * only during the call. `packet` may be modified (a completed checksum). `scratch` must hold the largest segment:
 * FRAME_BUFFER_SIZE is always enough.
 *
 * A split matches the kernel's TCP GSO: each segment carries `segmentSize` payload bytes (the last may be shorter),
 * its own IPv4 total length, an IPv4 ID one more than the previous segment's, a fresh IPv4 header checksum, its own
 * IPv6 payload length, a sequence number advanced by the payload before it, FIN and PSH only on the last segment,
 * CWR only on the first, and a complete TCP checksum.
 */
export function segment(
  header: VirtioNetHeader,
  packet: Uint8Array,
  scratch: Uint8Array,
  emit: (packet: Uint8Array) => void,
): SegmentOutcome {
  if (header.headerLength > packet.length) return { ok: false, reason: 'header-beyond-packet' };
  if (header.gso === 'none') {
    if (header.needsChecksum) {
      const at = header.checksumStart + header.checksumOffset;
      if (at + 2 > packet.length) return { ok: false, reason: 'csum-offset-out-of-range' };
      // the field holds the pseudo-header sum (CHECKSUM_PARTIAL): sum the rest over it
      const partial = readU16(packet, at);
      writeU16(packet, at, 0);
      const checksum = ~foldSum(sumWords(packet, header.checksumStart, packet.length, partial)) & 0xffff;
      // 0 and 0xffff are the same in one's complement; 0 means "no checksum" to UDP
      writeU16(packet, at, checksum === 0 ? 0xffff : checksum);
    }
    emit(packet);
    return { ok: true, segments: 1 };
  }
  const layout = tcpLayout(packet);
  if (!layout.ok) return layout;
  const { ipv6, ipHeader, headers } = layout;
  if (ipv6 !== (header.gso === 'tcpv6')) return { ok: false, reason: 'ip-version-mismatch' };
  if (header.needsChecksum && (header.checksumStart !== ipHeader || header.checksumOffset !== TCP_CHECKSUM_OFFSET)) {
    return { ok: false, reason: 'csum-offset-out-of-range' };
  }
  // header.headerLength is not used for the split: a forwarded packet's can cover its whole first segment
  const size = header.segmentSize;
  const payload = packet.length - headers;
  const count = Math.max(1, Math.ceil(payload / size));
  const firstId = ipv6 ? 0 : readU16(packet, 4);
  const firstSeq = readU32(packet, ipHeader + 4);
  const flags = packet[ipHeader + 13]!;
  // the pseudo-header's addresses and protocol are the same for every segment
  const addressSum = pseudoHeaderSum(packet, 0, ipv6, 0);
  for (let i = 0; i < count; i++) {
    const from = headers + i * size;
    const chunk = Math.min(size, packet.length - from);
    const length = headers + chunk;
    scratch.set(packet.subarray(0, headers), 0);
    scratch.set(packet.subarray(from, from + chunk), headers);
    if (ipv6) {
      writeU16(scratch, 4, length - 40);
    } else {
      writeU16(scratch, 2, length);
      writeU16(scratch, 4, (firstId + i) & 0xffff);
      setIpv4HeaderChecksum(scratch, 0, ipHeader);
    }
    writeU32(scratch, ipHeader + 4, (firstSeq + i * size) >>> 0);
    let segmentFlags = flags;
    if (i < count - 1) segmentFlags &= ~(TCP_FIN | TCP_PSH);
    if (i > 0) segmentFlags &= ~TCP_CWR;
    scratch[ipHeader + 13] = segmentFlags;
    writeU16(scratch, ipHeader + TCP_CHECKSUM_OFFSET, 0);
    const tcpLength = length - ipHeader;
    const sum = sumWords(scratch, ipHeader, length, addressSum + tcpLength);
    writeU16(scratch, ipHeader + TCP_CHECKSUM_OFFSET, ~foldSum(sum) & 0xffff);
    emit(scratch.subarray(0, length));
  }
  return { ok: true, segments: count };
}

/** True when the TCP (over IPv4 or IPv6) checksum of `packet` is right. */
function tcpChecksumValid(packet: Uint8Array, ipHeader: number, ipv6: boolean): boolean {
  const tcpLength = packet.length - ipHeader;
  return foldSum(sumWords(packet, ipHeader, packet.length, pseudoHeaderSum(packet, 0, ipv6, tcpLength))) === 0xffff;
}

/** A run of segments being merged: where its first packet's headers are and what the next one must look like. */
interface Run {
  first: Uint8Array;
  ipv6: boolean;
  ipHeader: number;
  headers: number;
  size: number;
  nextSeq: number;
  length: number;
  /** The last segment so far was shorter than `size` or carried PSH: nothing may follow it. */
  closed: boolean;
  psh: boolean;
  packets: Uint8Array[];
}

/**
 * A packet that may start or extend a run: TCP with payload, plain ACK or ACK+PSH, no IPv4 options or fragments, no
 * IPv6 extension headers, and a right checksum (merging must not turn a corrupt segment into one the kernel trusts).
 */
function mergeable(packet: Uint8Array): { ipv6: boolean; ipHeader: number; headers: number } | undefined {
  const layout = tcpLayout(packet);
  if (!layout.ok) return undefined;
  const { ipv6, ipHeader, headers } = layout;
  if (!ipv6 && (ipHeader !== 20 || (readU16(packet, 6) & 0x3fff) !== 0)) return undefined;
  if (packet.length === headers) return undefined;
  const flags = packet[ipHeader + 13]!;
  if (flags !== TCP_ACK && flags !== (TCP_ACK | TCP_PSH)) return undefined;
  if (!tcpChecksumValid(packet, ipHeader, ipv6)) return undefined;
  return layout;
}

/** Whether `next` continues `run`: the checks of the kernel's tcp_gro_receive and inet/ipv6 GRO. */
function continues(run: Run, next: Uint8Array, layout: { ipv6: boolean; headers: number }): boolean {
  if (run.closed || layout.ipv6 !== run.ipv6 || layout.headers !== run.headers) return false;
  const { first, ipHeader, headers } = run;
  const payload = next.length - headers;
  if (payload > run.size || run.length + payload > MAX_PACKET - (run.ipv6 ? 0 : 40)) return false;
  if (run.ipv6) {
    // version, traffic class, flow label, next header, hop limit, addresses; not the payload length
    if (readU32(first, 0) !== readU32(next, 0)) return false;
    for (let i = 6; i < 40; i++) if (first[i] !== next[i]) return false;
  } else {
    // TOS, DF and TTL, protocol, addresses
    if (first[1] !== next[1] || first[6] !== next[6] || first[8] !== next[8]) return false;
    // the kernel's GSO numbers the segments first ID + i: without DF the IDs must already be so, since reassembly
    // goes by them; with DF (an atomic datagram, RFC 6864) the ID means nothing and the kernel's GRO takes any
    const dontFragment = (first[6]! & 0x40) !== 0;
    if (!dontFragment && readU16(next, 4) !== ((readU16(first, 4) + run.packets.length) & 0xffff)) return false;
    for (let i = 9; i < 20; i++) if (i !== 10 && i !== 11 && first[i] !== next[i]) return false;
  }
  // ports, ack number, data offset, window, urgent pointer and options equal; flags apart from PSH equal
  for (let i = ipHeader; i < headers; i++) {
    if (i >= ipHeader + 4 && i < ipHeader + 8) continue;
    if (i === ipHeader + 13 || i === ipHeader + 16 || i === ipHeader + 17) continue;
    if (first[i] !== next[i]) return false;
  }
  return readU32(next, ipHeader + 4) === run.nextSeq && (next[ipHeader + 13]! & ~TCP_PSH) === TCP_ACK;
}

/**
 * For the write direction: merges consecutive, in-order TCP segments of one flow in `packets` (same addresses,
 * ports, ack, window and options, contiguous sequence numbers, equal payload sizes but for a shorter last one, PSH
 * only on the last, IPv4 IDs counting up unless DF is set) into one super-packet behind a virtio_net_hdr the kernel
 * takes from a TUN (GSO TCPV4/TCPV6, NEEDS_CSUM, the pseudo-header sum in the TCP checksum field). Every other
 * packet passes through behind a zero header. Each frame goes to `emit` with the number of packets in it, as a view
 * of `scratch` (FRAME_BUFFER_SIZE is always enough) valid only during the call, in the order of the packets.
 */
export function coalesce(packets: readonly Uint8Array[], scratch: Uint8Array, emit: FrameSink): void {
  let run: Run | undefined;
  for (const packet of packets) {
    const layout = mergeable(packet);
    if (run && layout && continues(run, packet, layout)) {
      const payload = packet.length - run.headers;
      run.packets.push(packet);
      run.length += payload;
      run.nextSeq = (run.nextSeq + payload) >>> 0;
      run.psh = (packet[run.ipHeader + 13]! & TCP_PSH) !== 0;
      run.closed = payload < run.size || run.psh;
      continue;
    }
    if (run) flush(run, scratch, emit);
    run = undefined;
    if (layout) {
      const size = packet.length - layout.headers;
      const psh = (packet[layout.ipHeader + 13]! & TCP_PSH) !== 0;
      run = {
        first: packet,
        ...layout,
        size,
        nextSeq: (readU32(packet, layout.ipHeader + 4) + size) >>> 0,
        length: packet.length,
        closed: psh,
        psh,
        packets: [packet],
      };
    } else {
      emitPlain(packet, scratch, emit);
    }
  }
  if (run) flush(run, scratch, emit);
}

/** `packet` behind a zero header (no GSO, checksums complete), as one frame to write. */
export function emitPlain(packet: Uint8Array, scratch: Uint8Array, emit: FrameSink): void {
  writeVirtioNetHeader(PLAIN_HEADER, scratch);
  scratch.set(packet, VIRTIO_NET_HDR_LEN);
  emit(scratch.subarray(0, VIRTIO_NET_HDR_LEN + packet.length), 1);
}

function flush(run: Run, scratch: Uint8Array, emit: FrameSink): void {
  if (run.packets.length === 1) {
    emitPlain(run.first, scratch, emit);
    return;
  }
  const { ipv6, ipHeader, headers } = run;
  const out = scratch.subarray(VIRTIO_NET_HDR_LEN, VIRTIO_NET_HDR_LEN + run.length);
  out.set(run.first, 0);
  let at = run.first.length;
  for (let i = 1; i < run.packets.length; i++) {
    const packet = run.packets[i]!;
    out.set(packet.subarray(headers), at);
    at += packet.length - headers;
  }
  if (ipv6) {
    writeU16(out, 4, run.length - 40);
  } else {
    writeU16(out, 2, run.length);
    setIpv4HeaderChecksum(out, 0, ipHeader);
  }
  if (run.psh) out[ipHeader + 13]! |= TCP_PSH;
  // CHECKSUM_PARTIAL: the field holds the folded pseudo-header sum, the kernel completes it for each segment
  writeU16(out, ipHeader + TCP_CHECKSUM_OFFSET, foldSum(pseudoHeaderSum(out, 0, ipv6, run.length - ipHeader)));
  writeVirtioNetHeader(
    {
      needsChecksum: true,
      gso: ipv6 ? 'tcpv6' : 'tcpv4',
      ecn: false,
      headerLength: headers,
      segmentSize: run.size,
      checksumStart: ipHeader,
      checksumOffset: TCP_CHECKSUM_OFFSET,
    },
    scratch,
  );
  emit(scratch.subarray(0, VIRTIO_NET_HDR_LEN + run.length), run.packets.length);
}
