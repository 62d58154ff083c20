/**
 * The session as a sans-I/O machine: what it sends, when it retransmits and gives up, and how it treats answers it
 * must not trust. (Full exchanges are proven against a real strongSwan in test/interop.)
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { randomBytes } from '../crypto/random.js';
import { OutpostError } from '../errors.js';
import { DELETE_RETRANSMIT } from './config.js';
import {
  DhGroupId,
  decodeMessage,
  EncrId,
  ExchangeType,
  encodeMessage,
  findNotify,
  findPayload,
  NotifyType,
  notify,
  PayloadType,
  PrfId,
  ProtocolId,
  TransformType,
} from './message/index.js';
import type { Payload } from './message/types.js';
import { natDetectionHash } from './nat-detection.js';
import { IkeSession, type Outgoing, type SessionEvent } from './session.js';
import { FakeGateway } from './test-gateway.js';
import { testSessionConfig } from './test-support.js';

function started(): { session: IkeSession; first: Outgoing } {
  const session = new IkeSession(testSessionConfig());
  session.start(0);
  const { send } = session.take();
  assert.equal(send.length, 1);
  return { session, first: send[0]! };
}

function answer(request: Uint8Array, payloads: Payload[]): Uint8Array {
  const { header } = decodeMessage(request);
  return encodeMessage({ ...header, spiR: randomBytes(8), initiator: false, response: true }, payloads);
}

function closedWith(events: SessionEvent[]): string | undefined {
  const closed = events.find((e) => e.type === 'closed');
  return closed?.type === 'closed' ? (closed.error?.code ?? 'clean') : undefined;
}

test('IKE_SA_INIT carries SA, KE for the first group, nonce, NAT detection and capability notifies', () => {
  const { first } = started();
  assert.equal(first.natT, false);
  const message = decodeMessage(first.data);
  assert.equal(message.header.exchange, ExchangeType.IKE_SA_INIT);
  assert.equal(message.header.messageId, 0);
  assert.ok(message.header.initiator && !message.header.response);
  const sa = findPayload(message.payloads, PayloadType.SA)!;
  assert.equal(sa.proposals[0]!.protocol, ProtocolId.IKE);
  assert.equal(findPayload(message.payloads, PayloadType.KE)!.group, DhGroupId.CURVE25519);
  assert.equal(findPayload(message.payloads, PayloadType.NONCE)!.data.length, 32);
  const src = findNotify(message.payloads, NotifyType.NAT_DETECTION_SOURCE_IP)!;
  const zero = new Uint8Array(8);
  assert.deepEqual(
    src.data,
    Uint8Array.from(natDetectionHash({ spiI: message.header.spiI, spiR: zero }, '192.0.2.2', 40000)),
  );
  const dst = findNotify(message.payloads, NotifyType.NAT_DETECTION_DESTINATION_IP)!;
  assert.deepEqual(
    dst.data,
    Uint8Array.from(natDetectionHash({ spiI: message.header.spiI, spiR: zero }, '192.0.2.1', 500)),
  );
  assert.ok(findNotify(message.payloads, NotifyType.IKEV2_FRAGMENTATION_SUPPORTED));
  assert.ok(findNotify(message.payloads, NotifyType.SIGNATURE_HASH_ALGORITHMS));
});

test('retransmits the same bytes with exponential backoff, then gives up with gateway-timeout', () => {
  const { session, first } = started();
  const sendTimes: number[] = [];
  for (let now = 0; now <= 20_000; now += 250) {
    session.tick(now);
    const { send, events } = session.take();
    for (const s of send) {
      assert.deepEqual(s.data, first.data);
      sendTimes.push(now);
    }
    const closed = closedWith(events);
    if (closed) {
      assert.equal(closed, 'gateway-timeout');
      assert.deepEqual(sendTimes, [1000, 3000, 7000]);
      assert.equal(now, 15000);
      return;
    }
  }
  assert.fail('never gave up');
});

test('garbage and answers for other SAs are dropped and counted, not fatal', () => {
  const { session, first } = started();
  session.receive(randomBytes(100), 10);
  const other = answer(first.data, []);
  other[0]! ^= 0xff; // someone else's SPI
  session.receive(other, 20);
  const { send, events } = session.take();
  assert.equal(send.length, 0);
  assert.equal(events.length, 0);
  assert.equal(session.counters.dropped, 2);
  assert.equal(session.nextDeadline(), 1000, 'still waiting for the real answer');
});

test('a COOKIE answer is repeated as the first payload of an otherwise identical request', () => {
  const { session, first } = started();
  const cookie = Uint8Array.from(randomBytes(16));
  const reply = decodeMessage(first.data);
  session.receive(
    encodeMessage({ ...reply.header, initiator: false, response: true }, [notify(NotifyType.COOKIE, cookie)]),
    5,
  );
  const { send } = session.take();
  assert.equal(send.length, 1);
  const retry = decodeMessage(send[0]!.data);
  const firstPayload = retry.payloads[0]!;
  assert.ok(firstPayload.type === PayloadType.NOTIFY && firstPayload.notifyType === NotifyType.COOKIE);
  assert.deepEqual(firstPayload.data, cookie);
  assert.deepEqual(retry.payloads.slice(1), reply.payloads);
});

test('INVALID_KE_PAYLOAD for another offered group restarts with a KE of that group', () => {
  const { session, first } = started();
  const reply = decodeMessage(first.data);
  const wanted = Uint8Array.from([0, DhGroupId.ECP_256]);
  session.receive(
    encodeMessage({ ...reply.header, initiator: false, response: true }, [
      notify(NotifyType.INVALID_KE_PAYLOAD, wanted),
    ]),
    5,
  );
  const retry = decodeMessage(session.take().send[0]!.data);
  const ke = findPayload(retry.payloads, PayloadType.KE)!;
  assert.equal(ke.group, DhGroupId.ECP_256);
  assert.equal(ke.data.length, 64);
});

/**
 * An unauthenticated IKE_SA_INIT answer that refuses is not believed at once (it may be forged: RFC 7296 §2.21.1):
 * the request keeps going, and the refusal counts when the answer to a retransmission says it again.
 */
