import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { fromHex, toHex } from '../../test/support/hex.js';
import { seededRandom } from '../../test/support/seeded-random.js';
import { clampMss } from './mss-clamp.js';

const SYN = 0x02;
const ACK = 0x10;
const TCP = 6;
const UDP = 17;

// Options as Linux sends them on a SYN: MSS 1460, SACK permitted, timestamps, NOP, window scale 7.
const MSS_1460 = '020405b4';
const SACK_PERMITTED = '0402';
const TIMESTAMPS = '080a0001e24000000000';
const NOP = '01';
const WINDOW_SCALE = '030307';
const LINUX_OPTIONS = MSS_1460 + SACK_PERMITTED + TIMESTAMPS + NOP + WINDOW_SCALE;

/** One's-complement sum of 16-bit words (RFC 1071), an odd byte padded with zero. */
function onesComplementSum(bytes: Uint8Array, initial = 0): number {
  let sum = initial;
  for (let i = 0; i < bytes.length; i += 2) sum += (bytes[i]! << 8) | (bytes[i + 1] ?? 0);
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return sum;
}

/** The TCP checksum computed from scratch over the pseudo-header (RFC 9293 §3.1, RFC 8200 §8.1) and segment. */
function tcpChecksum(packet: Uint8Array, tcp: number): number {
  const segment = Uint8Array.from(packet.subarray(tcp));
  segment[16] = 0;
  segment[17] = 0;
  const v6 = packet[0]! >> 4 === 6;
  const pseudo = v6 ? new Uint8Array(40) : new Uint8Array(12);
  if (v6) {
    pseudo.set(packet.subarray(8, 40), 0);
    new DataView(pseudo.buffer).setUint32(32, segment.length);
    pseudo[39] = TCP;
  } else {
    pseudo.set(packet.subarray(12, 20), 0);
    pseudo[9] = TCP;
    new DataView(pseudo.buffer).setUint16(10, segment.length);
  }
  return ~onesComplementSum(segment, onesComplementSum(pseudo)) & 0xffff;
}

const checksumAt = (packet: Uint8Array, tcp: number): number => (packet[tcp + 16]! << 8) | packet[tcp + 17]!;

interface SegmentSpec {
  options?: string;
  flags?: number;
  payload?: string;
  /** Data offset in 32-bit words; by default what the options need. */
  dataOffset?: number;
}

function tcpSegment({ options = '', flags = SYN, payload = '', dataOffset }: SegmentSpec): Uint8Array {
  const opts = fromHex(options);
  assert.equal(opts.length % 4, 0, 'test options must fill whole words');
  const body = fromHex(payload);
  const segment = new Uint8Array(20 + opts.length + body.length);
  const view = new DataView(segment.buffer);
  view.setUint16(0, 40000);
  view.setUint16(2, 80);
  view.setUint32(4, 1);
  segment[12] = (dataOffset ?? 5 + opts.length / 4) << 4;
  segment[13] = flags;
  view.setUint16(14, 64240);
  segment.set(opts, 20);
  segment.set(body, 20 + opts.length);
  return segment;
}

/** IPv4 192.0.2.1 -> 198.51.100.10 carrying `segment`, with both checksums computed from scratch. */
function ipv4(segment: Uint8Array, protocol = TCP): Uint8Array {
  const packet = new Uint8Array(20 + segment.length);
  packet.set(fromHex('45000000 12344000 40000000 c0000201 c633640a'));
  new DataView(packet.buffer).setUint16(2, packet.length);
  packet[9] = protocol;
  packet.set(segment, 20);
  const headerSum = ~onesComplementSum(packet.subarray(0, 20)) & 0xffff;
  packet[10] = headerSum >> 8;
  packet[11] = headerSum & 0xff;
  if (protocol === TCP) setTcpChecksum(packet, 20);
  return packet;
}

/** IPv6 2001:db8::1 -> 2001:db8::2 carrying `extensions` (hex, already chained) then `segment`. */
function ipv6(segment: Uint8Array, firstNextHeader = TCP, extensions = ''): Uint8Array {
  const ext = fromHex(extensions);
  const packet = new Uint8Array(40 + ext.length + segment.length);
  packet.set(fromHex('60000000 00000040 20010db8000000000000000000000001 20010db8000000000000000000000002'));
  new DataView(packet.buffer).setUint16(4, ext.length + segment.length);
  packet[6] = firstNextHeader;
  packet.set(ext, 40);
  packet.set(segment, 40 + ext.length);
  setTcpChecksum(packet, 40 + ext.length);
  return packet;
}

