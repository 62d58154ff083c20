import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { describe, it } from 'node:test';
import { fromHex, toUpperHex } from '../../../test/support/hex.js';
import { desEncryptBlock, expandDesKey } from './des.js';

describe('desEncryptBlock', () => {
  it('matches the FIPS 81 Appendix B ECB example', () => {
    // FIPS PUB 81, Appendix B, Table B1: key 0123456789ABCDEF, plaintext "Now is the time for all ".
    const key = fromHex('0123456789ABCDEF');
    assert.equal(toUpperHex(desEncryptBlock(key, fromHex('4E6F772069732074'))), '3FA40E8A984D4815');
    assert.equal(toUpperHex(desEncryptBlock(key, fromHex('68652074696D6520'))), '6A271787AB8883F9');
    assert.equal(toUpperHex(desEncryptBlock(key, fromHex('666F7220616C6C20'))), '893D51EC4B563B53');
  });

  it('matches NIST SP 800-17 known-answer tests', () => {
    // NIST SP 800-17, Appendix B: Table 1 (variable plaintext, key 0101010101010101) and Table 2 (variable key).
    assert.equal(
      toUpperHex(desEncryptBlock(fromHex('0101010101010101'), fromHex('8000000000000000'))),
      '95F8A5E5DD31D900',
    );
    assert.equal(
      toUpperHex(desEncryptBlock(fromHex('0101010101010101'), fromHex('4000000000000000'))),
      'DD7F121CA5015619',
    );
    assert.equal(
      toUpperHex(desEncryptBlock(fromHex('8001010101010101'), fromHex('0000000000000000'))),
      '95A8D72813DAA94D',
    );
  });

  it('matches the widely published worked example (key 133457799BBCDFF1)', () => {
    assert.equal(
      toUpperHex(desEncryptBlock(fromHex('133457799BBCDFF1'), fromHex('0123456789ABCDEF'))),
      '85E813540F0AB405',
    );
  });

  it('ignores the parity bits of the key', () => {
    const block = fromHex('0123456789ABCDEF');
    const key = fromHex('133457799BBCDFF1');
    const flipped = key.map((byte) => byte ^ 1);
    assert.equal(toUpperHex(desEncryptBlock(flipped, block)), toUpperHex(desEncryptBlock(key, block)));
  });

  it('refuses keys and blocks of the wrong size', () => {
    assert.throws(() => desEncryptBlock(new Uint8Array(7), new Uint8Array(8)), RangeError);
    assert.throws(() => desEncryptBlock(new Uint8Array(8), new Uint8Array(9)), RangeError);
  });

  it('agrees with openssl (legacy provider) on pseudo-random keys and blocks', (t) => {
    const args = ['enc', '-des-ecb', '-nopad', '-provider', 'legacy', '-provider', 'default'];
    if (spawnSync('openssl', [...args, '-K', '0101010101010101'], { input: new Uint8Array(8) }).status !== 0) {
      t.skip('openssl with the legacy provider is not available');
      return;
    }
    let seed = 0x2545f491;
    const next = (): number => {
      seed = (seed * 1103515245 + 12345) >>> 0;
      return seed >>> 24;
    };
    for (let round = 0; round < 8; round++) {
      const key = Uint8Array.from({ length: 8 }, next);
      const block = Uint8Array.from({ length: 8 }, next);
      const result = spawnSync('openssl', [...args, '-K', toUpperHex(key)], { input: block });
      assert.equal(toUpperHex(desEncryptBlock(key, block)), toUpperHex(result.stdout), `key ${toUpperHex(key)}`);
    }
  });
});

describe('expandDesKey', () => {
  it('spreads 56 bits over the high 7 bits of 8 bytes with odd parity', () => {
    assert.equal(toUpperHex(expandDesKey(fromHex('00000000000000'))), '0101010101010101');
    assert.equal(toUpperHex(expandDesKey(fromHex('FFFFFFFFFFFFFF'))), 'FEFEFEFEFEFEFEFE');
    // 0x80 00 .. : only the first key bit set -> first byte 1000000p, p = 0 (already odd).
    assert.equal(toUpperHex(expandDesKey(fromHex('80000000000000'))), '8001010101010101');
    // The last key bit lands in bit 7 of the last byte.
    assert.equal(toUpperHex(expandDesKey(fromHex('00000000000001'))), '0101010101010102');
  });

  it('keeps every key bit and gives every byte odd parity', () => {
    const key7 = fromHex('44EBBA8D5312B8');
    const key8 = expandDesKey(key7);
    let bits = '';
    for (const byte of key8) {
      assert.equal(byte.toString(2).replace(/0/g, '').length % 2, 1, `parity of ${byte.toString(16)}`);
      bits += byte.toString(2).padStart(8, '0').slice(0, 7);
    }
    const original = Array.from(key7, (b) => b.toString(2).padStart(8, '0')).join('');
    assert.equal(bits, original);
  });

  it('refuses anything but 7 bytes', () => {
    assert.throws(() => expandDesKey(new Uint8Array(8)), RangeError);
  });
});
