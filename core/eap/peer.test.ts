import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, it } from 'node:test';
import { fromHex, toUpperHex } from '../../test/support/hex.js';
import { seededRandom } from '../../test/support/seeded-random.js';
import { md4 } from '../crypto/legacy/md4.js';
import { OutpostError } from '../errors.js';
import { generateNtResponse } from './mschapv2-crypto.js';
import { decodeEap, EapCode, EapType, encodeEap } from './packet.js';
import { EapPeer, type EapPeerOptions, type EapStep } from './peer.js';

const utf8 = (s: string): Uint8Array => Buffer.from(s, 'utf8');

function request(identifier: number, type: number, data: Uint8Array = new Uint8Array(0)): Uint8Array {
  return encodeEap({ code: EapCode.REQUEST, identifier, type, data });
}
const eapSuccess = (identifier: number): Uint8Array => fromHex(`03 ${identifier.toString(16).padStart(2, '0')} 0004`);
const eapFailure = (identifier: number): Uint8Array => fromHex(`04 ${identifier.toString(16).padStart(2, '0')} 0004`);

/** MS-CHAPv2 request Type-Data: OpCode, MS-CHAPv2-ID, MS-Length, body. */
function mschap(opCode: number, mschapId: number, body: Uint8Array): Uint8Array {
  const out = new Uint8Array(4 + body.length);
  out[0] = opCode;
  out[1] = mschapId;
  out[2] = out.length >> 8;
  out[3] = out.length & 0xff;
  out.set(body, 4);
  return out;
}
const concat = (...parts: Uint8Array[]): Uint8Array => Buffer.concat(parts);

function respond(step: EapStep): Uint8Array {
  assert.equal(step.kind, 'respond', step.kind === 'failure' ? `failed: ${step.error.code} ${step.error.detail}` : '');
  assert.ok(step.kind === 'respond');
  return step.message;
}

function failure(step: EapStep): OutpostError {
  assert.equal(step.kind, 'failure');
  assert.ok(step.kind === 'failure');
  assert.ok(step.error instanceof OutpostError);
  return step.error;
}

/** A peer whose secret callback (answering `secretValue`) counts its calls. */
function peer(options: Partial<EapPeerOptions> & Pick<EapPeerOptions, 'method'>, secretValue = 'clientPass') {
  const calls = { secret: 0 };
  const instance = new EapPeer({
    identity: 'User',
    secret: () => {
      calls.secret++;
      return secretValue;
    },
    ...options,
  });
  return { peer: instance, calls };
}

// RFC 2759 §9.2 "Hash Example": the whole MS-CHAPv2 exchange below is built from these published values.
const AUTHENTICATOR_CHALLENGE = fromHex('5B5D7C7D7B3F2F3E3C2C602132262628');
const PEER_CHALLENGE = fromHex('21402324255E262A28295F2B3A337C7E');
const NT_RESPONSE = '82309ECD8D708B5EA08FAA3981CD83544233114A3D85D6DF';
const AUTHENTICATOR_RESPONSE = '407A5589115FD0D6209F510FE9C04566932CDA56';
// deriveMsk of the same values (server receive key ‖ server send key (RFC 3079 §3.5.3 SendStartKey128) ‖ zeros).
const MSK = `D5F0E9521E3EA9589645E86051C822268B7CDC149B993A1BA118CB153F56DCCB${'00'.repeat(32)}`;

const challengeRequest = (identifier: number, mschapId: number, challenge = AUTHENTICATOR_CHALLENGE): Uint8Array =>
  request(identifier, EapType.MSCHAPV2, mschap(1, mschapId, concat(Uint8Array.of(16), challenge, utf8('strongSwan'))));
// strongSwan's Success request carries the terminating NUL of its C string.
const successRequest = (identifier: number, text: string): Uint8Array =>
  request(identifier, EapType.MSCHAPV2, mschap(3, 0x42, concat(utf8(text), Uint8Array.of(0))));
const failureRequest = (identifier: number, text: string): Uint8Array =>
  request(identifier, EapType.MSCHAPV2, mschap(4, 0x42, utf8(text)));

