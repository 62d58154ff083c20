import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  ACK,
  CWR,
  FIN,
  internetChecksum,
  OPTIONS,
  PSH,
  payloadOf,
  tcpPacket,
  tcpPacketChecksumsValid,
  withPartialChecksum,
} from '../../../test/support/tcp-packet.js';
import {
  coalesce,
  parseVirtioNetHeader,
  segment,
  VIRTIO_NET_HDR_LEN,
  type VirtioNetHeader,
  writeVirtioNetHeader,
} from './tun-offload.js';

function gsoHeader(ipv6: boolean, headers: number, size: number): VirtioNetHeader {
  return {
    needsChecksum: true,
    gso: ipv6 ? 'tcpv6' : 'tcpv4',
    ecn: false,
    headerLength: headers,
    segmentSize: size,
    checksumStart: ipv6 ? 40 : 20,
    checksumOffset: 16,
  };
}

function collect(header: VirtioNetHeader, packet: Uint8Array): { outcome: ReturnType<typeof segment>; out: Buffer[] } {
  const out: Buffer[] = [];
  const outcome = segment(header, packet, new Uint8Array(65536), (p) => out.push(Buffer.from(p)));
  return { outcome, out };
}

describe('virtio_net_hdr', () => {
  test('round-trips through writeVirtioNetHeader and parseVirtioNetHeader (little-endian fields)', () => {
    const header = { ...gsoHeader(false, 52, 1448), ecn: true };
    const bytes = new Uint8Array(VIRTIO_NET_HDR_LEN);
    writeVirtioNetHeader(header, bytes);
    assert.deepEqual([...bytes], [1, 0x81, 52, 0, 0xa8, 0x05, 20, 0, 16, 0]);
    assert.deepEqual(parseVirtioNetHeader(bytes), { ok: true, header });
  });

  test('a short header, UDP GSO and a GSO size of 0 are drop reasons', () => {
    assert.deepEqual(parseVirtioNetHeader(new Uint8Array(9)), { ok: false, reason: 'short-header' });
    assert.deepEqual(parseVirtioNetHeader(Uint8Array.of(1, 5, 0, 0, 0, 5, 20, 0, 6, 0)), {
      ok: false,
      reason: 'unsupported-gso-type',
    });
    assert.deepEqual(parseVirtioNetHeader(Uint8Array.of(1, 1, 40, 0, 0, 0, 20, 0, 16, 0)), {
      ok: false,
      reason: 'gso-size-zero',
    });
  });
});

