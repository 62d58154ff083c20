import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { fromHex, toHex } from '../../test/support/hex.js';
import { seededRandom } from '../../test/support/seeded-random.js';
import { getEncryption } from '../crypto/registry.js';
import { OutpostError } from '../errors.js';
import { EncrId } from '../iana.js';
import { EspEngine } from './engine.js';
import { type EspSaConfig, InboundSa, OutboundSa } from './sa.js';
import { espConfig, ipPacket, NULL_ICV_FOR_TESTS, RFC3602_CASE7, TRANSFORMS, twin } from './test-support.js';

const GCM = TRANSFORMS.find((t) => t.encr === EncrId.AES_GCM_16 && t.keyBits === 128)!;

function engineWith(config: EspSaConfig): { engine: EspEngine; peer: OutboundSa } {
  const engine = new EspEngine();
  engine.installInbound(new InboundSa(config));
  return { engine, peer: new OutboundSa(twin(config)) };
}

describe('EspEngine, tunnel mode', () => {
  it('decapsulates the RFC 7634 Appendix A packet to its inner ICMP echo', () => {
    const engine = new EspEngine();
    engine.installInbound(
      new InboundSa({
        spi: fromHex('01020304'),
        encryption: getEncryption(EncrId.CHACHA20_POLY1305, undefined)!,
        integrity: undefined,
        keys: {
          encryption: fromHex('808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9fa0a1a2a3'),
          integrity: new Uint8Array(0),
        },
        esn: false,
      }),
    );
    const inner = engine.decapsulate(
      fromHex(`0102030400000005 1011121314151617
        24039428b97f417e3c13753a4f05087b67c352e6a7fab1b982d466ef407ae5c6
        14ee8099d52844eb61aa95dfab4c02f72aa71e7c4c4f64c9befe2facc638e8f3
        cbec163fac469b502773f6fb94e664da9165b82829f641e0 76aaa8266b7fb0f7b11b369907e1ad43`),
    );
    assert.ok(inner);
    assert.equal(inner.length, 84);
    assert.equal(toHex(inner.subarray(0, 20)), '45000054a6f200004001e778c6336405c0000205');
    assert.deepEqual(engine.counters, {
      packetsIn: 1,
      bytesIn: 84,
      packetsOut: 0,
      bytesOut: 0,
      drops: { replay: 0, auth: 0, malformed: 0, 'no-sa': 0 },
    });
  });

  it('decapsulates the RFC 3602 §4 case #7 tunnel-mode packet (AES-CBC, shown without ICV)', () => {
    const engine = new EspEngine();
    engine.installInbound(
      new InboundSa({
        spi: fromHex(RFC3602_CASE7.spi),
        encryption: getEncryption(EncrId.AES_CBC, 128)!,
        integrity: NULL_ICV_FOR_TESTS,
        keys: { encryption: fromHex(RFC3602_CASE7.key), integrity: new Uint8Array(0) },
        esn: false,
      }),
    );
    assert.equal(toHex(engine.decapsulate(fromHex(RFC3602_CASE7.esp))!), toHex(fromHex(RFC3602_CASE7.payload)));
  });

  for (const transform of TRANSFORMS) {
    it(`${transform.name}: IPv4 goes out as Next Header 4 and IPv6 as 41, and both come back`, () => {
      const config = espConfig(transform);
      const sender = new EspEngine();
      sender.setOutbound(new OutboundSa(config));
      const receiver = new EspEngine();
      receiver.installInbound(new InboundSa(twin(config)));
      const v4 = ipPacket(4, 1400);
      const v6 = ipPacket(6, 1280);
      assert.equal(toHex(receiver.decapsulate(sender.encapsulate(v4)!)!), toHex(v4));
      assert.equal(toHex(receiver.decapsulate(sender.encapsulate(v6)!)!), toHex(v6));
      assert.equal(sender.counters.packetsOut, 2);
      assert.equal(sender.counters.bytesOut, 1400 + 1280);
      assert.equal(receiver.counters.packetsIn, 2);
      assert.equal(receiver.counters.bytesIn, 1400 + 1280);
    });
  }

  it('keeps old and new inbound SAs side by side during a rekey and switches the outbound one', () => {
    const oldConfig = espConfig(GCM, { spi: fromHex('0000a001') });
    const newConfig = espConfig(GCM, { spi: fromHex('0000a002') });
    const engine = new EspEngine();
    engine.installInbound(new InboundSa(oldConfig));
    const oldPeer = new OutboundSa(twin(oldConfig));
    const newPeer = new OutboundSa(twin(newConfig));
    const packet = ipPacket(4, 100);
    const early = oldPeer.encapsulate(packet, 4);
    assert.equal(engine.decapsulate(newPeer.encapsulate(packet, 4)), undefined, 'new SA not installed yet');
    engine.installInbound(new InboundSa(newConfig));
    assert.ok(engine.decapsulate(newPeer.encapsulate(packet, 4)));
    assert.ok(engine.decapsulate(early), 'a late packet on the old SA still arrives');
    engine.removeInbound(oldConfig.spi);
    assert.equal(engine.decapsulate(oldPeer.encapsulate(packet, 4)), undefined);
    assert.equal(engine.counters.drops['no-sa'], 2);

    const ours = espConfig(GCM, { spi: fromHex('0000b001') });
    const ours2 = espConfig(GCM, { spi: fromHex('0000b002') });
    engine.setOutbound(new OutboundSa(ours));
    assert.equal(toHex(engine.encapsulate(packet)!.subarray(0, 4)), '0000b001');
    engine.setOutbound(new OutboundSa(ours2));
    assert.equal(toHex(engine.encapsulate(packet)!.subarray(0, 4)), '0000b002');
    engine.setOutbound(undefined);
    assert.equal(engine.encapsulate(packet), undefined);
    assert.equal(engine.counters.drops['no-sa'], 3);
    assert.equal(engine.counters.packetsOut, 2);
  });

  it('counts an outbound SA whose numbers are used up as no-sa instead of throwing', () => {
    const engine = new EspEngine();
    const sa = new OutboundSa(espConfig(GCM), { firstSequence: BigInt(2 ** 32 - 1) });
    engine.setOutbound(sa);
    assert.ok(engine.encapsulate(ipPacket(4, 40)));
    assert.equal(sa.exhausted, true);
    assert.equal(engine.encapsulate(ipPacket(4, 40)), undefined);
    assert.equal(engine.counters.drops['no-sa'], 1);
  });

  it('refuses to send what is not IPv4 or IPv6', () => {
    const engine = new EspEngine();
    engine.setOutbound(new OutboundSa(espConfig(GCM)));
    assert.equal(engine.encapsulate(new Uint8Array(0)), undefined);
    assert.equal(engine.encapsulate(Uint8Array.of(0x50, 0, 0, 0)), undefined);
    assert.equal(engine.counters.drops.malformed, 2);
  });

  it('drops inner packets whose Next Header is not 4/41 or disagrees with their version', () => {
    const config = espConfig(GCM);
    const { engine, peer } = engineWith(config);
    assert.equal(engine.decapsulate(peer.encapsulate(ipPacket(6, 60), 4)), undefined, 'IPv6 as 4');
    assert.equal(engine.decapsulate(peer.encapsulate(ipPacket(4, 60), 41)), undefined, 'IPv4 as 41');
    assert.equal(engine.decapsulate(peer.encapsulate(ipPacket(4, 60), 6)), undefined, 'transport-mode TCP');
    assert.equal(engine.decapsulate(peer.encapsulate(ipPacket(4, 60).subarray(0, 12), 4)), undefined, 'short');
    assert.equal(engine.counters.drops.malformed, 4);
    assert.equal(engine.counters.packetsIn, 0);
  });

  it('frees the cipher state of an SA it stops using: the replaced outbound SA and a removed inbound one', () => {
    const engine = new EspEngine();
    const first = new OutboundSa(espConfig(GCM, { spi: fromHex('0000aa01') }));
    const second = new OutboundSa(espConfig(GCM, { spi: fromHex('0000aa02') }));
    engine.setOutbound(first);
    engine.setOutbound(second);
    assert.ok(engine.encapsulate(ipPacket(4, 64)), 'the new one sends');
    // its context is gone (the EVP path): using it is refused in words, never a read of freed memory
    assert.throws(
      () => first.encapsulate(ipPacket(4, 64), 4),
      (e: unknown) => e instanceof OutpostError && /used after free/.test(e.detail ?? ''),
    );
    const inbound = new InboundSa(espConfig(GCM, { spi: fromHex('0000bb01') }));
    engine.installInbound(inbound);
    engine.removeInbound(fromHex('0000bb01'));
    const late = new OutboundSa(twin(espConfig(GCM, { spi: fromHex('0000bb01') }))).encapsulate(ipPacket(4, 64), 4);
    assert.equal(engine.decapsulate(late), undefined);
    assert.equal(engine.counters.drops['no-sa'], 1);
  });

  it('strips TFC padding after the inner packet by its own length (RFC 4303 §2.7)', () => {
    const config = espConfig(GCM);
    const { engine, peer } = engineWith(config);
    for (const version of [4, 6] as const) {
      const inner = ipPacket(version, 60);
      const padded = new Uint8Array(200);
      padded.set(inner);
      assert.equal(toHex(engine.decapsulate(peer.encapsulate(padded, version === 4 ? 4 : 41))!), toHex(inner));
    }
    assert.equal(engine.counters.bytesIn, 120);
  });

  it('discards dummy packets (Next Header 59) silently', () => {
    const config = espConfig(GCM);
    const { engine, peer } = engineWith(config);
    assert.equal(engine.decapsulate(peer.encapsulate(new Uint8Array(16), 59)), undefined);
    assert.deepEqual(engine.counters, {
      packetsIn: 0,
      bytesIn: 0,
      packetsOut: 0,
      bytesOut: 0,
      drops: { replay: 0, auth: 0, malformed: 0, 'no-sa': 0 },
    });
  });

  it('drops every kind of bad packet by reason and never throws (seeded fuzz)', () => {
    const config = espConfig(GCM);
    const { engine, peer } = engineWith(config);
    const random = seededRandom(20261127);
    let delivered = 0;
    for (let i = 0; i < 3000; i++) {
      const good = Uint8Array.from(peer.encapsulate(ipPacket(4, 20 + (random() % 100), i), 4));
      const mode = random() % 4;
      if (mode === 0) {
        assert.ok(engine.decapsulate(good));
        delivered++;
      } else if (mode === 1) {
        good[8 + (random() % (good.length - 8))]! ^= 1 << (random() % 8);
        assert.equal(engine.decapsulate(good), undefined);
      } else if (mode === 2) {
        assert.equal(engine.decapsulate(good.subarray(0, random() % good.length)), undefined);
      } else {
        const junk = Uint8Array.from({ length: random() % 120 }, () => random() & 0xff);
        if (junk.length >= 4 && random() % 2 === 0) junk.set(config.spi);
        assert.equal(engine.decapsulate(junk), undefined);
      }
    }
    const drops = Object.values(engine.counters.drops).reduce((a, b) => a + b, 0);
    assert.equal(engine.counters.packetsIn, delivered);
    assert.equal(delivered + drops, 3000);
  });
});
