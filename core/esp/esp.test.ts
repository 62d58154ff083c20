import assert from 'node:assert/strict';
import { test } from 'node:test';
import { fromHex } from '../../test/support/hex.js';
import { randomBytes } from '../crypto/random.js';
import { getEncryption, getIntegrity } from '../crypto/registry.js';
import { EncrId, IntegId } from '../iana.js';
import { EspEngine } from './engine.js';
import { type EspSaConfig, InboundSa, OutboundSa } from './sa.js';

function config(encrId: number, keyBits: number | undefined, integId?: number, esn = false): EspSaConfig {
  const encryption = getEncryption(encrId, keyBits)!;
  const integrity = integId === undefined ? undefined : getIntegrity(integId)!;
  return {
    spi: fromHex('c0ffee01'),
    encryption,
    integrity,
    keys: { encryption: randomBytes(encryption.keyLength), integrity: randomBytes(integrity?.keyLength ?? 0) },
    esn,
  };
}

const SUITES: Array<[string, () => EspSaConfig]> = [
  ['AES-GCM-16 128', () => config(EncrId.AES_GCM_16, 128)],
  ['AES-GCM-16 256', () => config(EncrId.AES_GCM_16, 256)],
  ['ChaCha20-Poly1305', () => config(EncrId.CHACHA20_POLY1305, undefined)],
  ['AES-CBC 128 + HMAC-SHA2-256-128', () => config(EncrId.AES_CBC, 128, IntegId.HMAC_SHA2_256_128)],
  ['AES-CBC 256 + HMAC-SHA2-512-256 with ESN', () => config(EncrId.AES_CBC, 256, IntegId.HMAC_SHA2_512_256, true)],
  ['AES-GCM-16 256 with ESN', () => config(EncrId.AES_GCM_16, 256, undefined, true)],
];

function ipv4Packet(length: number): Uint8Array {
  const p = randomBytes(length);
  p[0] = 0x45;
  return p;
}

test('RFC 7634 Appendix A: the ChaCha20-Poly1305 ESP example decapsulates to its ICMP packet', () => {
  // SPI 0x01020304, sequence number 5, IV 0x1011121314151617; key and salt as in the RFC
  const key = fromHex('808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9f' + 'a0a1a2a3');
  const sealed =
    '24039428b97f417e3c13753a4f05087b67c352e6a7fab1b982d466ef407ae5c6' +
    '14ee8099d52844eb61aa95dfab4c02f72aa71e7c4c4f64c9befe2facc638e8f3' +
    'cbec163fac469b502773f6fb94e664da9165b82829f641e0' +
    '76aaa8266b7fb0f7b11b369907e1ad43';
  const packet = fromHex(`0102030400000005${'1011121314151617'}${sealed}`);
  const sa = new InboundSa({
    spi: fromHex('01020304'),
    encryption: getEncryption(EncrId.CHACHA20_POLY1305, undefined)!,
    integrity: undefined,
    keys: { encryption: key, integrity: new Uint8Array(0) },
    esn: false,
  });
  const result = sa.decapsulate(packet);
  assert.ok(result.ok);
  assert.equal(result.nextHeader, 4);
  assert.equal(
    Buffer.from(result.payload).toString('hex'),
    '45000054a6f200004001e778c6336405c000020508005b7a3a080000553bec10000736270809' +
      '0a0b0c0d0e0f101112131415161718191a1b1c1d1e1f202122232425262728292a2b2c2d2e2f3031323334353637',
  );
  assert.deepEqual(sa.decapsulate(packet), { ok: false, reason: 'replay' });
});

for (const [name, make] of SUITES) {
  test(`${name}: layout, padding and round trip (RFC 4303 §2, RFC 4106, RFC 4868)`, () => {
    const cfg = make();
    const out = new OutboundSa(cfg);
    const inn = new InboundSa(cfg);
    const icv = cfg.encryption.kind === 'aead' ? 16 : cfg.integrity!.icvLength;
    const block = cfg.encryption.kind === 'cbc' ? 16 : 4;
    for (const length of [20, 21, 22, 23, 100, 1400]) {
      const payload = ipv4Packet(length);
      const packet = out.encapsulate(payload, 4);
      assert.deepEqual(Uint8Array.from(packet.subarray(0, 4)), cfg.spi);
      const seq = Buffer.from(packet).readUInt32BE(4);
      assert.equal(BigInt(seq), out.sequence);
      const encrypted = packet.length - 8 - cfg.encryption.ivLength - icv;
      assert.equal(encrypted % block, 0, `encrypted part aligned to ${block}`);
      assert.ok(encrypted - length - 2 < block, 'no more padding than needed');
      if (cfg.encryption.kind === 'aead') {
        // the IV is the 64-bit sequence number: unique per key without touching the RNG
        assert.equal(Buffer.from(packet).readUInt32BE(12), seq);
      }
      const opened = inn.decapsulate(packet);
      assert.ok(opened.ok);
      assert.deepEqual(Uint8Array.from(opened.payload), Uint8Array.from(payload));
      assert.equal(opened.nextHeader, 4);
    }
    assert.equal(inn.counters.packets, 6);
  });

  test(`${name}: forged, truncated and replayed packets are dropped with their reason, never thrown`, () => {
    const cfg = make();
    const out = new OutboundSa(cfg);
    const inn = new InboundSa(cfg);
    const packet = out.encapsulate(ipv4Packet(64), 4);
    for (const offset of [8, 20, packet.length - 1]) {
      const forged = Uint8Array.from(packet);
      forged[offset]! ^= 0x80;
      assert.deepEqual(inn.decapsulate(forged), { ok: false, reason: 'auth' });
    }
    for (const length of [0, 3, 8, 15, 8 + cfg.encryption.ivLength + 16]) {
      const r = inn.decapsulate(packet.subarray(0, length));
      assert.equal(r.ok, false);
    }
    assert.ok(inn.decapsulate(packet).ok, 'failed forgeries did not move the window');
    assert.deepEqual(inn.decapsulate(packet), { ok: false, reason: 'replay' });
  });
}

