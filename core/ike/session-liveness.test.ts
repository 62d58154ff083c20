/**
 * Noticing a dead path, against the fake PSK gateway: traffic sent and nothing heard for 10 s starts a liveness check
 * with its own short budget (four tries, 2 s apart), and silence through it ends the session as lost; anything heard
 * from the gateway calls the wait off; and a check asked for at once (a wake-up, a clock jump) goes out at once.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DEFAULT_LIVENESS } from './config.js';
import { ExchangeType } from './message/index.js';
import type { IkeSession, SessionEvent } from './session.js';
import { established, type FakeGateway, only } from './test-gateway.js';

const { unansweredMs, idleMs } = DEFAULT_LIVENESS;

function closedWith(events: SessionEvent[]): string | undefined {
  const closed = events.find((e) => e.type === 'closed');
  return closed?.type === 'closed' ? (closed.error?.code ?? 'clean') : undefined;
}

/** The session's liveness check, answered by nothing: when each try went out, and when the session gave up. */
function unanswered(session: IkeSession, from: number): { sends: number[]; lostAt: number; error: string | undefined } {
  const sends: number[] = [];
  for (let now = from; now < from + 60_000; now += 100) {
    session.tick(now);
    const { send, events } = session.take();
    const error = closedWith(events);
    // what goes out as it gives up is its farewell Delete, not a try
    if (error) return { sends, lostAt: now, error };
    if (send.length > 0) sends.push(now);
  }
  throw new Error('the session never gave up');
}

function isLivenessCheck(gateway: FakeGateway, data: Uint8Array): boolean {
  const { message, payloads } = gateway.open({ data });
  return message.header.exchange === ExchangeType.INFORMATIONAL && !message.header.response && payloads.length === 0;
}

test('traffic sent and nothing heard for 10 s: a liveness check at once, four tries in 8 s, then the path is lost', () => {
  const { session, gateway } = established(false);
  const sentAt = 1000;
  assert.equal(session.noteOutbound(sentAt), true, 'the first unanswered packet starts the wait');
  assert.equal(session.noteOutbound(sentAt + 500), false, 'later ones do not move it');
  assert.equal(session.nextDeadline(), sentAt + unansweredMs);
  session.tick(sentAt + unansweredMs - 1);
  assert.equal(session.take().send.length, 0);
  session.tick(sentAt + unansweredMs);
  const check = only(session);
  assert.ok(isLivenessCheck(gateway, check.data));
  assert.equal(session.counters.livenessChecks, 1);
  const { sends, lostAt, error } = unanswered(session, sentAt + unansweredMs + 100);
  assert.deepEqual(sends, [13_000, 15_000, 17_000]);
  assert.equal(lostAt, sentAt + unansweredMs + 8000);
  assert.equal(error, 'gateway-timeout');
});

test('anything from the gateway calls the wait off: then only the idle check remains', () => {
  const { session } = established(false);
  session.noteOutbound(1000);
  session.noteInbound(5000);
  assert.equal(session.nextDeadline(), 5000 + idleMs);
  session.tick(5000 + unansweredMs);
  assert.equal(session.take().send.length, 0);
});

test('a check asked for now goes out now, and its answer keeps the session', () => {
  const { session, gateway } = established(false);
  session.checkLiveness(500);
  const check = only(session);
  assert.ok(isLivenessCheck(gateway, check.data));
  session.checkLiveness(600);
  assert.equal(session.take().send.length, 0, 'one check at a time');
  session.receive(gateway.seal(gateway.open(check).message.header, []), 700);
  assert.equal(session.isClosed, false);
  assert.equal(session.nextDeadline(), 700 + idleMs);
});
