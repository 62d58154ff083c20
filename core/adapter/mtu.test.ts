import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Encryption } from '../crypto/encryption.js';
import type { Integrity } from '../crypto/integrity.js';
import { getEncryption, getIntegrity } from '../crypto/registry.js';
import { OutpostError } from '../errors.js';
import { OutboundSa } from '../esp/sa.js';
import { espConfig, ipPacket, TRANSFORMS } from '../esp/test-support.js';
import { EncrId, IntegId } from '../iana.js';
import { mssFor, tunnelMtu } from './mtu.js';

const encryption = (id: number, bits: number | undefined): Encryption => {
  const e = getEncryption(id, bits);
  assert.ok(e);
  return e;
};
const integrity = (id: number): Integrity => {
  const i = getIntegrity(id);
  assert.ok(i);
  return i;
};
const GCM = encryption(EncrId.AES_GCM_16, 256);
const CHACHA = encryption(EncrId.CHACHA20_POLY1305, undefined);
const CBC = encryption(EncrId.AES_CBC, 128);
const SHA256 = integrity(IntegId.HMAC_SHA2_256_128);

describe('tunnelMtu: worked numbers', () => {
  test('AES-GCM-16 (IV 8, ICV 16, 4-byte alignment)', () => {
    // 1500 - 20 IPv4 - 8 UDP - 8 ESP - 8 IV - 16 ICV = 1440, already 4-aligned; 1440 - 2 trailer = 1438
    assert.equal(tunnelMtu(1500, GCM, undefined), 1438);
    // 1280 - 60 = 1220 (4-aligned) - 2 = 1218
    assert.equal(tunnelMtu(1280, GCM, undefined), 1218);
    // IPv6 outer header: 1500 - 40 - 8 - 8 - 8 - 16 = 1420 - 2 = 1418
    assert.equal(tunnelMtu(1500, GCM, undefined, true), 1418);
    // 1400 (strongSwan's libipsec MTU) - 60 = 1340 - 2 = 1338
    assert.equal(tunnelMtu(1400, GCM, undefined), 1338);
  });

  test('ChaCha20-Poly1305 has the same IV and ICV as AES-GCM (RFC 7634 §2, §3)', () => {
    assert.equal(tunnelMtu(1500, CHACHA, undefined), 1438);
    assert.equal(tunnelMtu(1280, CHACHA, undefined), 1218);
  });

  test('AES-CBC + HMAC-SHA2-256-128 (IV 16, ICV 16, 16-byte blocks)', () => {
    // 1500 - 20 - 8 - 8 - 16 IV - 16 ICV = 1432; down to a block: 1424 (89 blocks); - 2 = 1422
    assert.equal(tunnelMtu(1500, CBC, SHA256), 1422);
    // 1280 - 68 = 1212 -> 1200 (75 blocks) - 2 = 1198
    assert.equal(tunnelMtu(1280, CBC, SHA256), 1198);
    // IPv6: 1500 - 40 - 8 - 8 - 16 - 16 = 1412 -> 1408 - 2 = 1406
    assert.equal(tunnelMtu(1500, CBC, SHA256, true), 1406);
  });

  test('the ICV of the integrity transform counts: SHA1-96 (12), SHA2-384-192 (24), SHA2-512-256 (32)', () => {
    // 1500 - 52 - 12 = 1436 -> 1424 - 2 = 1422
    assert.equal(tunnelMtu(1500, CBC, integrity(IntegId.HMAC_SHA1_96)), 1422);
    // 1500 - 52 - 24 = 1424 -> 1424 - 2 = 1422
    assert.equal(tunnelMtu(1500, CBC, integrity(IntegId.HMAC_SHA2_384_192)), 1422);
    // 1500 - 52 - 32 = 1416 -> 1408 - 2 = 1406
    assert.equal(tunnelMtu(1500, CBC, integrity(IntegId.HMAC_SHA2_512_256)), 1406);
  });

  test('a path MTU too small for the overhead is a typed error, not a negative MTU', () => {
    assert.throws(
      () => tunnelMtu(100, GCM, undefined),
      (e: unknown) => e instanceof OutpostError && e.code === 'profile-invalid',
    );
    assert.throws(() => tunnelMtu(1500.5, GCM, undefined), OutpostError);
    // 128 - 60 = 68 - 2 = 66: one short of IPv4's minimum
    assert.throws(() => tunnelMtu(128, GCM, undefined), OutpostError);
    assert.equal(tunnelMtu(132, GCM, undefined), 70);
  });
});

describe('tunnelMtu against the real ESP encapsulation', () => {
  // The size on the wire of an inner packet of `length` bytes: outer IP + UDP (RFC 3948) + what OutboundSa makes.
  const wireSize = (sa: OutboundSa, length: number, outerIpv6: boolean): number =>
    (outerIpv6 ? 40 : 20) + 8 + sa.encapsulate(ipPacket(4, length), 4).length;

  for (const transform of TRANSFORMS) {
    test(`${transform.name}: the MTU fits, one byte more does not`, () => {
      const config = espConfig(transform);
      const sa = new OutboundSa(config);
      for (const pathMtu of [1500, 1492, 1400, 1280, 576]) {
        for (const outerIpv6 of [false, true]) {
          const mtu = tunnelMtu(pathMtu, config.encryption, config.integrity, outerIpv6);
          const label = `path MTU ${pathMtu}${outerIpv6 ? ' over IPv6' : ''}`;
          assert.ok(wireSize(sa, mtu, outerIpv6) <= pathMtu, label);
          assert.ok(wireSize(sa, mtu + 1, outerIpv6) > pathMtu, label);
        }
      }
    });
  }
});

describe('mssFor', () => {
  test('MTU minus the IP and TCP headers', () => {
    assert.equal(mssFor(1438, false), 1398);
    assert.equal(mssFor(1438, true), 1378);
    assert.equal(mssFor(1500, false), 1460);
    assert.equal(mssFor(1280, true), 1220);
  });
});
