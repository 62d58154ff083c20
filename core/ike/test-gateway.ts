/**
 * A fake PSK gateway for session tests: the responder's side of one IKE SA, speaking just enough IKEv2 (IKE_SA_INIT,
 * one IKE_AUTH, INFORMATIONAL answers and requests) to bring an IkeSession to 'established' with bytes alone.
 */
import assert from 'node:assert/strict';
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
  GatewayIdentType,
  IdType,
  NotifyType,
  notify,
  PayloadType,
} from './message/index.js';
import type { IdPayload, IkeHeader, IkeMessage, Payload } from './message/types.js';
import { parseIp } from '../net/address.js';
import { natDetectionNotifies } from './nat-detection.js';
import { MessageProtection } from './protection.js';
import { IkeSession, type Outgoing, type SessionEvent } from './session.js';
import { ikeSuite, selectProposal, transformsByType } from './suite.js';
import { testSessionConfig } from './test-support.js';

export const config = testSessionConfig();
export const GATEWAY = { address: config.remote.address, port: 500 };
export const GATEWAY_NAT_T = { address: config.remote.address, port: 4500 };
export const MOVED = { address: '192.0.2.3', port: 41000 };

/** What the session sent, as the session or a Connection queued it (the gateway reads the bytes alone). */
type Sent = Pick<Outgoing, 'data'>;

/** The responder's side of one IKE SA, PSK both ways, no NAT on the path. */
export class FakeGateway {
  private spis: { spiI: Uint8Array; spiR: Uint8Array } = { spiI: new Uint8Array(8), spiR: randomBytes(8) };
  private protection: MessageProtection | undefined;
  /** The gateway's PSK AUTH over its IKE_SA_INIT answer, once that was sent. */
  private gatewayAuth: ((idr: IdPayload) => Uint8Array) | undefined;

  answerInit({ data }: Sent): Uint8Array {
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

  /** An IKE_SA_INIT answer that only sends the client to `to` (RFC 5685 §4.2), echoing its nonce unless told `nonce`. */
  redirectInit({ data }: Sent, to: string, nonce?: Uint8Array): Uint8Array {
    const { header, payloads } = decodeMessage(data);
    const nonceI = nonce ?? findPayload(payloads, PayloadType.NONCE)!.data;
    return encodeMessage(this.responseHeader({ ...header, spiR: new Uint8Array(8) }), [
      notify(NotifyType.REDIRECT, redirectData(to, nonceI)),
    ]);
  }

  answerAuth(request: Sent, mobike: boolean, extra: Payload[] = []): Uint8Array {
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
    return this.seal(message.header, [...answer, ...extra]);
  }

  open({ data }: Sent): { message: IkeMessage; payloads: Payload[] } {
    const message = decodeMessage(data);
    return { message, payloads: this.protection!.open(data, message) };
  }

  seal(request: IkeHeader, payloads: Payload[]): Uint8Array {
    return this.protection!.seal(this.responseHeader(request), payloads)[0]!;
  }

  /** What the gateway answers an UPDATE_SA_ADDRESSES with when it saw it come from `from`. */
  answerUpdate(request: Sent, from = MOVED): Uint8Array {
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

/** REDIRECT's data (RFC 5685 §10): an address as type 1 or 2, anything else as an FQDN (type 3), then the nonce. */
export function redirectData(to: string, nonce: Uint8Array = new Uint8Array(0)): Uint8Array {
  const address = parseIp(to);
  const [type, identity] = address
    ? [address.length === 4 ? GatewayIdentType.IPV4_ADDR : GatewayIdentType.IPV6_ADDR, address]
    : [GatewayIdentType.FQDN, Buffer.from(to, 'latin1')];
  return Uint8Array.from([type, identity.length, ...identity, ...nonce]);
}

export function only(session: IkeSession): Outgoing {
  const { send } = session.take();
  assert.equal(send.length, 1);
  return send[0]!;
}

export function established(mobike: boolean): { session: IkeSession; gateway: FakeGateway; auth: Outgoing } {
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
