/**
 * Redirect (RFC 5685) through the whole session, against the fake PSK gateway: the offer in IKE_SA_INIT, a redirect
 * in its answer (with our nonce, or dropped), after the gateway's AUTH in IKE_AUTH, and in an INFORMATIONAL request
 * on the established SA. Each ends the session with GatewayRedirected, after deleting an SA the gateway holds.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { fromHex } from '../../test/support/hex.js';
import {
  decodeMessage,
  ExchangeType,
  findNotify,
  findPayload,
  NotifyType,
  notify,
  PayloadType,
} from './message/index.js';
import { GatewayRedirected, parseRedirect } from './redirect.js';
import { IkeSession, type SessionEvent } from './session.js';
import { config, established, FakeGateway, only, redirectData } from './test-gateway.js';

function closedWith(events: SessionEvent[]): unknown {
  const closed = events.find((e) => e.type === 'closed');
  assert.ok(closed && closed.type === 'closed', JSON.stringify(events.map((e) => e.type)));
  return closed.error;
}

describe('REDIRECT notify data (RFC 5685 §10)', () => {
  test('IPv4, IPv6 and FQDN identities, with the nonce after them', () => {
    assert.deepEqual(parseRedirect(fromHex('01 04 c6336407 aabb')), {
      gateway: '198.51.100.7',
      nonce: fromHex('aabb'),
    });
    assert.equal(parseRedirect(fromHex('02 10 20010db8000000000000000000000007')).gateway, '2001:db8::7');
    assert.equal(parseRedirect(redirectData('GW2.Example.Test.')).gateway, 'gw2.example.test');
  });

  test('bad bytes are a DecodeError: short, a wrong address length, an unknown type, a name that is not one', () => {
    for (const hex of [
      '01',
      '01 04 c63364',
      '01 05 c633640700',
      '02 04 c6336407',
      '04 01 00',
      '03 03 612062',
      '03 00',
    ]) {
      assert.throws(() => parseRedirect(fromHex(hex)), { name: 'DecodeError' }, hex);
    }
  });
});

function initPayloads(session: IkeSession) {
  return decodeMessage(only(session).data).payloads;
}

describe('IKE_SA_INIT', () => {
  test('REDIRECT_SUPPORTED is offered; once redirected, REDIRECTED_FROM names the old gateway instead', () => {
    const first = new IkeSession(config);
    first.start(0);
    const offer = initPayloads(first);
    assert.ok(findNotify(offer, NotifyType.REDIRECT_SUPPORTED));
    assert.equal(findNotify(offer, NotifyType.REDIRECTED_FROM), undefined);
    const again = new IkeSession({ ...config, redirectedFrom: '192.0.2.1' });
    again.start(0);
    const redirected = initPayloads(again);
    assert.deepEqual(findNotify(redirected, NotifyType.REDIRECTED_FROM)?.data, fromHex('01 04 c0000201'));
    assert.equal(findNotify(redirected, NotifyType.REDIRECT_SUPPORTED), undefined);
  });

  test('a REDIRECT echoing our nonce, answered again to a retransmission, ends the session: GatewayRedirected', () => {
    for (const to of ['198.51.100.7', '2001:db8::7', 'gw2.example.test']) {
      const session = new IkeSession(config);
      const gateway = new FakeGateway();
      session.start(0);
      const init = only(session);
      // unauthenticated, like any refusal in IKE_SA_INIT: believed once the answer to a later send says it again
      session.receive(gateway.redirectInit(init, to), 10);
      assert.equal(session.isClosed, false);
      session.tick(config.retransmit.initialMs);
      session.receive(gateway.redirectInit(only(session), to), config.retransmit.initialMs + 10);
      const { send, events } = session.take();
      assert.deepEqual(send, [], 'no SA at the gateway: nothing to delete');
      const error = closedWith(events);
      assert.ok(error instanceof GatewayRedirected);
      assert.equal(error.gateway, to);
      assert.equal(error.context, 'init');
      assert.equal(error.code, 'redirected');
    }
  });

  test('a REDIRECT with another nonce is dropped as forged (§4.2); the real answer still counts', () => {
    const session = new IkeSession(config);
    const gateway = new FakeGateway();
    session.start(0);
    const init = only(session);
    session.receive(gateway.redirectInit(init, '203.0.113.66', new Uint8Array(32).fill(7)), 5);
    assert.equal(session.counters.dropped, 1);
    assert.equal(session.isClosed, false);
    session.receive(gateway.answerInit(init), 10);
    assert.equal(decodeMessage(only(session).data).header.exchange, ExchangeType.IKE_AUTH);
  });
});

describe('after IKE_SA_INIT', () => {
  test('IKE_AUTH: after the gateway’s AUTH, a REDIRECT deletes the new SA and ends with GatewayRedirected', () => {
    const session = new IkeSession(config);
    const gateway = new FakeGateway();
    session.start(0);
    session.receive(gateway.answerInit(only(session)), 10);
    const auth = only(session);
    session.receive(gateway.answerAuth(auth, false, [notify(NotifyType.REDIRECT, redirectData('198.51.100.7'))]), 20);
    const { send, events } = session.take();
    assert.ok(!events.some((e) => e.type === 'established'), 'no tunnel with the gateway that sent us away');
    assert.equal(send.length, 1);
    const { message, payloads } = gateway.open(send[0]!);
    assert.equal(message.header.exchange, ExchangeType.INFORMATIONAL);
    assert.equal(findPayload(payloads, PayloadType.DELETE)?.protocol, 1, 'the IKE SA deleted (RFC 5685 §5)');
    session.receive(gateway.seal(message.header, []), 30);
    const error = closedWith(session.take().events);
    assert.ok(error instanceof GatewayRedirected);
    assert.deepEqual([error.gateway, error.context], ['198.51.100.7', 'auth']);
  });

  test('INFORMATIONAL on the established SA: answered empty, the SA deleted, then GatewayRedirected', () => {
    const { session, gateway } = established(false);
    session.receive(gateway.request([notify(NotifyType.REDIRECT, redirectData('gw2.example.test'))]), 1000);
    const { send } = session.take();
    assert.equal(send.length, 2, 'the answer, then our delete');
    const answer = gateway.open(send[0]!);
    assert.equal(answer.message.header.response, true);
    assert.deepEqual(answer.payloads, []);
    const del = gateway.open(send[1]!);
    assert.equal(findPayload(del.payloads, PayloadType.DELETE)?.protocol, 1);
    session.receive(gateway.seal(del.message.header, []), 1010);
    const error = closedWith(session.take().events);
    assert.ok(error instanceof GatewayRedirected);
    assert.deepEqual([error.gateway, error.context], ['gw2.example.test', 'informational']);
  });

  test('a REDIRECT carrying a nonce outside IKE_SA_INIT is dropped; the session stays up', () => {
    const { session, gateway } = established(false);
    session.receive(gateway.request([notify(NotifyType.REDIRECT, redirectData('198.51.100.7', fromHex('aa')))]), 1000);
    assert.equal(session.counters.dropped, 1);
    assert.equal(session.isClosed, false);
  });
});
