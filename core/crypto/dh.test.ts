import assert from 'node:assert/strict';
import { test } from 'node:test';
import { fromHex, toHex } from '../../test/support/hex.js';
import { isOutpostError } from '../errors.js';
import { DhGroupId } from '../iana.js';
import { createDhGroup, type DhBackend, type DhGroup } from './dh.js';
import { randomBytes } from './random.js';

const BACKENDS: readonly DhBackend[] = ['node', 'noble'];

function groupOn(id: number, backend: DhBackend): DhGroup {
  const g = createDhGroup(id, { backend });
  assert.ok(g, `group ${id} on ${backend}`);
  assert.equal(g.backend, backend);
  return g;
}

const isInvalidKe = (detail: RegExp) => (e: unknown) =>
  isOutpostError(e) &&
  e.code === 'invalid-ke' &&
  e.message === 'The gateway sent an invalid key exchange value.' &&
  detail.test(e.detail ?? '');

// Known answers: RFC 7748 §6.1 (X25519) and RFC 5903 §8.1 / §8.2 (256- and 384-bit random ECP groups, where the KE
// data is gx || gy and the shared secret is the x coordinate girx).
const knownAnswers = [
  {
    name: 'RFC 7748 §6.1',
    id: DhGroupId.CURVE25519,
    i: '77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a',
    gi: '8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a',
    r: '5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb',
    gr: 'de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f',
    shared: '4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742',
  },
  {
    name: 'RFC 5903 §8.1',
    id: DhGroupId.ECP_256,
    i: 'c88f01f510d9ac3f70a292daa2316de544e9aab8afe84049c62a9c57862d1433',
    gi:
      'dad0b65394221cf9b051e1feca5787d098dfe637fc90b9ef945d0c3772581180' +
      '5271a0461cdb8252d61f1c456fa3e59ab1f45b33accf5f58389e0577b8990bb3',
    r: 'c6ef9c5d78ae012a011164acb397ce2088685d8f06bf9be0b283ab46476bee53',
    gr:
      'd12dfb5289c8d4f81208b70270398c342296970a0bccb74c736fc7554494bf63' +
      '56fbf3ca366cc23e8157854c13c58d6aac23f046ada30f8353e74f33039872ab',
    shared: 'd6840f6b42f6edafd13116e0e12565202fef8e9ece7dce03812464d04b9442de',
  },
  {
    name: 'RFC 5903 §8.2',
    id: DhGroupId.ECP_384,
    i: '099f3c7034d4a2c699884d73a375a67f7624ef7c6b3c0f160647b67414dce655e35b538041e649ee3faef896783ab194',
    gi:
      '667842d7d180ac2cde6f74f37551f55755c7645c20ef73e31634fe72b4c55ee6de3ac808acb4bdb4c88732aee95f41aa' +
      '9482ed1fc0eeb9cafc4984625ccfc23f65032149e0e144ada024181535a0f38eeb9fcff3c2c947dae69b4c634573a81c',
    r: '41cb0779b4bdb85d47846725fbec3c9430fab46cc8dc5060855cc9bda0aa2942e0308312916b8ed2960e4bd55a7448fc',
    gr:
      'e558dbef53eecde3d3fccfc1aea08a89a987475d12fd950d83cfa41732bc509d0d1ac43a0336def96fda41d0774a3571' +
      'dcfbec7aacf3196472169e838430367f66eebe3c6e70c416dd5f0c68759dd1fff83fa40142209dff5eaad96db9e6386c',
    shared: '11187331c279962d93d604243fd592cb9d0a926f422e47187521287e7156c5c4d603135569b9e9d09cf5d4a270f59746',
  },
];

test('x25519, ecp256 and ecp384 match RFC 7748 §6.1 and RFC 5903 §8 on both backends', () => {
  for (const backend of BACKENDS) {
    for (const v of knownAnswers) {
      const group = groupOn(v.id, backend);
      const initiator = group.fromPrivateKey(fromHex(v.i));
      const responder = group.fromPrivateKey(fromHex(v.r));
      assert.equal(toHex(initiator.publicValue), v.gi, `${v.name} gi on ${backend}`);
      assert.equal(toHex(responder.publicValue), v.gr, `${v.name} gr on ${backend}`);
      assert.equal(initiator.publicValue.length, group.publicLength);
      assert.equal(toHex(initiator.computeShared(fromHex(v.gr))), v.shared, `${v.name} shared on ${backend}`);
      assert.equal(toHex(responder.computeShared(fromHex(v.gi))), v.shared, `${v.name} shared on ${backend}`);
    }
  }
});

