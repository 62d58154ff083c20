/**
 * MOBIKE's exchanges as bytes-free payload lists: the UPDATE_SA_ADDRESSES request names the new path in its NAT
 * detection hashes and carries a fresh COOKIE2; the answer's cookie must match (RFC 4555 §3.7) and its hashes tell
 * whether a NAT sits on the new path; the gateway's own checks get their cookie back and our hashes.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { randomBytes } from '../../crypto/random.js';
import { isOutpostError } from '../../errors.js';
import { isFinal } from '../../tunnel/reconnect-policy.js';
import { IkeSa } from '../ike-sa.js';
import { ExchangeType, findNotify, NotifyType, notify } from '../message/index.js';
import type { Payload } from '../message/types.js';
import { natDetectionHash, natDetectionNotifies } from '../nat-detection.js';
import { testSessionConfig } from '../test-support.js';
import { answerPathChecks, type Path, UpdateAddressesTask } from './mobike.js';
import { answerRequest } from './responder.js';

const sa = new IkeSa(true, randomBytes(8), randomBytes(8));
const moved: Path = { local: { address: '192.0.2.3', port: 41000 }, remote: { address: '192.0.2.1', port: 4500 } };

function answered(payloads: Payload[]) {
  return { header: undefined as never, payloads, raw: new Uint8Array(0) };
}

/** The gateway's answer as it sees the path: from its address to where our request came from. */
function gatewayAnswer(request: Payload[], seenFrom = moved.local): Payload[] {
  const cookie2 = findNotify(request, NotifyType.COOKIE2)!;
  return [...natDetectionNotifies(sa, moved.remote, seenFrom), notify(NotifyType.COOKIE2, cookie2.data)];
}

test('UPDATE_SA_ADDRESSES carries NAT detection for the new local address and port, and a fresh COOKIE2', () => {
  const request = new UpdateAddressesTask(sa, moved, false).build();
  assert.ok(findNotify(request, NotifyType.UPDATE_SA_ADDRESSES));
  const source = findNotify(request, NotifyType.NAT_DETECTION_SOURCE_IP)!;
  assert.deepEqual(source.data, natDetectionHash(sa, '192.0.2.3', 41000));
  const destination = findNotify(request, NotifyType.NAT_DETECTION_DESTINATION_IP)!;
  assert.deepEqual(destination.data, natDetectionHash(sa, '192.0.2.1', 4500));
  const cookie2 = findNotify(request, NotifyType.COOKIE2)!.data;
  assert.ok(cookie2.length >= 8 && cookie2.length <= 64);
  const other = findNotify(new UpdateAddressesTask(sa, moved, false).build(), NotifyType.COOKIE2)!.data;
  assert.notDeepEqual(other, cookie2, 'each update has its own cookie');
});

test('the answer says whether a NAT sits on the new path', () => {
  const direct = new UpdateAddressesTask(sa, moved, true);
  assert.deepEqual(direct.process(answered(gatewayAnswer(direct.build()))), { done: { natDetected: false } });
  const translated = new UpdateAddressesTask(sa, moved, false);
  const behindNat = gatewayAnswer(translated.build(), { address: '198.51.100.77', port: 61000 });
  assert.deepEqual(translated.process(answered(behindNat)), { done: { natDetected: true } });
});

test('an answer with another COOKIE2, or none, ends the SA with a non-final error (RFC 4555 §3.7)', () => {
  for (const cookie of [randomBytes(16), undefined]) {
    const task = new UpdateAddressesTask(sa, moved, false);
    task.build();
    const payloads = [...natDetectionNotifies(sa, moved.remote, moved.local)];
    if (cookie) payloads.push(notify(NotifyType.COOKIE2, cookie));
    assert.throws(
      () => task.process(answered(payloads)),
      (error) => isOutpostError(error) && error.code === 'gateway-error' && !isFinal(error),
    );
  }
});

test('an error notify refuses the move in words a person understands, and reconnecting may still help', () => {
  const task = new UpdateAddressesTask(sa, moved, false);
  task.build();
  assert.throws(
    () => task.process(answered([notify(NotifyType.UNEXPECTED_NAT_DETECTED)])),
    (error) =>
      isOutpostError(error) &&
      /did not accept this computer's new network address/.test(error.message) &&
      /UNEXPECTED_NAT_DETECTED/.test(error.detail ?? '') &&
      !isFinal(error),
  );
});

test("the gateway's COOKIE2 comes back as it was, and its NAT detection gets ours; a bare liveness check gets nothing", () => {
  const cookie2 = randomBytes(20);
  const request = [notify(NotifyType.COOKIE2, cookie2), ...natDetectionNotifies(sa, moved.remote, moved.local)];
  const answer = answerPathChecks(request, sa, moved);
  assert.deepEqual(findNotify(answer, NotifyType.COOKIE2)!.data, cookie2);
  assert.deepEqual(
    findNotify(answer, NotifyType.NAT_DETECTION_SOURCE_IP)!.data,
    natDetectionHash(sa, '192.0.2.3', 41000),
  );
  assert.deepEqual(
    findNotify(answer, NotifyType.NAT_DETECTION_DESTINATION_IP)!.data,
    natDetectionHash(sa, '192.0.2.1', 4500),
  );
  assert.deepEqual(answerPathChecks([], sa, moved), []);
});

test("the gateway's own UPDATE_SA_ADDRESSES is answered through the responder like any INFORMATIONAL", () => {
  const cookie2 = randomBytes(8);
  const { response, outcome } = answerRequest(
    {
      exchange: ExchangeType.INFORMATIONAL,
      messageId: 3,
      payloads: [
        notify(NotifyType.UPDATE_SA_ADDRESSES),
        ...natDetectionNotifies(sa, moved.remote, moved.local),
        notify(NotifyType.COOKIE2, cookie2),
      ],
    },
    { sa, config: testSessionConfig(), children: [], mayCreate: true, path: moved },
  );
  assert.deepEqual(outcome, { kind: 'alive' });
  assert.deepEqual(findNotify(response, NotifyType.COOKIE2)!.data, cookie2);
  assert.ok(findNotify(response, NotifyType.NAT_DETECTION_SOURCE_IP));
});
