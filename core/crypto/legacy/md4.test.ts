import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { describe, it } from 'node:test';
import { toHex } from '../../../test/support/hex.js';
import { md4 } from './md4.js';

describe('md4', () => {
  it('matches the RFC 1320 §A.5 test suite', () => {
    // RFC 1320, Appendix A.5 "Test suite".
    const suite: [string, string][] = [
      ['', '31d6cfe0d16ae931b73c59d7e0c089c0'],
      ['a', 'bde52cb31de33e46245e05fbdbd6fb24'],
      ['abc', 'a448017aaf21d8525fc10ae87aa6729d'],
      ['message digest', 'd9130a8164549fe818874806e1c7014b'],
      ['abcdefghijklmnopqrstuvwxyz', 'd79e1c308aa5bbcdeea8ed63df412da9'],
      ['ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789', '043f8582f241db351ce627e153e7f0e4'],
      [
        '12345678901234567890123456789012345678901234567890123456789012345678901234567890',
        'e33b4ddc9c38f2199c3e7b164fcc0536',
      ],
    ];
    for (const [input, digest] of suite) assert.equal(toHex(md4(Buffer.from(input, 'ascii'))), digest, input);
  });

  it('does not modify its input', () => {
    const input = Buffer.from('abc');
    md4(input);
    assert.equal(input.toString(), 'abc');
  });

  // OpenSSL 3 still has MD4 in its legacy provider: an independent implementation for the padding edges
  // (55/56 and 63/64/65 bytes change the number of blocks) and multi-block inputs.
  it('agrees with openssl (legacy provider) across block boundaries', (t) => {
    const lengths = [1, 54, 55, 56, 57, 63, 64, 65, 119, 120, 128, 1000];
    const inputs = lengths.map((n) => Buffer.from(Array.from({ length: n }, (_, i) => (i * 37 + n) & 0xff)));
    const probe = spawnSync('openssl', ['dgst', '-md4', '-provider', 'legacy', '-provider', 'default'], {
      input: inputs[0],
    });
    if (probe.status !== 0) {
      t.skip('openssl with the legacy provider is not available');
      return;
    }
    for (const input of inputs) {
      const result = spawnSync('openssl', ['dgst', '-md4', '-provider', 'legacy', '-provider', 'default', '-hex'], {
        input,
      });
      const expected = /([0-9a-f]{32})\s*$/.exec(result.stdout.toString())?.[1];
      assert.equal(toHex(md4(input)), expected, `length ${input.length}`);
    }
  });
});