describe('EapPeer with EAP-MSCHAPv2', () => {
  const mschapPeer = (options: Partial<EapPeerOptions> = {}) =>
    peer({ method: 'mschapv2', randomBytes: () => PEER_CHALLENGE, ...options });

  it('runs identity -> challenge -> success -> EAP-Success and yields the MSK (RFC 2759 §9.2 values)', () => {
    const { peer: p, calls } = mschapPeer();

    assert.equal(toUpperHex(respond(p.handle(request(1, EapType.IDENTITY)))), `0201000901${toUpperHex(utf8('User'))}`);
    assert.equal(calls.secret, 0, 'the password is not read before a challenge needs it');

    const response = respond(p.handle(challengeRequest(2, 0x42)));
    // EAP Response id 2, length 63; OpCode 2, MS-CHAPv2-ID 0x42, MS-Length 58, Value-Size 49, Peer-Challenge,
    // 8 reserved, NT-Response, Flags 0, Name "User".
    assert.equal(
      toUpperHex(response),
      `0202003F1A 0242003A 31 ${toUpperHex(PEER_CHALLENGE)} 0000000000000000 ${NT_RESPONSE} 00 ${toUpperHex(utf8('User'))}`.replace(
        / /g,
        '',
      ),
    );
    assert.equal(calls.secret, 1);

    const ack = respond(p.handle(successRequest(3, `S=${AUTHENTICATOR_RESPONSE} M=Welcome2strongSwan`)));
    assert.equal(toUpperHex(ack), '020300061A03');

    const done = p.handle(eapSuccess(3));
    assert.equal(done.kind, 'success');
    assert.ok(done.kind === 'success' && done.msk !== undefined);
    assert.equal(toUpperHex(done.msk), MSK);
    assert.equal(calls.secret, 1);
  });

  it('accepts a lower-case authenticator response without a message', () => {
    const { peer: p } = mschapPeer();
    respond(p.handle(challengeRequest(2, 1)));
    respond(p.handle(successRequest(3, `S=${AUTHENTICATOR_RESPONSE.toLowerCase()}`)));
    assert.equal(p.handle(eapSuccess(3)).kind, 'success');
  });

  it('fails with gateway-auth-invalid when the authenticator response does not match', () => {
    const { peer: p } = mschapPeer();
    respond(p.handle(challengeRequest(2, 1)));
    const wrong = `${AUTHENTICATOR_RESPONSE.slice(0, 39)}7`;
    assert.equal(failure(p.handle(successRequest(3, `S=${wrong} M=hi`))).code, 'gateway-auth-invalid');
    // The conversation is over: not even an EAP-Success turns it around.
    assert.equal(failure(p.handle(eapSuccess(3))).code, 'gateway-error');
  });

  it('fails with gateway-auth-invalid when the Success request has no authenticator response', () => {
    for (const text of ['M=Welcome', '', `S=${AUTHENTICATOR_RESPONSE.slice(2)}`]) {
      const { peer: p } = mschapPeer();
      respond(p.handle(challengeRequest(2, 1)));
      assert.equal(failure(p.handle(successRequest(3, text))).code, 'gateway-auth-invalid', text);
    }
  });

  it('fails with gateway-auth-invalid on an EAP-Success before the gateway proved itself', () => {
    const { peer: p } = mschapPeer();
    respond(p.handle(challengeRequest(2, 1)));
    assert.equal(failure(p.handle(eapSuccess(3))).code, 'gateway-auth-invalid');

    const { peer: fresh } = mschapPeer();
    assert.equal(failure(fresh.handle(eapSuccess(1))).code, 'gateway-auth-invalid');
  });

  it('answers E=691 with a Failure response, then reports password-rejected on EAP-Failure', () => {
    const { peer: p } = mschapPeer();
    respond(p.handle(challengeRequest(2, 1)));
    const ack = respond(p.handle(failureRequest(3, 'E=691 R=1 C=00112233445566778899AABBCCDDEEFF V=3 M=bad')));
    assert.equal(toUpperHex(ack), '020300061A04');
    const error = failure(p.handle(eapFailure(3)));
    assert.equal(error.code, 'password-rejected');
    assert.equal(error.message, 'Your username or password was not accepted.');
    assert.match(error.detail ?? '', /E=691/);
  });

  it('keeps the refusal when the gateway claims EAP-Success after an MS-CHAPv2 failure', () => {
    const { peer: p } = mschapPeer();
    respond(p.handle(challengeRequest(2, 1)));
    respond(p.handle(failureRequest(3, 'E=691 R=0')));
    assert.equal(failure(p.handle(eapSuccess(4))).code, 'password-rejected');
  });

  it('turns the account errors 646-649 into clear sentences', () => {
    const expected: [number, RegExp, string][] = [
      [646, /time of day/, 'authentication-failed'],
      [647, /disabled/, 'authentication-failed'],
      [648, /expired/, 'password-expired'],
      [649, /not allowed to connect/, 'authentication-failed'],
    ];
    for (const [code, sentence, errorCode] of expected) {
      const { peer: p } = mschapPeer();
      respond(p.handle(challengeRequest(2, 1)));
      respond(p.handle(failureRequest(3, `E=${code} R=0 V=3`)));
      const error = failure(p.handle(eapFailure(3)));
      assert.equal(error.code, errorCode, String(code));
      assert.match(error.message, sentence);
    }
  });

  it('reports authentication-failed for an unknown error number or a bare EAP-Failure', () => {
    const { peer: p } = mschapPeer();
    respond(p.handle(challengeRequest(2, 1)));
    respond(p.handle(failureRequest(3, 'E=709 R=0')));
    assert.equal(failure(p.handle(eapFailure(3))).code, 'authentication-failed');

    const { peer: q } = mschapPeer();
    respond(q.handle(challengeRequest(2, 1)));
    assert.equal(failure(q.handle(eapFailure(3))).code, 'authentication-failed');
  });

  it('treats a second challenge or a Success request before the challenge as out of order', () => {
    const { peer: p } = mschapPeer();
    respond(p.handle(challengeRequest(2, 1)));
    assert.equal(failure(p.handle(challengeRequest(3, 2))).code, 'gateway-error');

    const { peer: q } = mschapPeer();
    assert.equal(failure(q.handle(successRequest(1, `S=${AUTHENTICATOR_RESPONSE}`))).code, 'gateway-error');
  });

  it('ends after success: a second EAP-Success or another request is an error', () => {
    const { peer: p } = mschapPeer();
    respond(p.handle(challengeRequest(2, 1)));
    respond(p.handle(successRequest(3, `S=${AUTHENTICATOR_RESPONSE}`)));
    assert.equal(p.handle(eapSuccess(3)).kind, 'success');
    assert.equal(failure(p.handle(eapSuccess(3))).code, 'gateway-error');
    assert.equal(failure(p.handle(request(4, EapType.IDENTITY))).code, 'gateway-error');
  });

  it('hashes a non-ASCII password as UTF-16LE and sends the full identity but hashes the bare user name', () => {
    const password = 'p\u00e4ssw\u00f6rd\u20ac';
    const identity = 'CORP\\j\u00fcrgen';
    const { peer: p } = mschapPeer({ identity, secret: () => password });
    const response = decodeEap(respond(p.handle(challengeRequest(2, 1))));
    const expected = generateNtResponse(
      AUTHENTICATOR_CHALLENGE,
      PEER_CHALLENGE,
      'j\u00fcrgen',
      // MD4 over the UTF-16LE code units, spelled out: p ä s s w ö r d €.
      md4(fromHex('7000 E400 7300 7300 7700 F600 7200 6400 AC20')),
    );
    assert.equal(toUpperHex(response.data.subarray(29, 53)), toUpperHex(expected));
    assert.equal(Buffer.from(response.data.subarray(54)).toString('utf8'), identity);
  });
});

