import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DecodeError } from '../errors.js';
import {
  decodeTlsFrame,
  encodeTlsFrame,
  fragmentTlsMessage,
  TlsFlag,
  TlsReassembler,
  tlsAcknowledgement,
} from './tls-framing.js';

const message = Uint8Array.from({ length: 2500 }, (_, i) => i & 0xff);

describe('EAP-TLS framing', () => {
  it('decodes flags, length and fragment as RFC 5216 §3.1 lays them out', () => {
    const frame = decodeTlsFrame(Uint8Array.of(0xc1, 0, 0, 0x01, 0x00, 0xaa, 0xbb));
    assert.deepEqual(frame, {
      start: false,
      more: true,
      totalLength: 256,
      version: 1,
      fragment: Uint8Array.of(0xaa, 0xbb),
    });
    assert.equal(decodeTlsFrame(Uint8Array.of(TlsFlag.START)).start, true);
    assert.deepEqual(tlsAcknowledgement(), Uint8Array.of(0));
  });

  it('refuses a frame without flags or with a cut length field', () => {
    assert.throws(() => decodeTlsFrame(new Uint8Array(0)), DecodeError);
    assert.throws(() => decodeTlsFrame(Uint8Array.of(0x80, 0, 0)), DecodeError);
  });

  it('fragments with L on the first and M on all but the last, and reassembles', () => {
    const frames = fragmentTlsMessage(message, 1000).map(decodeTlsFrame);
    assert.deepEqual(
      frames.map((f) => [f.more, f.totalLength, f.fragment.length]),
      [
        [true, 2500, 1000],
        [true, undefined, 1000],
        [false, undefined, 500],
      ],
    );
    const reassembler = new TlsReassembler();
    assert.deepEqual(reassembler.add(1, frames[0]!), { kind: 'more' });
    assert.deepEqual(reassembler.add(2, frames[1]!), { kind: 'more' });
    assert.deepEqual(reassembler.add(3, frames[2]!), { kind: 'complete', message });
    // an unfragmented message needs no length
    assert.deepEqual(fragmentTlsMessage(message.subarray(0, 10), 1000), [
      encodeTlsFrame({ more: false, fragment: message.subarray(0, 10) }),
    ]);
  });

  it('refuses a first fragment without its length, a length that changes, or data beyond it', () => {
    const [first, second] = fragmentTlsMessage(message, 1000).map(decodeTlsFrame);
    assert.throws(
      () => new TlsReassembler().add(1, { ...first!, totalLength: undefined }),
      /without the message length/,
    );
    const changed = new TlsReassembler();
    changed.add(1, first!);
    assert.throws(() => changed.add(2, { ...second!, totalLength: 2600 }), /length changed/);
    const over = new TlsReassembler();
    over.add(1, { ...first!, totalLength: 1500 });
    assert.throws(() => over.add(2, second!), /exceed the 1500-byte message/);
    const short = new TlsReassembler();
    short.add(1, first!);
    assert.throws(() => short.add(2, { ...second!, more: false }), /2000 bytes announced as 2500/);
  });

  it('bounds the total length and the number of fragments', () => {
    const limits = { maxTotal: 2000, maxFragments: 2 };
    assert.throws(
      () => new TlsReassembler(limits).add(1, decodeTlsFrame(fragmentTlsMessage(message, 1000)[0]!)),
      /2500 bytes exceeds 2000/,
    );
    const many = new TlsReassembler(limits);
    const frames = fragmentTlsMessage(message.subarray(0, 1500), 500).map(decodeTlsFrame);
    many.add(1, frames[0]!);
    many.add(2, frames[1]!);
    assert.throws(() => many.add(3, frames[2]!), /more than 2 fragments/);
  });

  it('refuses a fragment whose EAP identifier came before in the same message (out of order)', () => {
    const frames = fragmentTlsMessage(message, 1000).map(decodeTlsFrame);
    const reassembler = new TlsReassembler();
    reassembler.add(1, frames[0]!);
    reassembler.add(2, frames[1]!);
    assert.throws(() => reassembler.add(1, frames[2]!), /repeated out of order/);
  });

  it('refuses an empty fragment that claims more follow', () => {
    const reassembler = new TlsReassembler();
    assert.throws(
      () => reassembler.add(1, { start: false, more: true, totalLength: 10, version: 0, fragment: new Uint8Array(0) }),
      /empty EAP-TLS fragment/,
    );
  });
});