describe('segment', () => {
  for (const ipv6 of [false, true]) {
    const family = ipv6 ? 'IPv6' : 'IPv4';
    test(`${family}: a super-packet with options, CWR, PSH and FIN splits like the kernel's GSO`, () => {
      const size = 1000;
      const payload = payloadOf(4 * size + 321);
      const seq = 0xfffff000; // wraps within the super-packet
      const flags = ACK | PSH | FIN | CWR;
      const superPacket = tcpPacket({ ipv6, payload, seq, flags, id: 0xfffe, options: OPTIONS });
      const headers = (ipv6 ? 40 : 20) + 20 + OPTIONS.length;
      const { outcome, out } = collect(gsoHeader(ipv6, headers, size), superPacket);
      assert.deepEqual(outcome, { ok: true, segments: 5 });
      out.forEach((got, i) => {
        const last = i === 4;
        const expected = tcpPacket({
          ipv6,
          payload: payload.subarray(i * size, Math.min((i + 1) * size, payload.length)),
          seq: seq + i * size,
          flags: (last ? flags : flags & ~(PSH | FIN)) & (i === 0 ? 0xff : ~CWR),
          id: (0xfffe + i) & 0xffff,
          options: OPTIONS,
        });
        assert.ok(tcpPacketChecksumsValid(got), `segment ${i} checksums`);
        assert.deepEqual(got.toString('hex'), expected.toString('hex'), `segment ${i}`);
      });
      assert.equal(out[4]!.length, headers + 321);
    });
  }

  test('no GSO with NEEDS_CSUM: the partial checksum is completed in place, wherever the bytes sit', () => {
    const expected = tcpPacket({ payload: payloadOf(777), seq: 1, flags: ACK });
    const header: VirtioNetHeader = { ...gsoHeader(false, 0, 0), gso: 'none' };
    // the sum reads four bytes at a time where the alignment allows: every alignment must give the same answer
    for (let offset = 0; offset < 4; offset++) {
      const packet = Buffer.alloc(offset + expected.length + 3).subarray(offset, offset + expected.length);
      expected.copy(packet);
      withPartialChecksum(packet);
      const { outcome, out } = collect(header, packet);
      assert.deepEqual(outcome, { ok: true, segments: 1 });
      assert.equal(out[0]!.toString('hex'), expected.toString('hex'), `at offset ${offset}`);
    }
  });

  test('malformed frames give drop reasons, never an exception', () => {
    const packet = tcpPacket({ payload: payloadOf(3000), seq: 1, flags: ACK });
    const cases: [VirtioNetHeader, Uint8Array, string][] = [
      [gsoHeader(false, packet.length + 1, 1000), packet, 'header-beyond-packet'],
      [{ ...gsoHeader(false, 40, 1000), checksumOffset: 6 }, packet, 'csum-offset-out-of-range'],
      [{ ...gsoHeader(false, 0, 0), gso: 'none', checksumOffset: packet.length }, packet, 'csum-offset-out-of-range'],
      [gsoHeader(true, 40, 1000), packet, 'ip-version-mismatch'],
      [gsoHeader(false, 40, 1000), packet.subarray(0, 100), 'bad-ip-header'],
      [gsoHeader(false, 0, 1000), packet.subarray(0, 30), 'bad-ip-header'],
    ];
    const udp = Buffer.from(packet);
    udp[9] = 17;
    cases.push([gsoHeader(false, 28, 1000), udp, 'not-tcp']);
    const shortTcp = Buffer.from(packet.subarray(0, 36));
    shortTcp.writeUInt16BE(36, 2);
    cases.push([gsoHeader(false, 0, 1000), shortTcp, 'header-beyond-packet']);
    const badOffset = Buffer.from(packet);
    badOffset[32] = 0x40;
    cases.push([gsoHeader(false, 0, 1000), badOffset, 'bad-tcp-header']);
    for (const [header, bytes, reason] of cases) {
      assert.deepEqual(collect(header, bytes), { outcome: { ok: false, reason }, out: [] }, reason);
    }
  });
});