describe('EapPeer with EAP-GTC', () => {
  it('runs identity -> GTC -> EAP-Success with no MSK, reading the code only when asked', () => {
    const { peer: p, calls } = peer({ method: 'gtc', identity: 'alice' }, '123456');
    assert.equal(toUpperHex(respond(p.handle(request(7, EapType.IDENTITY)))), `0207000A01${toUpperHex(utf8('alice'))}`);
    assert.equal(calls.secret, 0);
    // strongSwan's GTC request text is "password".
    const response = respond(p.handle(request(8, EapType.GTC, utf8('password'))));
    assert.equal(toUpperHex(response), `0208000B06${toUpperHex(utf8('123456'))}`);
    assert.equal(calls.secret, 1);
    assert.deepEqual(p.handle(eapSuccess(8)), { kind: 'success', msk: undefined });
  });

  it('sends the secret as UTF-8', () => {
    const { peer: p } = peer({ method: 'gtc', secret: () => 'p\u00e4ss' });
    const response = decodeEap(respond(p.handle(request(1, EapType.GTC, utf8('password')))));
    assert.equal(toUpperHex(response.data), toUpperHex(utf8('p\u00e4ss')));
  });

  it('reports authentication-failed on EAP-Failure, for the engine to map to otp-rejected', () => {
    const { peer: p } = peer({ method: 'gtc' });
    respond(p.handle(request(1, EapType.GTC, utf8('password'))));
    assert.equal(failure(p.handle(eapFailure(1))).code, 'authentication-failed');
  });

  it('refuses an EAP-Success before any GTC response', () => {
    const { peer: p } = peer({ method: 'gtc' });
    respond(p.handle(request(1, EapType.IDENTITY)));
    assert.equal(failure(p.handle(eapSuccess(1))).code, 'gateway-error');
  });
});

