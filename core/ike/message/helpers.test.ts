import assert from 'node:assert/strict';
import { test } from 'node:test';
import { fromHex } from '../../../test/support/hex.js';
import { NotifyType, PayloadType, ProtocolId } from '../../iana.js';
import {
  findCriticalUnrecognized,
  findErrorNotify,
  findNotifies,
  findNotify,
  findPayload,
  findPayloads,
  notify,
} from './helpers.js';
import type { IdPayload, Payload } from './types.js';

const idr: IdPayload = { type: PayloadType.IDr, idType: 2, data: fromHex('6777') };
const payloads: Payload[] = [
  { type: PayloadType.IDi, idType: 2, data: fromHex('6161') },
  notify(NotifyType.NAT_DETECTION_SOURCE_IP, fromHex('01')),
  idr,
  notify(NotifyType.NAT_DETECTION_SOURCE_IP, fromHex('02')),
  { type: 'unrecognized', payloadType: 99, critical: false, body: fromHex('') },
  notify(NotifyType.TS_UNACCEPTABLE),
  { type: 'unrecognized', payloadType: 100, critical: true, body: fromHex('') },
  notify(20000),
];

test('notify() fills in an SPI-less notify by default, or the SPI given', () => {
  assert.deepEqual(notify(NotifyType.INITIAL_CONTACT), {
    type: PayloadType.NOTIFY,
    protocol: 0,
    spi: new Uint8Array(0),
    notifyType: NotifyType.INITIAL_CONTACT,
    data: new Uint8Array(0),
  });
  assert.deepEqual(notify(NotifyType.REKEY_SA, fromHex(''), ProtocolId.ESP, fromHex('01020304')), {
    type: PayloadType.NOTIFY,
    protocol: ProtocolId.ESP,
    spi: fromHex('01020304'),
    notifyType: NotifyType.REKEY_SA,
    data: fromHex(''),
  });
});

test('findPayload distinguishes IDi from IDr and returns the typed payload', () => {
  const found = findPayload(payloads, PayloadType.IDr);
  assert.equal(found, idr);
  assert.equal(found?.idType, 2); // typed as IdPayload: idType is accessible without narrowing
  assert.equal(findPayload(payloads, PayloadType.AUTH), undefined);
  assert.equal(findPayloads(payloads, PayloadType.NOTIFY).length, 4);
});

test('findNotify and findNotifies match on the notify type', () => {
  assert.deepEqual(findNotify(payloads, NotifyType.NAT_DETECTION_SOURCE_IP)?.data, fromHex('01'));
  assert.deepEqual(
    findNotifies(payloads, NotifyType.NAT_DETECTION_SOURCE_IP).map((n) => n.data),
    [fromHex('01'), fromHex('02')],
  );
  assert.equal(findNotify(payloads, NotifyType.COOKIE), undefined);
});

test('findErrorNotify returns the first notify below 16384, skipping status notifies', () => {
  assert.equal(findErrorNotify(payloads)?.notifyType, NotifyType.TS_UNACCEPTABLE);
  assert.equal(findErrorNotify([notify(NotifyType.INITIAL_CONTACT), notify(16383)])?.notifyType, 16383);
  assert.equal(findErrorNotify([notify(NotifyType.COOKIE)]), undefined);
});

test('findCriticalUnrecognized ignores unrecognized payloads without the critical bit', () => {
  assert.equal(findCriticalUnrecognized(payloads)?.payloadType, 100);
  assert.equal(findCriticalUnrecognized(payloads.slice(0, 6)), undefined);
});
