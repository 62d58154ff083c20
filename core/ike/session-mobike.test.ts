/**
 * MOBIKE through the whole session, against a fake PSK gateway that speaks just enough IKEv2 (IKE_SA_INIT, one
 * IKE_AUTH, INFORMATIONAL answers): the offer and the float to 4500, what the gateway's answer decides, the move
 * itself, and a request that was outstanding when the address changed.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { randomBytes } from '../crypto/random.js';
import { getDhGroup } from '../crypto/registry.js';
import { sharedKeyAuth, signedOctets } from './auth.js';
import { deriveIkeKeys } from './keys.js';
import {
  CfgAttr,
  CfgType,
  decodeMessage,
  ExchangeType,
  encodeMessage,
  findNotify,
  findPayload,
  IdType,
  NotifyType,
  notify,
  PayloadType,
} from './message/index.js';
import type { IdPayload, IkeHeader, IkeMessage, Payload } from './message/types.js';
import { natDetectionHash, natDetectionNotifies } from './nat-detection.js';
import { MessageProtection } from './protection.js';
import { IkeSession, type Outgoing, type SessionEvent } from './session.js';
import { ikeSuite, selectProposal, transformsByType } from './suite.js';
import { testSessionConfig } from './test-support.js';

const config = testSessionConfig();
const GATEWAY = { address: config.remote.address, port: 500 };
const GATEWAY_NAT_T = { address: config.remote.address, port: 4500 };
const MOVED = { address: '192.0.2.3', port: 41000 };

/** The responder's side of one IKE SA, PSK both ways, no NAT on the path. */
class FakeGateway {
  private spis: { spiI: Uint8Array; spiR: Uint8Array } = { spiI: new Uint8Array(8), spiR: randomBytes(8) };
  private protection: MessageProtection | undefined;
  /** The gateway's PSK AUTH over its IKE_SA_INIT answer, once that was sent. */
  private gatewayAuth: ((idr: IdPayload) => Uint8Array) | undefined;

  answerInit({ data }: Outgoing): Uint8Array {
    const { header, payloads } = decodeMessage(data);
    const proposal = selectProposal(findPayload(payloads, PayloadType.SA)!.proposals, config.ikeProposals)!;
    const suite = ikeSuite(transformsByType(proposal));
    const ke = findPayload(payloads, PayloadType.KE)!;
    const keyPair = getDhGroup(ke.group)!.generate();
    const nonceI = findPayload(payloads, PayloadType.NONCE)!.data;
    const nonceR = randomBytes(32);
    this.spis.spiI = header.spiI;
    const response = encodeMessage(this.responseHeader(header), [
      { type: PayloadType.SA, proposals: [proposal] },
      { type: PayloadType.KE, group: ke.group, data: keyPair.publicValue },
      { type: PayloadType.NONCE, data: nonceR },
      ...natDetectionNotifies(this.spis, GATEWAY, config.local),
    ]);
    const keys = deriveIkeKeys({
      suite,
      sharedSecret: keyPair.computeShared(ke.data),
      ni: nonceI,
      nr: nonceR,
      ...this.spis,
    });
    this.protection = new MessageProtection(suite, keys, false);
    this.gatewayAuth = (idr) =>
      sharedKeyAuth(suite.prf, Buffer.from('secret'), signedOctets(response, nonceI, suite.prf, keys.skPr, idr));
    return response;
  }

  answerAuth(request: Outgoing, mobike: boolean): Uint8Array {
    const { message, payloads } = this.open(request);
    const idr: IdPayload = { type: PayloadType.IDr, idType: IdType.FQDN, data: Buffer.from('gw.example.test') };
    const sa = findPayload(payloads, PayloadType.SA)!;
    const answer: Payload[] = [
      idr,
      { type: PayloadType.AUTH, method: 2, data: this.gatewayAuth!(idr) },
      {
        type: PayloadType.CP,
        cfgType: CfgType.REPLY,
        attributes: [{ attrType: CfgAttr.INTERNAL_IP4_ADDRESS, value: Uint8Array.of(203, 0, 113, 5) }],
      },
      { type: PayloadType.SA, proposals: [{ ...sa.proposals[0]!, spi: randomBytes(4) }] },
      findPayload(payloads, PayloadType.TSi)!,
      findPayload(payloads, PayloadType.TSr)!,
    ];
    if (mobike) answer.push(notify(NotifyType.MOBIKE_SUPPORTED));
    return this.seal(message.header, answer);
  }

  open({ data }: Outgoing): { message: IkeMessage; payloads: Payload[] } {
    const message = decodeMessage(data);
    return { message, payloads: this.protection!.open(data, message) };
  }

  seal(request: IkeHeader, payloads: Payload[]): Uint8Array {
    return this.protection!.seal(this.responseHeader(request), payloads)[0]!;
  }

  /** What the gateway answers an UPDATE_SA_ADDRESSES with when it saw it come from `from`. */
  answerUpdate(request: Outgoing, from = MOVED): Uint8Array {
    const { message, payloads } = this.open(request);
    const cookie2 = findNotify(payloads, NotifyType.COOKIE2)!;
    return this.seal(message.header, [
      ...natDetectionNotifies(this.spis, GATEWAY_NAT_T, from),
      notify(NotifyType.COOKIE2, cookie2.data),
    ]);
  }

  /** The gateway's own first INFORMATIONAL request. */
  request(payloads: Payload[]): Uint8Array {
    const header: IkeHeader = {
      ...this.spis,
      exchange: ExchangeType.INFORMATIONAL,
      initiator: false,
      response: false,
      messageId: 0,
    };
    return this.protection!.seal(header, payloads)[0]!;
  }

  get spiPair() {
    return this.spis;
  }

  private responseHeader(request: IkeHeader): IkeHeader {
    return { ...request, spiR: this.spis.spiR, initiator: false, response: true };
  }
}

function only(session: IkeSession): Outgoing {
  const { send } = session.take();
  assert.equal(send.length, 1);
  return send[0]!;
}

function established(mobike: boolean): { session: IkeSession; gateway: FakeGateway; auth: Outgoing } {
  const session = new IkeSession(config);
  const gateway = new FakeGateway();
  session.start(0);
  session.receive(gateway.answerInit(only(session)), 10);
  const auth = only(session);
  session.receive(gateway.answerAuth(auth, mobike), 20);
  const events = session.take().events;
  assert.ok(
    events.some((e) => e.type === 'established'),
    JSON.stringify(events.map((e: SessionEvent) => (e.type === 'closed' ? e.error?.message : e.type))),
  );
  return { session, gateway, auth };
}

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
