import assert from 'node:assert/strict';
import { test } from 'node:test';
import { acceptKey, decodeClientFrame, encodeFrame } from './websocket.js';

test('handshake accept value matches RFC 6455 §1.3', () => {
  // RFC 6455 §1.3: key "dGhlIHNhbXBsZSBub25jZQ==" gives "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=".
  assert.equal(acceptKey('dGhlIHNhbXBsZSBub25jZQ=='), 's3pPLMBiTxaQ9kYGzzhZRbK+xOo=');
});

test('server frames: RFC 6455 §5.7 unmasked "Hello"', () => {
  assert.deepEqual([...encodeFrame(0x1, Buffer.from('Hello'))], [0x81, 0x05, 0x48, 0x65, 0x6c, 0x6c, 0x6f]);
});

test('server frames use the 16- and 64-bit length forms past 125 and 65535 bytes', () => {
  const mid = encodeFrame(0x1, new Uint8Array(256));
  assert.deepEqual([...mid.subarray(0, 4)], [0x81, 126, 0x01, 0x00]);
  const big = encodeFrame(0x1, new Uint8Array(65536));
  assert.deepEqual([...big.subarray(0, 10)], [0x81, 127, 0, 0, 0, 0, 0, 1, 0, 0]);
  assert.equal(big.length, 65546);
});

test('client frames: RFC 6455 §5.7 masked "Hello"', () => {
  const bytes = Buffer.from([0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58]);
  const frame = decodeClientFrame(bytes);
  assert.equal(frame?.payload.toString(), 'Hello');
  assert.equal(frame?.fin, true);
  assert.equal(frame?.opcode, 1);
  assert.equal(frame?.size, bytes.length);
  for (let cut = 0; cut < bytes.length; cut++) assert.equal(decodeClientFrame(bytes.subarray(0, cut)), undefined);
});

test('unmasked client frames, reserved bits and oversized lengths are refused with their close codes', () => {
  assert.throws(
    () => decodeClientFrame(Buffer.from([0x81, 0x05, 0x48, 0x65, 0x6c, 0x6c, 0x6f])),
    (c) => c === 1002,
  );
  assert.throws(
    () => decodeClientFrame(Buffer.from([0xc1, 0x80, 0, 0, 0, 0])),
    (c) => c === 1002,
  );
  const huge = Buffer.from([0x81, 0xff, 0, 0, 0, 0, 0x10, 0, 0, 0]);
  assert.throws(
    () => decodeClientFrame(huge),
    (c) => c === 1009,
  );
});