function refusedTwice(refusal: (request: Uint8Array) => Uint8Array): string | undefined {
  const { session, first } = started();
  session.receive(refusal(first.data), 5);
  const once = session.take();
  assert.equal(closedWith(once.events), undefined, 'one unauthenticated refusal is not believed');
  assert.equal(session.counters.dropped, 1);
  assert.equal(session.nextDeadline(), 1000, 'still waiting for the real answer');
  session.tick(1000);
  assert.deepEqual(session.take().send[0]?.data, first.data, 'the request goes out again');
  session.receive(refusal(first.data), 1005);
  return closedWith(session.take().events);
}

test('INVALID_KE_PAYLOAD for a group we never offered fails with invalid-ke once a retransmission is refused too', () => {
  const refusal = (request: Uint8Array) =>
    encodeMessage({ ...decodeMessage(request).header, initiator: false, response: true }, [
      notify(NotifyType.INVALID_KE_PAYLOAD, Uint8Array.from([0, DhGroupId.MODP_2048])),
    ]);
  assert.equal(refusedTwice(refusal), 'invalid-ke');
});

test('NO_PROPOSAL_CHOSEN ends the attempt with its own error once a retransmission is refused too', () => {
  assert.equal(
    refusedTwice((request) => answer(request, [notify(NotifyType.NO_PROPOSAL_CHOSEN)])),
    'no-proposal-chosen',
  );
});

test('a responder choosing something we did not offer is refused once it does so for a retransmission too', () => {
  const chosenFor = (request: Uint8Array): Uint8Array => {
    const ke = findPayload(decodeMessage(request).payloads, PayloadType.KE)!;
    const chosen: Payload = {
      type: PayloadType.SA,
      proposals: [
        {
          number: 1,
          protocol: ProtocolId.IKE,
          spi: new Uint8Array(0),
          transforms: [
            { type: TransformType.ENCR, id: EncrId.AES_GCM_16, keyLength: 128 },
            { type: TransformType.PRF, id: PrfId.HMAC_SHA2_256 },
            { type: TransformType.DH, id: DhGroupId.CURVE25519 },
          ],
        },
      ],
    };
    return answer(request, [chosen, ke, { type: PayloadType.NONCE, data: randomBytes(32) }]);
  };
  assert.equal(refusedTwice(chosenFor), 'no-proposal-chosen');
});

test('a refusal that was never confirmed is what the attempt ends with when the gateway then stays silent', () => {
  const { session, first } = started();
  session.receive(answer(first.data, [notify(NotifyType.NO_PROPOSAL_CHOSEN)]), 5);
  let closed: string | undefined;
  for (let now = 0; now <= 20_000 && closed === undefined; now += 250) {
    session.tick(now);
    closed = closedWith(session.take().events);
  }
  assert.equal(closed, 'no-proposal-chosen');
});

test('close before the gateway answered ends at once without sending anything', () => {
  const { session } = started();
  session.close(10);
  const { send, events } = session.take();
  assert.equal(send.length, 0);
  assert.equal(closedWith(events), 'clean');
});

/** A session whose IKE SA has keys (IKE_SA_INIT answered at 5 ms), its first IKE_AUTH request sent. */
function inIkeAuth(): { session: IkeSession; gateway: FakeGateway; auth: Outgoing } {
  const { session, first } = started();
  const gateway = new FakeGateway();
  session.receive(gateway.answerInit(first), 5);
  const [auth] = session.take().send;
  assert.ok(auth, 'IKE_AUTH sent');
  return { session, gateway, auth };
}

/**
 * A session whose IKE SA has keys, its IKE_AUTH request answered at 10 ms with `refusal`: the CHILD_SA is refused.
 * `sent` and `events` are what it queued in answer.
 */
