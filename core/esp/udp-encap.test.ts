import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { seededRandom } from '../../test/support/seeded-random.js';
import { EncrId } from '../iana.js';
import { OutboundSa } from './sa.js';
import { espConfig, ipPacket, TRANSFORMS } from './test-support.js';
import { classifyNatTDatagram, NAT_KEEPALIVE } from './udp-encap.js';

describe('RFC 3948 datagrams on the NAT-T port', () => {
  it('the keepalive is the single byte 0xFF (§2.3)', () => {
    assert.deepEqual([...NAT_KEEPALIVE], [0xff]);
    assert.equal(classifyNatTDatagram(NAT_KEEPALIVE), 'keepalive');
    assert.equal(classifyNatTDatagram(Uint8Array.of(0x00)), 'malformed');
  });

  it('IKE follows a 4-byte zero Non-ESP Marker (§2.2) and needs a whole IKE header behind it', () => {
    const ike = new Uint8Array(4 + 28);
    ike[4] = 0x11; // initiator SPI starts here
    assert.equal(classifyNatTDatagram(ike), 'ike');
    assert.equal(classifyNatTDatagram(ike.subarray(0, 31)), 'malformed');
    assert.equal(classifyNatTDatagram(new Uint8Array(4)), 'malformed');
  });

  it('ESP starts with its non-zero SPI (§2.1) and holds at least SPI and sequence number', () => {
    const packet = new OutboundSa(espConfig(TRANSFORMS.find((t) => t.encr === EncrId.AES_GCM_16)!)).encapsulate(
      ipPacket(4, 40),
      4,
    );
    assert.equal(classifyNatTDatagram(packet), 'esp');
    assert.equal(classifyNatTDatagram(Uint8Array.of(0, 0, 0, 1, 0, 0, 0, 1)), 'esp');
    assert.equal(classifyNatTDatagram(Uint8Array.of(0, 0, 0, 1, 0, 0, 0)), 'malformed');
    assert.equal(classifyNatTDatagram(Uint8Array.of(0xff, 0xff)), 'malformed');
  });

  it('classifies any bytes without throwing (seeded)', () => {
    const random = seededRandom(3948);
    const seen = new Set<string>();
    for (let i = 0; i < 5000; i++) {
      const d = Uint8Array.from({ length: random() % 48 }, () => random() & 0xff);
      // bias towards the interesting shapes: a zero marker, a lone byte
      if (d.length >= 4 && random() % 3 === 0) d.fill(0, 0, 4);
      if (d.length === 1 && random() % 2 === 0) d[0] = 0xff;
      const kind = classifyNatTDatagram(d);
      seen.add(kind);
      if (kind === 'esp') assert.ok(d.length >= 8 && d.subarray(0, 4).some((b) => b !== 0));
      if (kind === 'ike') assert.ok(d.length >= 32 && d.subarray(0, 4).every((b) => b === 0));
    }
    assert.deepEqual([...seen].sort(), ['esp', 'ike', 'keepalive', 'malformed']);
  });
});