describe('EapPeer with EAP-MD5-Challenge', () => {
  it('answers MD5(identifier ‖ secret ‖ challenge) with Value-Size 16 and the identity as Name', () => {
    const { peer: p } = peer({ method: 'md5', identity: 'bob', secret: () => 'hunter2' });
    const challenge = fromHex('0102030405060708090A0B0C0D0E0F10');
    const response = decodeEap(
      respond(p.handle(request(0x33, EapType.MD5_CHALLENGE, concat(Uint8Array.of(16), challenge)))),
    );
    // RFC 1994 §4.1: the hash covers the Identifier, then the secret, then the Challenge Value.
    const expected = createHash('md5')
      .update(concat(Uint8Array.of(0x33), utf8('hunter2'), challenge))
      .digest();
    assert.equal(response.identifier, 0x33);
    assert.equal(response.type, EapType.MD5_CHALLENGE);
    assert.equal(toUpperHex(response.data), `10${toUpperHex(expected)}${toUpperHex(utf8('bob'))}`);
    assert.deepEqual(p.handle(eapSuccess(0x33)), { kind: 'success', msk: undefined });
  });

  it('rejects a challenge whose Value-Size overruns the data, without throwing', () => {
    const { peer: p } = peer({ method: 'md5' });
    assert.equal(failure(p.handle(request(1, EapType.MD5_CHALLENGE, fromHex('10 0102')))).code, 'malformed');
    const { peer: q } = peer({ method: 'md5' });
    assert.equal(failure(q.handle(request(1, EapType.MD5_CHALLENGE, fromHex('00')))).code, 'malformed');
  });
});

describe('EapPeer common behaviour', () => {
  it('answers a Notification with an empty Notification response and passes the text on', () => {
    const { peer: p } = peer({ method: 'gtc' });
    const step = p.handle(request(5, EapType.NOTIFICATION, utf8('Password expires in 3 days')));
    assert.deepEqual(step, {
      kind: 'respond',
      message: fromHex('0205000502'),
      notification: 'Password expires in 3 days',
    });
    respond(p.handle(request(6, EapType.GTC, utf8('password'))));
  });

  it('Naks another method with the configured one, then runs the configured one (RFC 3748 §5.3.1)', () => {
    const { peer: p } = peer({ method: 'mschapv2', randomBytes: () => PEER_CHALLENGE });
    assert.equal(
      toUpperHex(respond(p.handle(request(1, EapType.MD5_CHALLENGE, fromHex('10'.padEnd(34, '0')))))),
      '02010006031A',
    );
    respond(p.handle(challengeRequest(2, 1)));
    respond(p.handle(successRequest(3, `S=${AUTHENTICATOR_RESPONSE}`)));
    assert.equal(p.handle(eapSuccess(3)).kind, 'success');
  });

  it('Naks with each configured method type', () => {
    const nak = (method: EapPeerOptions['method']) =>
      decodeEap(respond(peer({ method }).peer.handle(request(1, 13, fromHex('00'))))).data;
    assert.equal(toUpperHex(nak('mschapv2')), '1A');
    assert.equal(toUpperHex(nak('gtc')), '06');
    assert.equal(toUpperHex(nak('md5')), '04');
  });

  it('answers an Expanded Type request with an Expanded Nak (RFC 3748 §5.3.2)', () => {
    const { peer: p } = peer({ method: 'gtc' });
    // Vendor-Id 9 (Cisco), Vendor-Type 1.
    const response = respond(p.handle(request(4, EapType.EXPANDED, fromHex('000009 00000001'))));
    // Type 254; Vendor-Id 0, Vendor-Type 3 (Nak); proposal Type 254, Vendor-Id 0, Vendor-Type 6 (GTC).
    assert.equal(toUpperHex(response), toUpperHex(fromHex('02 04 0014 FE 000000 00000003 FE 000000 00000006')));
  });

  it('explains a refused method when the gateway then gives up', () => {
    const { peer: p } = peer({ method: 'gtc' });
    respond(p.handle(request(1, EapType.MSCHAPV2, fromHex('01'))));
    const error = failure(p.handle(eapFailure(2)));
    assert.equal(error.code, 'authentication-failed');
    assert.match(error.message, /different sign-in method/);
  });

  it('refuses a switch of method once the configured one has started', () => {
    const { peer: p } = peer({ method: 'gtc' });
    respond(p.handle(request(1, EapType.GTC, utf8('password'))));
    assert.equal(
      failure(p.handle(request(2, EapType.MD5_CHALLENGE, fromHex('10'.padEnd(34, '0'))))).code,
      'gateway-error',
    );
  });

  it('rejects a Response or a Nak sent to the peer', () => {
    const response = encodeEap({ code: EapCode.RESPONSE, identifier: 1, type: 1, data: new Uint8Array(0) });
    assert.equal(failure(peer({ method: 'gtc' }).peer.handle(response)).code, 'gateway-error');
    assert.equal(
      failure(peer({ method: 'gtc' }).peer.handle(request(1, EapType.NAK, fromHex('06')))).code,
      'malformed',
    );
  });

  it('reports malformed packets as DecodeError and ends the conversation', () => {
    const { peer: p } = peer({ method: 'gtc' });
    const error = failure(p.handle(fromHex('01 01 0009 01')));
    assert.equal(error.code, 'malformed');
    assert.equal(error.name, 'DecodeError');
    assert.equal(failure(p.handle(request(2, EapType.IDENTITY))).code, 'gateway-error');
  });

  it('turns a throwing secret callback into a failure step', () => {
    const cancelled = new OutpostError('cancelled', 'Sign-in was cancelled.');
    const { peer: p } = peer({
      method: 'gtc',
      secret: () => {
        throw cancelled;
      },
    });
    assert.equal(failure(p.handle(request(1, EapType.GTC, utf8('password')))), cancelled);

    const { peer: q } = peer({
      method: 'mschapv2',
      secret: () => {
        throw new Error('keychain locked');
      },
    });
    const error = failure(q.handle(challengeRequest(1, 1)));
    assert.equal(error.code, 'authentication-failed');
    assert.equal(error.detail, 'keychain locked');
  });
});

