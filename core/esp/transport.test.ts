import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { getEncryption } from '../crypto/registry.js';
import { EncrId } from '../iana.js';
import { createProtection, InboundSa, OutboundSa } from './sa.js';
import { espConfig, hex, hexOf, NULL_ICV_FOR_TESTS, RFC3602_CASE5, TRANSFORMS, twin } from './test-support.js';
import { openTransport, sealTransport } from './transport.js';

const GCM = TRANSFORMS.find((t) => t.encr === EncrId.AES_GCM_16 && t.keyBits === 256)!;

/** An IPv4 datagram with a correct header checksum; `options` adds 4-byte words of IP options. */
function ipv4(protocol: number, data: Uint8Array, options = 0): Uint8Array {
  const headerLength = 20 + options * 4;
  const p = new Uint8Array(headerLength + data.length);
  p[0] = 0x40 | (headerLength / 4);
  p[2] = p.length >> 8;
  p[3] = p.length;
  p[4] = 0x12;
  p[5] = 0x34;
  p[6] = 0x40; // don't fragment
  p[8] = 64;
  p[9] = protocol;
  p.set([192, 0, 2, 1, 198, 51, 100, 7], 12);
  for (let i = 20; i < headerLength; i++) p[i] = 1; // NOP options
  let sum = 0;
  for (let i = 0; i < headerLength; i += 2) sum += (p[i]! << 8) | p[i + 1]!;
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  p[10] = ~sum >> 8;
  p[11] = ~sum;
  p.set(data, headerLength);
  return p;
}

describe('transport mode (RFC 4303 §3.1.1)', () => {
  const case5 = {
    spi: hex(RFC3602_CASE5.spi),
    encryption: getEncryption(EncrId.AES_CBC, 128)!,
    integrity: NULL_ICV_FOR_TESTS,
    keys: { encryption: hex(RFC3602_CASE5.key), integrity: new Uint8Array(0) },
    esn: false,
  };
  const original = hex(RFC3602_CASE5.ipHeader + RFC3602_CASE5.payload);
  const protectedPacket = hex(RFC3602_CASE5.espIpHeader + RFC3602_CASE5.esp);

  it('turns the RFC 3602 §4 case #5 ICMP datagram into its ESP datagram byte for byte (protocol 50, length, checksum)', () => {
    const protection = createProtection(case5);
    const sealed = sealTransport(original, {
      encapsulate: (payload, nextHeader) =>
        protection.seal(0, RFC3602_CASE5.seq, hex(RFC3602_CASE5.iv), payload, nextHeader),
    });
    assert.equal(hexOf(sealed), hexOf(protectedPacket));
  });

  it('turns it back into the original datagram (protocol 1, total length 84, checksum f9fe)', () => {
    const result = openTransport(protectedPacket, new InboundSa(case5));
    assert.ok(result.ok);
    assert.equal(hexOf(result.packet), hexOf(original));
  });

  for (const transform of TRANSFORMS) {
    it(`${transform.name}: round trip of a UDP datagram with IP options`, () => {
      const config = espConfig(transform, { esn: true });
      const out = new OutboundSa(config);
      const inn = new InboundSa(twin(config));
      const datagram = ipv4(
        17,
        Uint8Array.from({ length: 333 }, (_, i) => i),
        2,
      );
      const sealed = sealTransport(datagram, out);
      assert.equal(sealed[9], 50);
      assert.equal(hexOf(sealed.subarray(20, 28)), hexOf(datagram.subarray(20, 28)), 'options kept in the header');
      const result = openTransport(sealed, inn);
      assert.ok(result.ok);
      assert.equal(hexOf(result.packet), hexOf(datagram));
    });
  }

  it('ignores bytes after the total length (link-layer padding)', () => {
    const config = espConfig(GCM);
    const datagram = ipv4(6, new Uint8Array(40));
    const sealed = sealTransport(Uint8Array.of(...datagram, 0, 0, 0), new OutboundSa(config));
    const result = openTransport(Uint8Array.of(...sealed, 0xee), new InboundSa(twin(config)));
    assert.ok(result.ok);
    assert.equal(hexOf(result.packet), hexOf(datagram));
  });

  it('refuses to seal what is not one whole, unfragmented IPv4 datagram', () => {
    const sa = new OutboundSa(espConfig(GCM));
    const good = ipv4(17, new Uint8Array(8));
    const fragment = Uint8Array.from(good);
    fragment[6] = 0x20; // more fragments (the checksum is wrong too; either is enough)
    const badChecksum = Uint8Array.from(good);
    badChecksum[11]! ^= 1;
    const truncated = good.subarray(0, good.length - 1);
    const v6 = Uint8Array.from(good);
    v6[0] = 0x60;
    for (const bad of [new Uint8Array(0), good.subarray(0, 19), fragment, badChecksum, truncated, v6]) {
      assert.throws(() => sealTransport(bad, sa), { name: 'DecodeError', code: 'malformed' });
    }
    assert.equal(sa.counters.packets, 0);
  });

  it('drops what is not ESP in IPv4, fragments, dummies and forgeries, with a reason, never throwing', () => {
    const config = espConfig(GCM);
    const out = new OutboundSa(config);
    const inn = new InboundSa(twin(config));
    const sealed = sealTransport(ipv4(17, new Uint8Array(30)), out);
    assert.deepEqual(openTransport(ipv4(17, new Uint8Array(30)), inn), { ok: false, reason: 'malformed' });
    const fragment = Uint8Array.from(sealed);
    fragment[7] = 1; // offset 8 bytes
    assert.deepEqual(openTransport(fragment, inn), { ok: false, reason: 'malformed' });
    const forged = Uint8Array.from(sealed);
    forged[forged.length - 1]! ^= 1;
    assert.deepEqual(openTransport(forged, inn), { ok: false, reason: 'auth' });
    assert.ok(openTransport(sealed, inn).ok);
    assert.deepEqual(openTransport(sealed, inn), { ok: false, reason: 'replay' });
    const dummy = ipv4(50, out.encapsulate(new Uint8Array(0), 59));
    assert.deepEqual(openTransport(dummy, inn), { ok: false, reason: 'dummy' });
    for (let length = 0; length < sealed.length; length += 5) {
      assert.equal(openTransport(sealed.subarray(0, length), inn).ok, false);
    }
  });
});