function setTcpChecksum(packet: Uint8Array, tcp: number): void {
  const sum = tcpChecksum(packet, tcp);
  packet[tcp + 16] = sum >> 8;
  packet[tcp + 17] = sum & 0xff;
}

/** Clamps a copy; asserts that at most the MSS value and the checksum changed, and that the checksum is exact. */
function clampCopy(packet: Uint8Array, maxMss: number, tcp: number): { changed: boolean; out: Uint8Array } {
  const out = Uint8Array.from(packet);
  const changed = clampMss(out, maxMss);
  if (!changed) {
    assert.deepEqual(out, packet, 'an unchanged packet is byte-identical');
    return { changed, out };
  }
  assert.equal(checksumAt(out, tcp), tcpChecksum(out, tcp), 'incremental checksum equals a full recomputation');
  const differing = [...out.keys()].filter((i) => out[i] !== packet[i]);
  for (const i of differing) {
    const isChecksum = i === tcp + 16 || i === tcp + 17;
    const isMssValue = out[i - 2] === 2 || out[i - 3] === 2;
    assert.ok(isChecksum || isMssValue, `byte ${i} changed`);
  }
  return { changed, out };
}

const mssOf = (packet: Uint8Array, at: number): number => (packet[at]! << 8) | packet[at + 1]!;