describe('coalesce', () => {
  function frames(packets: Uint8Array[]): Buffer[] {
    const out: Buffer[] = [];
    coalesce(packets, new Uint8Array(65536 + 64), (f) => out.push(Buffer.from(f)));
    return out;
  }

  for (const ipv6 of [false, true]) {
    const family = ipv6 ? 'IPv6' : 'IPv4';
    test(`${family}: in-order segments merge into one GSO frame that segments back to the same packets`, () => {
      const size = 1200;
      const payload = payloadOf(5 * size + 500);
      const packets = Array.from({ length: 6 }, (_, i) =>
        tcpPacket({
          ipv6,
          payload: payload.subarray(i * size, Math.min((i + 1) * size, payload.length)),
          seq: 1000 + i * size,
          flags: i === 5 ? ACK | PSH : ACK,
          id: 7 + i,
          options: OPTIONS,
        }),
      );
      const [frame, ...rest] = frames(packets);
      assert.equal(rest.length, 0);
      const parsed = parseVirtioNetHeader(frame!);
      assert.ok(parsed.ok);
      const ipHeader = ipv6 ? 40 : 20;
      assert.deepEqual(parsed.header, gsoHeader(ipv6, ipHeader + 20 + OPTIONS.length, size));
      const superPacket = frame!.subarray(VIRTIO_NET_HDR_LEN);
      assert.equal(superPacket.length, ipHeader + 20 + OPTIONS.length + payload.length);
      if (!ipv6) assert.equal(internetChecksum(superPacket.subarray(0, 20)), 0, 'IPv4 header checksum');
      const { out } = collect(parsed.header, Buffer.from(superPacket));
      assert.deepEqual(
        out.map((p) => p.toString('hex')),
        packets.map((p) => p.toString('hex')),
      );
    });
  }

  test('what cannot merge passes through behind a zero header, in order', () => {
    const size = 1000;
    const a = tcpPacket({ payload: payloadOf(size), seq: 0, flags: ACK, id: 1 });
    const gap = tcpPacket({ payload: payloadOf(size), seq: 2 * size, flags: ACK, id: 2 });
    const pureAck = tcpPacket({ payload: new Uint8Array(0), seq: 3 * size, flags: ACK, id: 3 });
    const pushed = tcpPacket({ payload: payloadOf(size), seq: 3 * size, flags: ACK | PSH, id: 4 });
    const afterPush = tcpPacket({ payload: payloadOf(size), seq: 4 * size, flags: ACK, id: 5 });
    const corrupt = tcpPacket({ payload: payloadOf(size), seq: 5 * size, flags: ACK, id: 6 });
    corrupt.writeUInt8(corrupt.readUInt8(60) ^ 1, 60);
    const input = [a, gap, pureAck, pushed, afterPush, corrupt];
    const out = frames(input);
    assert.equal(out.length, input.length);
    out.forEach((frame, i) => {
      assert.deepEqual([...frame.subarray(0, VIRTIO_NET_HDR_LEN)], new Array(VIRTIO_NET_HDR_LEN).fill(0), `${i}`);
      assert.equal(frame.subarray(VIRTIO_NET_HDR_LEN).toString('hex'), input[i]!.toString('hex'), `${i}`);
    });
  });

  test('IPv4 without DF merges only segments whose IDs count up one by one, as GSO will number them', () => {
    const a = tcpPacket({ payload: payloadOf(1000), seq: 0, flags: ACK, id: 40, dontFragment: false });
    const sameId = tcpPacket({ payload: payloadOf(1000), seq: 1000, flags: ACK, id: 40, dontFragment: false });
    const nextId = tcpPacket({ payload: payloadOf(1000), seq: 1000, flags: ACK, id: 41, dontFragment: false });
    assert.deepEqual(
      frames([a, sameId]).map((frame) => frame[1]),
      [0, 0],
    );
    assert.deepEqual(
      frames([a, nextId]).map((frame) => frame[1]),
      [1],
    );
    // with DF the ID means nothing (RFC 6864): equal IDs merge
    const withDf = [0, 1].map((i) => tcpPacket({ payload: payloadOf(1000), seq: i * 1000, flags: ACK, id: 0 }));
    assert.deepEqual(
      frames(withDf).map((frame) => frame[1]),
      [1],
    );
  });

  test('a shorter segment ends a run: the next one starts a new frame', () => {
    const a = tcpPacket({ payload: payloadOf(1000), seq: 0, flags: ACK, id: 1 });
    const short = tcpPacket({ payload: payloadOf(400), seq: 1000, flags: ACK, id: 2 });
    const next = tcpPacket({ payload: payloadOf(1000), seq: 1400, flags: ACK, id: 3 });
    const out = frames([a, short, next]);
    assert.equal(out.length, 2);
    assert.equal(out[0]![1], 1, 'the first frame is GSO TCPV4');
    assert.equal(out[0]!.length, VIRTIO_NET_HDR_LEN + a.length + 400);
    assert.equal(out[1]!.subarray(VIRTIO_NET_HDR_LEN).toString('hex'), next.toString('hex'));
  });
});