const SHARED_LENGTH: Readonly<Record<number, number>> = {
  [DhGroupId.MODP_2048]: 256,
  [DhGroupId.ECP_256]: 32,
  [DhGroupId.ECP_384]: 48,
  [DhGroupId.CURVE25519]: 32,
};
const GROUPS = [DhGroupId.MODP_2048, DhGroupId.ECP_256, DhGroupId.ECP_384, DhGroupId.CURVE25519];

test('every group agrees with itself and across backends on fresh key pairs', () => {
  for (const id of GROUPS) {
    const node = groupOn(id, 'node');
    const noble = groupOn(id, 'noble');
    assert.equal(node.publicLength, noble.publicLength);
    for (let round = 0; round < 3; round++) {
      const a = node.generate();
      const b = noble.generate();
      const c = node.generate();
      assert.equal(a.publicValue.length, node.publicLength);
      assert.equal(b.publicValue.length, node.publicLength);
      const ab = a.computeShared(b.publicValue);
      assert.equal(ab.length, SHARED_LENGTH[id]);
      assert.deepEqual(Buffer.from(ab), Buffer.from(b.computeShared(a.publicValue)), `group ${id} node/noble`);
      assert.deepEqual(Buffer.from(a.computeShared(c.publicValue)), Buffer.from(c.computeShared(a.publicValue)));
      assert.notDeepEqual(Buffer.from(ab), Buffer.from(a.computeShared(c.publicValue)));
    }
  }
});

test('node and noble derive the same public value and secret from the same private key', () => {
  const privateLength: Readonly<Record<number, number>> = {
    [DhGroupId.MODP_2048]: 32,
    [DhGroupId.ECP_256]: 32,
    [DhGroupId.ECP_384]: 48,
    [DhGroupId.CURVE25519]: 32,
  };
  for (const id of GROUPS) {
    const peer = groupOn(id, 'node').generate();
    for (let round = 0; round < 3; round++) {
      const secret = randomBytes(privateLength[id]!);
      // Keep the scalar below the ECP group order: clearing the top bit is enough for P-256 and P-384.
      secret[0]! &= 0x7f;
      const fromNode = groupOn(id, 'node').fromPrivateKey(secret);
      const fromNoble = groupOn(id, 'noble').fromPrivateKey(secret);
      assert.deepEqual(Buffer.from(fromNode.publicValue), Buffer.from(fromNoble.publicValue), `group ${id}`);
      assert.deepEqual(
        Buffer.from(fromNode.computeShared(peer.publicValue)),
        Buffer.from(fromNoble.computeShared(peer.publicValue)),
      );
    }
  }
});

test('MODP_2048 public values are g^x left-padded to the 256-byte prime length', () => {
  for (const backend of BACKENDS) {
    // x = 256, so g^x = 2^256: a 33-byte number that IKE carries in 256 bytes.
    const pair = groupOn(DhGroupId.MODP_2048, backend).fromPrivateKey(fromHex('0100'));
    const expected = Buffer.alloc(256);
    expected[256 - 33] = 1;
    assert.deepEqual(Buffer.from(pair.publicValue), expected, backend);
  }
});

// a Buffer, as node:crypto's getPrime() returns it
const MODP_P = Buffer.from(
  fromHex(
    'ffffffffffffffffc90fdaa22168c234c4c6628b80dc1cd129024e088a67cc74020bbea63b139b22514a08798e3404dd' +
      'ef9519b3cd3a431b302b0a6df25f14374fe1356d6d51c245e485b576625e7ec6f44c42e9a637ed6b0bff5cb6f406b7ed' +
      'ee386bfb5a899fa5ae9f24117c4b1fe649286651ece45b3dc2007cb8a163bf0598da48361c55d39a69163fa8fd24cf5f' +
      '83655d23dca3ad961c62f356208552bb9ed529077096966d670c354e4abc9804f1746c08ca18217c32905e462e36ce3b' +
      'e39e772c180e86039b2783a2ec07a28fb5c55df06f4c52c9de2bcbf6955817183995497cea956ae515d2261898fa0510' +
      '15728e5a8aacaa68ffffffffffffffff',
  ),
);
const minus = (n: Buffer, k: number) => {
  const out = Buffer.from(n);
  out[out.length - 1]! -= k;
  return out;
};
const small = (k: number) => {
  const out = Buffer.alloc(256);
  out[255] = k;
  return out;
};

test('MODP_2048 refuses 0, 1, p-1, p and 2^2048-1, and accepts the ends of 2..p-2 (RFC 6989 §2.2)', () => {
  for (const backend of BACKENDS) {
    const pair = groupOn(DhGroupId.MODP_2048, backend).generate();
    for (const bad of [small(0), small(1), minus(MODP_P, 1), MODP_P, Buffer.alloc(256, 0xff)]) {
      assert.throws(
        () => pair.computeShared(bad),
        isInvalidKe(/not in 2\.\.p-2/),
        `${backend} ${toHex(bad.subarray(-2))}`,
      );
    }
    assert.equal(pair.computeShared(small(2)).length, 256);
    assert.equal(pair.computeShared(minus(MODP_P, 2)).length, 256);
  }
});