test('anti-replay: a 1024-packet window accepts out-of-order packets once and refuses what fell behind it', () => {
  const cfg = config(EncrId.AES_GCM_16, 128);
  const out = new OutboundSa(cfg);
  const inn = new InboundSa(cfg, 1024);
  const packets = Array.from({ length: 1100 }, () => out.encapsulate(ipv4Packet(20), 4));
  assert.ok(inn.decapsulate(packets[1099]!).ok); // seq 1100 moves the window to 77..1100
  assert.ok(inn.decapsulate(packets[500]!).ok, 'inside the window, late');
  assert.deepEqual(inn.decapsulate(packets[500]!), { ok: false, reason: 'replay' });
  assert.ok(inn.decapsulate(packets[76]!).ok, 'seq 77: the oldest the window holds');
  assert.deepEqual(inn.decapsulate(packets[75]!), { ok: false, reason: 'replay' }, 'seq 76: just behind it');
  assert.deepEqual(inn.decapsulate(packets[0]!), { ok: false, reason: 'replay' });
});

test('ESN: high-order bits are inferred across 2^32 (RFC 4303 Appendix A2)', async () => {
  const { ReplayWindow } = await import('./replay-window.js');
  const w = new ReplayWindow(1024, true);
  w.accept(2 ** 32 - 10);
  assert.equal(w.check(5), 2 ** 32 + 5, 'just past the wrap: next epoch');
  assert.equal(w.check(2 ** 32 - 20), 2 ** 32 - 20, 'late packet of this epoch');
  w.accept(2 ** 32 + 5);
  assert.equal(w.check((2 ** 32 - 10) >>> 0), undefined, 'already seen, before the wrap');
  assert.equal(w.check((2 ** 32 - 100) >>> 0), 2 ** 32 - 100, 'window spans both epochs');
  assert.equal(w.check(6), 2 ** 32 + 6);
});

test('the engine routes by SPI, keeps old and new inbound SAs during a rekey, and counts every drop', () => {
  const oldCfg = config(EncrId.AES_GCM_16, 256);
  const newCfg = { ...config(EncrId.AES_GCM_16, 256), spi: fromHex('c0ffee02') };
  const engine = new EspEngine();
  const packet = ipv4Packet(60);
  assert.equal(engine.encapsulate(packet), undefined);
  assert.equal(engine.counters.drops['no-sa'], 1);
  engine.installInbound(new InboundSa(oldCfg));
  engine.installInbound(new InboundSa(newCfg));
  const fromOld = new OutboundSa(oldCfg).encapsulate(packet, 4);
  const fromNew = new OutboundSa(newCfg).encapsulate(packet, 4);
  assert.deepEqual(Uint8Array.from(engine.decapsulate(fromOld)!), Uint8Array.from(packet));
  assert.deepEqual(Uint8Array.from(engine.decapsulate(fromNew)!), Uint8Array.from(packet));
  engine.removeInbound(oldCfg.spi);
  assert.equal(engine.decapsulate(fromOld), undefined);
  assert.equal(engine.counters.drops['no-sa'], 2);
  // inner packet whose version disagrees with the next header
  const lying = new OutboundSa({
    ...newCfg,
    keys: { ...newCfg.keys, encryption: Uint8Array.from(newCfg.keys.encryption) },
  });
  lying.encapsulate(packet, 4);
  lying.encapsulate(packet, 4);
  const v6asV4 = ipv4Packet(60);
  v6asV4[0] = 0x60;
  assert.equal(engine.decapsulate(lying.encapsulate(v6asV4, 4)), undefined);
  assert.equal(engine.counters.drops.malformed, 1);
  // a seeded storm of garbage never throws
  let seed = 7;
  const next = () => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return seed;
  };
  for (let i = 0; i < 2000; i++) {
    const junk = Uint8Array.from({ length: next() % 200 }, () => next() & 0xff);
    if (i % 3 === 0 && junk.length >= 4) junk.set(newCfg.spi);
    assert.equal(engine.decapsulate(junk), undefined);
  }
  assert.equal(engine.counters.packetsIn, 2);
});