describe('clampMss on IPv4', () => {
  test('a Linux SYN: independently computed checksums before and after', () => {
    const packet = ipv4(tcpSegment({ options: LINUX_OPTIONS }));
    // Computed separately with Python's struct module: IP header checksum 0x3c49, TCP checksum 0xe1fc; after
    // lowering the MSS to 1360 (0x0550) the TCP checksum is 0xe260.
    assert.equal(
      toHex(packet),
      '4500003c1234400040063c49c0000201c633640a9c4000500000000100000000a002faf0e1fc0000' +
        '020405b40402080a0001e2400000000001030307',
    );
    assert.equal(clampMss(packet, 1360), true);
    assert.equal(mssOf(packet, 42), 1360);
    assert.equal(checksumAt(packet, 20), 0xe260);
    assert.equal(tcpChecksum(packet, 20), 0xe260);
  });

  test('a SYN-ACK is clamped too', () => {
    const packet = ipv4(tcpSegment({ options: LINUX_OPTIONS, flags: SYN | ACK }));
    const { changed, out } = clampCopy(packet, 1398, 20);
    assert.equal(changed, true);
    assert.equal(mssOf(out, 42), 1398);
  });

  test('an MSS already at or below the limit is left alone', () => {
    const packet = ipv4(tcpSegment({ options: LINUX_OPTIONS }));
    assert.equal(clampCopy(packet, 1460, 20).changed, false);
    assert.equal(clampCopy(packet, 1500, 20).changed, false);
    assert.equal(clampCopy(packet, 1459, 20).changed, true);
  });

  test('segments without SYN are not touched, even with an MSS option', () => {
    for (const flags of [ACK, ACK | 0x08, 0x01, 0x04, 0]) {
      assert.equal(clampCopy(ipv4(tcpSegment({ options: MSS_1460, flags })), 1000, 20).changed, false);
    }
  });

  test('options in various orders, the MSS value at even and odd offsets', () => {
    const orders = [
      MSS_1460 + NOP + NOP + SACK_PERMITTED,
      NOP + MSS_1460 + NOP + NOP + NOP, // value at an odd offset: straddles two checksum words
      NOP + NOP + NOP + MSS_1460 + NOP,
      NOP + WINDOW_SCALE + MSS_1460 + NOP + NOP + NOP + NOP, // NOP + 3-byte option: value at offset 26
      SACK_PERMITTED + TIMESTAMPS + MSS_1460,
      TIMESTAMPS + NOP + NOP + WINDOW_SCALE + MSS_1460 + NOP,
      WINDOW_SCALE + NOP + SACK_PERMITTED + NOP + NOP + MSS_1460,
    ];
    for (const options of orders) {
      for (const payload of ['', 'aa', 'abcdef01', 'ff']) {
        const packet = ipv4(tcpSegment({ options, payload }));
        const at = 20 + 20 + options.indexOf(MSS_1460) / 2 + 2;
        for (const max of [0, 536, 1000, 1218, 1398, 0x00ff, 0x0500, 1459]) {
          const { changed, out } = clampCopy(packet, max, 20);
          assert.equal(changed, true, options);
          assert.equal(mssOf(out, at), max, options);
        }
      }
    }
  });

  test('no MSS option, or one behind End of Option List, changes nothing', () => {
    for (const options of [
      '',
      SACK_PERMITTED + TIMESTAMPS + NOP + WINDOW_SCALE,
      NOP + NOP + NOP + NOP,
      `00${NOP}${NOP}${NOP}${MSS_1460}`,
      `${NOP}00${NOP}${NOP}${MSS_1460}`,
    ]) {
      assert.equal(clampCopy(ipv4(tcpSegment({ options })), 536, 20).changed, false, options);
    }
  });

  test('malformed option lengths stop the walk without touching anything', () => {
    for (const options of [
      `${NOP}${NOP}0400${MSS_1460}`, // length 0 would loop forever
      `${NOP}${NOP}0401${MSS_1460}`, // length 1 is shorter than kind + length
      `${NOP}${NOP}${NOP}08${MSS_1460}`, // length 8 runs past the header's end
      `020305b4${NOP}${NOP}${NOP}${NOP}`, // MSS with length 3
      `020505b401${NOP}${NOP}${NOP}`, // MSS with length 5
      `${NOP}${NOP}${NOP}02`, // kind without its length byte
      `${NOP}${NOP}0204`, // MSS cut short by the header's end
    ]) {
      assert.equal(clampCopy(ipv4(tcpSegment({ options })), 536, 20).changed, false, options);
    }
  });

  test('a data offset that lies is not trusted', () => {
    // data offset 4 words (16 bytes) is shorter than the fixed header
    assert.equal(clampCopy(ipv4(tcpSegment({ options: MSS_1460, dataOffset: 4 })), 536, 20).changed, false);
    // data offset 15 words runs past the end of the packet
    assert.equal(clampCopy(ipv4(tcpSegment({ options: MSS_1460, dataOffset: 15 })), 536, 20).changed, false);
  });

  test('fragments are not touched', () => {
    const packet = ipv4(tcpSegment({ options: LINUX_OPTIONS }));
    for (const [b6, b7] of [
      [0x20, 0x00], // More Fragments, offset 0: the first fragment
      [0x00, 0x01], // offset 8
      [0x01, 0x00], // offset 2048
    ] as const) {
      const fragment = Uint8Array.from(packet);
      fragment[6] = b6;
      fragment[7] = b7;
      assert.equal(clampCopy(fragment, 536, 20).changed, false);
    }
  });

  test('non-TCP packets that look like a SYN are not touched', () => {
    const segment = tcpSegment({ options: LINUX_OPTIONS });
    assert.equal(clampCopy(ipv4(segment, UDP), 536, 20).changed, false);
    assert.equal(clampCopy(ipv4(segment, 1), 536, 20).changed, false);
  });

  test('IP options move the TCP header', () => {
    // IHL 6: a 4-byte IP option (NOP NOP NOP EOL) before TCP
    const plain = ipv4(tcpSegment({ options: LINUX_OPTIONS }));
    const packet = new Uint8Array(plain.length + 4);
    packet.set(plain.subarray(0, 20));
    packet.set(fromHex('01010100'), 20);
    packet.set(plain.subarray(20), 24);
    packet[0] = 0x46;
    new DataView(packet.buffer).setUint16(2, packet.length);
    setTcpChecksum(packet, 24);
    const { changed, out } = clampCopy(packet, 1200, 24);
    assert.equal(changed, true);
    assert.equal(mssOf(out, 46), 1200);
    const lying = Uint8Array.from(packet);
    lying[0] = 0x44; // IHL 4 is below the minimum header
    assert.equal(clampMss(lying, 1200), false);
  });

  test('the IP total length bounds the segment, not the buffer', () => {
    const packet = ipv4(tcpSegment({ options: LINUX_OPTIONS }));
    const short = Uint8Array.from(packet);
    new DataView(short.buffer).setUint16(2, 40 + 20 - 4); // claims the options end before the MSS fits
    assert.equal(clampMss(short, 536), false);
    const long = Uint8Array.from(packet);
    new DataView(long.buffer).setUint16(2, packet.length + 1);
    assert.equal(clampMss(long, 536), false);
    // trailing bytes after the datagram (link padding) do not matter
    const padded = new Uint8Array(packet.length + 6);
    padded.set(packet);
    assert.equal(clampMss(padded, 536), true);
    assert.equal(tcpChecksum(padded.subarray(0, packet.length), 20), checksumAt(padded, 20));
  });
});