test('the RFC 3526 prime in use is the one node:crypto knows as modp14', async () => {
  const { getDiffieHellman } = await import('node:crypto');
  assert.deepEqual(getDiffieHellman('modp14').getPrime(), MODP_P);
});

test('KE data of the wrong length is refused for every group', () => {
  for (const backend of BACKENDS) {
    for (const id of GROUPS) {
      const group = groupOn(id, backend);
      const pair = group.generate();
      for (const length of [0, group.publicLength - 1, group.publicLength + 1]) {
        assert.throws(() => pair.computeShared(Buffer.alloc(length, 1)), isInvalidKe(/bytes, expected/));
      }
      // A 0x04-prefixed SEC1 point is the wrong encoding for IKE, and one byte too long.
      if (id === DhGroupId.ECP_256 || id === DhGroupId.ECP_384) {
        const sec1 = Buffer.concat([Buffer.of(4), group.generate().publicValue]);
        assert.throws(() => pair.computeShared(sec1), isInvalidKe(/bytes, expected/));
      }
    }
  }
});

test('ECP points off the curve or with a coordinate >= p are refused (RFC 6989 §2.3)', () => {
  for (const backend of BACKENDS) {
    for (const id of [DhGroupId.ECP_256, DhGroupId.ECP_384]) {
      const group = groupOn(id, backend);
      const pair = group.generate();
      const good = Buffer.from(group.generate().publicValue);
      const offCurve = Buffer.from(good);
      offCurve[offCurve.length - 1]! ^= 1;
      assert.throws(() => pair.computeShared(offCurve), isInvalidKe(/not on the curve/));
      assert.throws(() => pair.computeShared(Buffer.alloc(group.publicLength)), isInvalidKe(/not on the curve/));
      const bigX = Buffer.from(good);
      bigX.fill(0xff, 0, group.publicLength / 2);
      assert.throws(() => pair.computeShared(bigX), isInvalidKe(/not below the field prime/));
      const bigY = Buffer.from(good);
      bigY.fill(0xff, group.publicLength / 2);
      assert.throws(() => pair.computeShared(bigY), isInvalidKe(/not below the field prime/));
      assert.equal(pair.computeShared(good).length, group.publicLength / 2);
    }
  }
});

test('x25519 low-order points (all-zero shared secret) are refused', () => {
  // u = 0, u = 1, a point of order 8, and the non-canonical encodings of p-1 and p+1 (≡ 1), from the low-order
  // blocklist libsodium applies before X25519.
  const lowOrder = [
    Buffer.alloc(32),
    fromHex('0100000000000000000000000000000000000000000000000000000000000000'),
    fromHex('e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800'),
    fromHex(`ec${'ff'.repeat(30)}7f`),
    fromHex(`ee${'ff'.repeat(30)}7f`),
  ];
  for (const backend of BACKENDS) {
    const pair = groupOn(DhGroupId.CURVE25519, backend).generate();
    for (const point of lowOrder) {
      assert.throws(() => pair.computeShared(point), isInvalidKe(/CURVE25519/), `${backend} ${toHex(point)}`);
    }
  }
});

test('x25519 takes non-canonical u-coordinates as RFC 7748 §5 says, the same on both backends', () => {
  // All ones: the top bit is masked and 2^255 - 1 is reduced mod p, which is not a low-order point.
  const peer = Buffer.alloc(32, 0xff);
  const secret = Buffer.alloc(32, 0x42);
  const [fromNode, fromNoble] = BACKENDS.map((backend) =>
    Buffer.from(groupOn(DhGroupId.CURVE25519, backend).fromPrivateKey(secret).computeShared(peer)),
  );
  assert.equal(fromNode?.length, 32);
  assert.deepEqual(fromNode, fromNoble);
});

test('createDhGroup: supported groups on node:crypto by default, undefined for others', () => {
  const shape = (id: number) => {
    const g = createDhGroup(id);
    return g && [g.id, g.name, g.publicLength, g.backend];
  };
  assert.deepEqual(shape(14), [14, 'MODP_2048', 256, 'node']);
  assert.deepEqual(shape(19), [19, 'ECP_256', 64, 'node']);
  assert.deepEqual(shape(20), [20, 'ECP_384', 96, 'node']);
  assert.deepEqual(shape(31), [31, 'CURVE25519', 32, 'node']);
  for (const id of [0, 1, 2, 5, 15, 21, 32, 1000]) assert.equal(createDhGroup(id), undefined, `group ${id}`);
});