describe('EapPeer under random input (seeded)', () => {
  function mutate(next: () => number, bytes: Uint8Array): Uint8Array {
    const out = Uint8Array.from(bytes);
    switch (next() % 4) {
      case 0: // flip a few bytes
        for (let i = 0, n = 1 + (next() % 3); i < n && out.length > 0; i++) out[next() % out.length] = next() & 0xff;
        return out;
      case 1: // truncate, then fix the EAP length so the method parser sees the damage
        return fixLength(out.subarray(0, next() % (out.length + 1)));
      case 2: // extend with junk, length fixed
        return fixLength(
          concat(
            out,
            Uint8Array.from({ length: 1 + (next() % 40) }, () => next() & 0xff),
          ),
        );
      default: // fully random
        return Uint8Array.from({ length: next() % 80 }, () => next() & 0xff);
    }
  }

  function fixLength(bytes: Uint8Array): Uint8Array {
    const out = Uint8Array.from(bytes);
    if (out.length >= 4) {
      out[2] = out.length >> 8;
      out[3] = out.length & 0xff;
    }
    return out;
  }

  const valid: Uint8Array[] = [
    request(1, EapType.IDENTITY),
    request(2, EapType.NOTIFICATION, utf8('hello')),
    challengeRequest(3, 1),
    successRequest(4, `S=${AUTHENTICATOR_RESPONSE} M=ok`),
    failureRequest(4, 'E=691 R=1 C=00112233445566778899AABBCCDDEEFF V=3 M=no'),
    request(5, EapType.GTC, utf8('password')),
    request(6, EapType.MD5_CHALLENGE, concat(Uint8Array.of(16), new Uint8Array(16))),
    request(7, EapType.EXPANDED, fromHex('00000900000001')),
    eapSuccess(8),
    eapFailure(8),
  ];

  it('never throws and always returns a well-formed step', () => {
    const next = seededRandom(0x5eed1234);
    const methods = ['mschapv2', 'gtc', 'md5'] as const;
    for (let conversation = 0; conversation < 600; conversation++) {
      const p = new EapPeer({
        identity: 'User',
        method: methods[conversation % 3]!,
        secret: () => 'clientPass',
        randomBytes: () => PEER_CHALLENGE,
      });
      for (let turn = 0; turn < 6; turn++) {
        const base = valid[next() % valid.length]!;
        const message = next() % 3 === 0 ? base : mutate(next, base);
        let step: EapStep | undefined;
        assert.doesNotThrow(
          () => {
            step = p.handle(message);
          },
          `conversation ${conversation} turn ${turn}: ${toUpperHex(message)}`,
        );
        assert.ok(step !== undefined);
        if (step.kind === 'respond') {
          const response = decodeEap(step.message);
          assert.equal(response.code, EapCode.RESPONSE);
          assert.equal(response.identifier, message[1]);
        } else if (step.kind === 'failure') {
          assert.ok(step.error instanceof OutpostError);
          // Only a throw from inside the peer would carry a cause: the secret callback here never throws.
          assert.equal(step.error.cause, undefined, `internal error: ${step.error.detail}`);
        }
      }
    }
  });
});
