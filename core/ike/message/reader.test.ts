import assert from 'node:assert/strict';
import { test } from 'node:test';
import { fromHex } from '../../../test/support/hex.js';
import { ByteReader } from './reader.js';
import { expectDecodeError } from './test-support.js';

test('reads big-endian fields in order, u32 stays unsigned', () => {
  const r = new ByteReader(fromHex('01 0203 ffffffff 0a0b'), 'sample');
  assert.equal(r.u8('a'), 0x01);
  assert.equal(r.u16('b'), 0x0203);
  assert.equal(r.u32('c'), 0xffffffff);
  assert.equal(r.remaining, 2);
  assert.deepEqual(r.rest(), fromHex('0a0b'));
  assert.equal(r.remaining, 0);
});

test('reading past the end is a DecodeError naming the context and field', () => {
  const r = new ByteReader(fromHex('0102 03'), 'KE payload');
  r.u16('group');
  expectDecodeError(() => r.u16('reserved'), /KE payload: reserved needs 2 bytes but only 1 remain/);
  expectDecodeError(() => r.bytes(5, 'data'), /data needs 5 bytes/);
  expectDecodeError(() => new ByteReader(new Uint8Array(0), 'x').u8('first'), /x: first needs 1 bytes/);
});

test('bytes() copies, even from a Buffer whose own slice() would alias', () => {
  const source = Buffer.from('aabbccdd', 'hex');
  const taken = new ByteReader(source, 't').bytes(2, 'f');
  source[0] = 0;
  assert.deepEqual(taken, fromHex('aabb'));
  assert.equal(Object.getPrototypeOf(taken), Uint8Array.prototype);
});

test('sub() bounds a substructure and end() rejects leftovers', () => {
  const r = new ByteReader(fromHex('0102030405'), 'SA payload');
  const s = r.sub(3, 'proposal', 'SA payload, proposal 1');
  assert.equal(r.offset, 3);
  assert.equal(s.u16('a'), 0x0102);
  expectDecodeError(() => s.end('the transforms'), /SA payload, proposal 1: 1 unexpected bytes after the transforms/);
  expectDecodeError(() => s.u16('b'), /proposal 1: b needs 2 bytes but only 1 remain/);
  expectDecodeError(() => r.sub(3, 'proposal 2', 'p2'), /proposal 2 needs 3 bytes but only 2 remain/);
});
