/**
 * MOBIKE through the whole session, against a fake PSK gateway that speaks just enough IKEv2 (IKE_SA_INIT, one
 * IKE_AUTH, INFORMATIONAL answers): the offer and the float to 4500, what the gateway's answer decides, the move
 * itself, and a request that was outstanding when the address changed.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { randomBytes } from '../crypto/random.js';
import { ExchangeType, findNotify, findPayload, NotifyType, notify, PayloadType } from './message/index.js';
import { natDetectionHash, natDetectionNotifies } from './nat-detection.js';
import { config, established, GATEWAY_NAT_T, MOVED, only } from './test-gateway.js';

test('MOBIKE is offered in IKE_AUTH, which goes to 4500 when the gateway does NAT traversal, even without a NAT', () => {
  const { gateway, auth } = established(true);
  assert.equal(auth.natT, true, 'floated (RFC 4555 §3.3)');
  const { payloads } = gateway.open(auth);
  assert.ok(findNotify(payloads, NotifyType.MOBIKE_SUPPORTED));
  assert.ok(findPayload(payloads, PayloadType.SA), 'in the message with the SA payload');
});

test('with MOBIKE agreed, a new address is taken along: UPDATE_SA_ADDRESSES for the new path, then addresses-updated', () => {
  const { session, gateway } = established(true);
  assert.equal(session.mobike, true);
  assert.equal(session.updateAddresses(MOVED, 1000), true);
  const update = only(session);
  assert.equal(update.natT, true);
  const { message, payloads } = gateway.open(update);
  assert.equal(message.header.exchange, ExchangeType.INFORMATIONAL);
  assert.ok(findNotify(payloads, NotifyType.UPDATE_SA_ADDRESSES));
  const source = findNotify(payloads, NotifyType.NAT_DETECTION_SOURCE_IP)!.data;
  assert.deepEqual(source, Uint8Array.from(natDetectionHash(gateway.spiPair, MOVED.address, MOVED.port)));
  const destination = findNotify(payloads, NotifyType.NAT_DETECTION_DESTINATION_IP)!.data;
  assert.deepEqual(destination, Uint8Array.from(natDetectionHash(gateway.spiPair, GATEWAY_NAT_T.address, 4500)));
  session.receive(gateway.answerUpdate(update), 1010);
  assert.deepEqual(session.take().events, [{ type: 'addresses-updated', natDetected: false }]);
  assert.equal(session.isClosed, false);
});

test('an update answer showing a NAT on the new path says so', () => {
  const { session, gateway } = established(true);
  session.updateAddresses(MOVED, 1000);
  session.receive(gateway.answerUpdate(only(session), { address: '198.51.100.77', port: 62000 }), 1010);
  assert.deepEqual(session.take().events, [{ type: 'addresses-updated', natDetected: true }]);
});

test('without MOBIKE from the gateway nothing is sent and the caller is told to re-establish', () => {
  const { session } = established(false);
  assert.equal(session.mobike, false);
  assert.equal(session.updateAddresses(MOVED, 1000), false);
  assert.deepEqual(session.take(), { send: [], events: [] });
});

test('a liveness check outstanding at the move goes out again at once, and the update follows its answer', () => {
  const { session, gateway } = established(true);
  session.tick(config.liveness.idleMs + 20);
  const check = only(session);
  assert.equal(session.updateAddresses(MOVED, config.liveness.idleMs + 100), true);
  assert.deepEqual(only(session).data, check.data, 'the same request, now from the new address');
  session.receive(gateway.seal(gateway.open(check).message.header, []), config.liveness.idleMs + 110);
  const { payloads } = gateway.open(only(session));
  assert.ok(findNotify(payloads, NotifyType.UPDATE_SA_ADDRESSES));
});

test("the gateway's path check is answered with our hashes from the new address and its COOKIE2", () => {
  const { session, gateway } = established(true);
  session.updateAddresses(MOVED, 1000);
  session.receive(gateway.answerUpdate(only(session)), 1010);
  session.take();
  const cookie2 = Uint8Array.from(randomBytes(8));
  session.receive(
    gateway.request([
      ...natDetectionNotifies(gateway.spiPair, GATEWAY_NAT_T, MOVED),
      notify(NotifyType.COOKIE2, cookie2),
    ]),
    1100,
  );
  const { message, payloads } = gateway.open(only(session));
  assert.ok(message.header.response);
  assert.deepEqual(findNotify(payloads, NotifyType.COOKIE2)!.data, cookie2);
  const source = findNotify(payloads, NotifyType.NAT_DETECTION_SOURCE_IP)!.data;
  assert.deepEqual(source, Uint8Array.from(natDetectionHash(gateway.spiPair, MOVED.address, MOVED.port)));
});