describe('clampMss on IPv6', () => {
  test('a SYN right after the fixed header', () => {
    const packet = ipv6(tcpSegment({ options: LINUX_OPTIONS }));
    const { changed, out } = clampCopy(packet, 1378, 40);
    assert.equal(changed, true);
    assert.equal(mssOf(out, 62), 1378);
  });

  test('behind hop-by-hop and destination options headers', () => {
    // hop-by-hop (next: destination options, 0 extra units, PadN 4) then destination options (next: TCP, PadN 4)
    const extensions = '3c00 0104 00000000' + '0600 0104 00000000';
    const packet = ipv6(tcpSegment({ options: NOP + MSS_1460 + NOP + NOP + NOP }), 0, extensions);
    const { changed, out } = clampCopy(packet, 1200, 56);
    assert.equal(changed, true);
    assert.equal(mssOf(out, 56 + 23), 1200);
  });

  test('fragment and AH headers, and extension headers running past the packet, leave it alone', () => {
    const segment = tcpSegment({ options: LINUX_OPTIONS });
    assert.equal(clampCopy(ipv6(segment, 44, '0600 0000 00000001'), 536, 48).changed, false);
    assert.equal(clampCopy(ipv6(segment, 51, '0602 0000 00000001 00000001 00000000'), 536, 56).changed, false);
    // a hop-by-hop header claiming 255 units
    assert.equal(clampCopy(ipv6(segment, 0, '06ff 0104 00000000'), 536, 48).changed, false);
  });

  test('a payload length that disagrees with the buffer', () => {
    const packet = ipv6(tcpSegment({ options: LINUX_OPTIONS }));
    const long = Uint8Array.from(packet);
    new DataView(long.buffer).setUint16(4, packet.length);
    assert.equal(clampMss(long, 536), false);
  });
});

describe('clampMss never throws', () => {
  test('every truncation of a valid SYN, and other versions', () => {
    for (const full of [ipv4(tcpSegment({ options: LINUX_OPTIONS })), ipv6(tcpSegment({ options: LINUX_OPTIONS }))]) {
      for (let n = 0; n < full.length; n++) {
        const cut = full.slice(0, n);
        assert.equal(clampMss(cut, 536), false, `${n} bytes`);
      }
    }
    for (const first of [0x00, 0x15, 0x55, 0xf5]) {
      const packet = ipv4(tcpSegment({ options: LINUX_OPTIONS }));
      packet[0] = first;
      assert.equal(clampMss(packet, 536), false);
    }
  });

  test('seeded random mutations of SYNs: no exception, and every change keeps an exact checksum', () => {
    const next = seededRandom(0x5eed);
    const bases = [
      { packet: ipv4(tcpSegment({ options: LINUX_OPTIONS })), tcp: 20 },
      { packet: ipv4(tcpSegment({ options: NOP + MSS_1460 + NOP + NOP + NOP, payload: 'deadbeef' })), tcp: 20 },
      { packet: ipv6(tcpSegment({ options: LINUX_OPTIONS })), tcp: 40 },
    ];
    let clamped = 0;
    for (let round = 0; round < 20000; round++) {
      const base = bases[round % bases.length]!;
      const packet = Uint8Array.from(base.packet);
      // mutate 1-3 bytes anywhere but the version/IHL byte and IPv6's next header (which would move the TCP
      // header), then make the checksum valid again so any change clampMss makes can be checked in full
      for (let k = 1 + (next() % 3); k > 0; k--) {
        const at = 1 + (next() % (packet.length - 1));
        if (at !== 6 || base.tcp === 20) packet[at] = next() & 0xff;
      }
      setTcpChecksum(packet, base.tcp);
      const before = Uint8Array.from(packet);
      const max = next() % 2000;
      const changed = clampMss(packet, max);
      if (changed) {
        clamped++;
        assert.equal(checksumAt(packet, base.tcp), tcpChecksum(packet, base.tcp));
        assert.ok([...packet.keys()].filter((i) => packet[i] !== before[i]).length <= 4);
      } else {
        assert.deepEqual(packet, before);
      }
    }
    assert.ok(clamped > 5000, `only ${clamped} mutated packets were clamped`);
  });
});