function refusedChildSa(refusal: number): {
  session: IkeSession;
  gateway: FakeGateway;
  sent: Outgoing[];
  events: SessionEvent[];
} {
  const { session, gateway, auth } = inIkeAuth();
  session.receive(gateway.seal(gateway.open(auth).message.header, [notify(refusal)]), 10);
  const { send, events } = session.take();
  return { session, gateway, sent: send, events };
}

/** Ticks every 50 ms from `from` until the session closes (10 s at most): what it sent, how and when it closed. */
function tickUntilClosed(
  session: IkeSession,
  from: number,
): { sends: Uint8Array[]; closed: string | undefined; closedAt: number } {
  const sends: Uint8Array[] = [];
  let closed: string | undefined;
  let closedAt = from;
  for (let now = from; now <= from + 10_000 && closed === undefined; now += 50) {
    session.tick(now);
    const { send, events } = session.take();
    sends.push(...send.map((d) => d.data));
    closed = closedWith(events);
    closedAt = now;
  }
  return { sends, closed, closedAt };
}

/** The Delete a session sent: INFORMATIONAL with D(IKE). */
function assertIkeDelete(gateway: FakeGateway, datagram: Uint8Array): ReturnType<FakeGateway['open']> {
  const request = gateway.open({ data: datagram });
  assert.equal(request.message.header.exchange, ExchangeType.INFORMATIONAL);
  assert.equal(findPayload(request.payloads, PayloadType.DELETE)?.protocol, ProtocolId.IKE);
  return request;
}

test('a CHILD_SA refused in IKE_AUTH deletes the IKE SA and reports the refusal once the gateway answers', () => {
  const { session, gateway, sent, events } = refusedChildSa(NotifyType.TS_UNACCEPTABLE);
  assert.equal(closedWith(events), undefined, 'not closed before the Delete is answered');
  assert.equal(sent.length, 1);
  const request = assertIkeDelete(gateway, sent[0]!.data);
  assert.equal(request.message.header.messageId, 2, 'the message after IKE_AUTH');
  session.tick(100);
  assert.equal(closedWith(session.take().events), undefined, 'still waiting');
  session.receive(gateway.seal(request.message.header, []), 200);
  assert.equal(closedWith(session.take().events), 'ts-unacceptable', 'the reason is the refusal, not the Delete');
  assert.ok(session.isClosed);
});

test('the Delete after a refusal is retransmitted within its short budget, then the refusal is reported anyway', () => {
  for (const refusal of [NotifyType.NO_PROPOSAL_CHOSEN, NotifyType.FAILED_CP_REQUIRED]) {
    const { session, gateway, sent } = refusedChildSa(refusal);
    const later = tickUntilClosed(session, 10);
    const sends = [...sent.map((d) => d.data), ...later.sends];
    const { closed, closedAt } = later;
    const { retries, initialMs, factor } = DELETE_RETRANSMIT;
    assert.equal(sends.length, 1 + retries, 'the Delete and each retransmission of its budget');
    for (const datagram of sends) assert.deepEqual(datagram, sends[0], 'the same bytes each time');
    assertIkeDelete(gateway, sends[0]!);
    const budget = initialMs * (factor ** (retries + 1) - 1);
    assert.ok(closedAt >= 10 + budget && closedAt < 10 + budget + 100, `closed at ${closedAt} ms`);
    assert.ok(budget <= 4000, 'a person quitting waits a few seconds at most');
    assert.equal(closed, refusal === NotifyType.NO_PROPOSAL_CHOSEN ? 'no-proposal-chosen' : 'cp-required');
  }
});

test('a close during IKE_AUTH, asked for twice, waits for the exchange to end, then deletes, and reports a clean close', () => {
  const { session, gateway, auth } = inIkeAuth();
  session.close(10);
  session.close(15);
  const waiting = session.take();
  assert.equal(waiting.send.length, 0, 'a Delete now would be ignored by a gateway still in IKE_AUTH');
  assert.equal(closedWith(waiting.events), undefined);
  session.tick(600);
  assert.equal(session.take().send.length, 0, 'IKE_AUTH keeps its own retransmission schedule');
  session.receive(gateway.seal(gateway.open(auth).message.header, [notify(NotifyType.TS_UNACCEPTABLE)]), 20);
  const { send, events } = session.take();
  assert.equal(closedWith(events), undefined);
  const request = assertIkeDelete(gateway, send[0]!.data);
  session.receive(gateway.seal(request.message.header, []), 30);
  assert.equal(closedWith(session.take().events), 'clean', 'the person asked to disconnect');
});

test('a failure while a request goes unanswered retransmits it within the Delete budget, then reports the error', () => {
  const { session, auth } = inIkeAuth();
  session.close(10, new OutpostError('network', 'The virtual network adapter could not be set up.'));
  const { sends, closed, closedAt } = tickUntilClosed(session, 10);
  assert.ok(sends.length > 0, 'the unanswered request is sent again');
  for (const datagram of sends) assert.deepEqual(datagram, auth.data, 'no Delete jumps the queue');
  assert.ok(closedAt <= 10 + 4000, `closed at ${closedAt} ms, within the Delete budget`);
  assert.equal(closed, 'network');
});
