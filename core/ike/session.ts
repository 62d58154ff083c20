/**
 * One VPN connection from the initiator's side as a sans-I/O state machine: it takes datagrams and the current time
 * and queues datagrams to send and events; the caller owns sockets and the one timer (`nextDeadline`). It keeps
 * message IDs per IKE SA, retransmits with exponential backoff (RFC 7296 §2.1), fragments and reassembles (RFC
 * 7383), runs the tasks of each exchange, keeps the tunnel alive (CHILD_SA and IKE SA rekeys, liveness checks) and
 * tells the edge which CHILD_SA keys to use for ESP.
 */
import { randomBytes } from '../crypto/random.js';
import { DecodeError, isOutpostError, OutpostError } from '../errors.js';
import type { ChildSa } from './child-sa.js';
import type { SessionConfig } from './config.js';
import type { AssignedConfig } from './config-payload.js';
import { IkeSa, type PendingRequest } from './ike-sa.js';
import {
  decodeMessage,
  ExchangeType,
  encodeMessage,
  findCriticalUnrecognized,
  findPayload,
  PayloadType,
  ProtocolId,
} from './message/index.js';
import type { IkeMessage, Payload } from './message/types.js';
import { formatTransforms } from './proposals.js';
import { ChildCreateTask } from './tasks/child-create.js';
import { answerChildRekey, ChildRekeyTask } from './tasks/child-rekey.js';
import { type GatewayIdentity, IkeAuthTask } from './tasks/ike-auth.js';
import { IkeConfigTask } from './tasks/ike-config.js';
import { IkeInitTask } from './tasks/ike-init.js';
import { answerIkeRekey, IkeRekeyTask } from './tasks/ike-rekey.js';
import { answerInformational, deleteChildSa, deleteIkeSa } from './tasks/informational.js';
import { formatSelector } from './traffic-selectors.js';

export interface ConnectResult {
  ikeAlgorithms: string;
  espAlgorithms: string;
  natDetected: boolean;
  gateway: GatewayIdentity;
  config: AssignedConfig;
  localTs: string[];
  remoteTs: string[];
  child: ChildSa;
}

export type SessionEvent =
  | { type: 'progress'; message: string }
  | { type: 'established'; result: ConnectResult }
  /** New CHILD_SA keys: install its inbound SA; when `outbound`, send with it from now on. */
  | { type: 'child-installed'; child: ChildSa; outbound: boolean }
  /** Send with this (already installed) CHILD_SA from now on. */
  | { type: 'child-outbound'; child: ChildSa }
  /** Remove this CHILD_SA's inbound SA. */
  | { type: 'child-removed'; child: ChildSa }
  | { type: 'rekeyed'; what: 'child' | 'ike' }
  | { type: 'closed'; error: OutpostError | undefined };

export interface Outgoing {
  data: Uint8Array;
  /** Send from/to UDP 4500 with the non-ESP marker. */
  natT: boolean;
}

export interface SessionCounters {
  dropped: number;
  retransmits: number;
  childRekeys: number;
  ikeRekeys: number;
  livenessChecks: number;
}

type State = 'idle' | 'init' | 'auth' | 'established' | 'deleting' | 'closed';

export class IkeSession {
  private state: State = 'idle';
  private sa = new IkeSa(true, randomBytes(8));
  /** Older IKE SAs after a rekey, until the gateway deletes them. */
  private retiring: IkeSa[] = [];
  private natT = false;
  private readonly init: IkeInitTask;
  private readonly auth: IkeAuthTask;
  private readonly ikeConfig: IkeConfigTask;
  private readonly child: ChildCreateTask;
  private children: ChildSa[] = [];
  /** CHILD_SAs replaced by a rekey whose old half we still receive on until it is deleted. */
  private replaced = new Set<ChildSa>();
  private rekeying: ChildSa | undefined;
  private ikeRekeying = false;
  private lastInbound = 0;
  private outbox: Outgoing[] = [];
  private events: SessionEvent[] = [];
  readonly counters: SessionCounters = { dropped: 0, retransmits: 0, childRekeys: 0, ikeRekeys: 0, livenessChecks: 0 };

  constructor(private readonly config: SessionConfig) {
    const progress = (message: string) => this.events.push({ type: 'progress', message });
    this.init = new IkeInitTask(config, this.sa);
    this.auth = new IkeAuthTask(config, this.sa, progress);
    this.ikeConfig = new IkeConfigTask(config.requestIpv6);
    this.child = new ChildCreateTask(config, this.sa);
  }

  get isClosed(): boolean {
    return this.state === 'closed';
  }

  /** Everything queued since the last call: datagrams to send and events to report. */
  take(): { send: Outgoing[]; events: SessionEvent[] } {
    const out = { send: this.outbox, events: this.events };
    this.outbox = [];
    this.events = [];
    return out;
  }

  nextDeadline(): number | undefined {
    const deadlines = [this.sa.pending?.deadline, ...this.retiring.map((s) => s.pending?.deadline)];
    if (this.state === 'established' && !this.sa.pending) {
      deadlines.push(this.livenessDue(), this.ikeRekeyDue(), ...this.children.map((c) => this.rekeyDue(c)));
    }
    const defined = deadlines.filter((d): d is number => d !== undefined);
    return defined.length === 0 ? undefined : Math.min(...defined);
  }

  private livenessDue(): number {
    return this.lastInbound + this.config.liveness.idleMs;
  }

  private rekeyDue(child: ChildSa): number | undefined {
    if (this.replaced.has(child) || this.rekeying) return undefined;
    return child.createdAt + this.config.childRekeyMs;
  }

  private ikeRekeyDue(): number | undefined {
    return this.ikeRekeying ? undefined : this.sa.createdAt + this.config.ikeRekeyMs;
  }

  /** Valid ESP from the gateway proves it alive as well as an IKE message would (RFC 7296 §2.4). */
  noteInbound(now: number): void {
    this.lastInbound = now;
  }

  start(now: number): void {
    if (this.state !== 'idle') throw new Error('session already started');
    this.state = 'init';
    this.lastInbound = now;
    this.events.push({ type: 'progress', message: `Contacting gateway ${this.config.remote.address}` });
    this.sendInit(now);
  }

  /** Ends the session: deletes the IKE SA at the gateway (RFC 7296 §1.4.1) when one exists. */
  close(now: number): void {
    if (this.state === 'closed' || this.state === 'deleting') return;
    if (this.state === 'idle' || this.state === 'init' || !this.sa.crypto) {
      this.finish(undefined);
      return;
    }
    this.state = 'deleting';
    this.sa.pending = undefined;
    this.sa.queue.length = 0;
    this.request(this.sa, ExchangeType.INFORMATIONAL, deleteIkeSa(), now, () => this.finish(undefined));
  }

  /** The ESP engine says this CHILD_SA's sequence numbers run out: rekey it now (RFC 4303 §3.3.3). */
  rekeyChild(child: ChildSa, now: number): void {
    if (this.state !== 'established' || this.rekeying || this.replaced.has(child)) return;
    this.startChildRekey(child, now);
  }

  tick(now: number): void {
    for (const sa of [this.sa, ...this.retiring]) {
      const pending = sa.pending;
      if (!pending || now < pending.deadline) continue;
      if (pending.sends > this.config.retransmit.retries) {
        sa.pending = undefined;
        if (sa !== this.sa) {
          this.retiring = this.retiring.filter((r) => r !== sa);
        } else if (this.state === 'deleting') this.finish(undefined);
        else {
          const lost = this.state === 'established';
          this.fail(
            new OutpostError(
              'gateway-timeout',
              lost
                ? 'The connection to the VPN gateway was lost.'
                : 'The VPN gateway is not answering. Check your internet connection, or try again later.',
              { detail: `no response to message ${pending.messageId} after ${pending.sends} sends` },
            ),
          );
        }
        continue;
      }
      this.counters.retransmits++;
      this.transmit(pending, now);
    }
    if (this.state !== 'established' || this.sa.pending) return;
    const due = this.children.find((c) => {
      const at = this.rekeyDue(c);
      return at !== undefined && now >= at;
    });
    const ikeDue = this.ikeRekeyDue();
    if (ikeDue !== undefined && now >= ikeDue) this.startIkeRekey(now);
    else if (due) this.startChildRekey(due, now);
    else if (now >= this.livenessDue()) {
      // RFC 7296 §2.4: an empty INFORMATIONAL request; its retransmission budget decides the peer is dead
      this.counters.livenessChecks++;
      this.request(this.sa, ExchangeType.INFORMATIONAL, [], now, () => {});
    }
  }

  receive(raw: Uint8Array, now: number): void {
    if (this.state === 'closed' || this.state === 'idle') return;
    try {
      this.dispatch(raw, now);
    } catch (error) {
      if (error instanceof DecodeError) {
        // a forged or broken datagram must not tear down the SA (RFC 7296 §2.21.1): drop it
        this.counters.dropped++;
        return;
      }
      this.fail(isOutpostError(error) ? error : internalError(error));
    }
  }

  private findSa(message: IkeMessage): IkeSa {
    const { header } = message;
    if (this.state === 'init') {
      // the responder SPI is not known before the IKE_SA_INIT answer
      if (Buffer.compare(header.spiI, this.sa.spiI) !== 0 || header.initiator) throw new DecodeError('not our IKE SA');
      return this.sa;
    }
    const sa = [this.sa, ...this.retiring].find((s) => s.matches(header.spiI, header.spiR));
    if (!sa || header.initiator === sa.weInitiated) throw new DecodeError('not our IKE SA');
    return sa;
  }

  private dispatch(raw: Uint8Array, now: number): void {
    const message = decodeMessage(raw);
    const sa = this.findSa(message);
    const critical = findCriticalUnrecognized(message.payloads);
    // RFC 7296 §2.5 would have a responder answer UNSUPPORTED_CRITICAL_PAYLOAD; we drop the message
    if (critical) throw new DecodeError(`unsupported critical payload ${critical.payloadType}`);
    if (message.header.response) this.onResponse(sa, message, raw, now);
    else this.onRequest(sa, message, raw, now);
  }

  private onResponse(sa: IkeSa, message: IkeMessage, raw: Uint8Array, now: number): void {
    const pending = sa.pending;
    const { header } = message;
    if (!pending || header.messageId !== pending.messageId || header.exchange !== pending.exchange) {
      throw new DecodeError('response to no outstanding request');
    }
    let payloads: Payload[];
    if (header.exchange === ExchangeType.IKE_SA_INIT) payloads = message.payloads;
    else {
      const opened = this.unprotect(sa, message, raw, sa.responseFragments);
      if (!opened) return; // more fragments to come
      payloads = opened;
      this.lastInbound = now;
    }
    sa.pending = undefined;
    try {
      if (header.exchange === ExchangeType.IKE_SA_INIT) this.onInit(message, raw, now);
      else pending.onResponse(payloads, now);
    } catch (error) {
      if (!(error instanceof DecodeError)) throw error;
      // an unauthenticated IKE_SA_INIT answer may be forged: keep waiting for the real one (RFC 7296 §2.21.1)
      if (header.exchange === ExchangeType.IKE_SA_INIT) {
        sa.pending = pending;
        throw error;
      }
      throw new OutpostError('gateway-error', 'The gateway sent an answer this app could not use. Tell IT.', {
        detail: error.detail,
      });
    }
    sa.queue.shift()?.(now);
  }

  /** Decrypts SK, or collects SKF fragments; undefined while fragments are missing. */
  private unprotect(
    sa: IkeSa,
    message: IkeMessage,
    raw: Uint8Array,
    collector: IkeSa['responseFragments'],
  ): Payload[] | undefined {
    const { protection } = sa.established;
    const last = message.payloads.at(-1);
    if (last?.type === PayloadType.SKF) {
      return collector.add(message.header.messageId, protection.openFragment(raw, message));
    }
    return protection.open(raw, message);
  }

  private onRequest(sa: IkeSa, message: IkeMessage, raw: Uint8Array, now: number): void {
    const { header } = message;
    if (!sa.crypto) throw new DecodeError('request before the IKE SA exists');
    if (header.messageId === sa.peerMessageId - 1 && sa.lastAnswer?.messageId === header.messageId) {
      // the gateway did not get our answer: send the same bytes again (RFC 7296 §2.1)
      for (const data of sa.lastAnswer.datagrams) this.outbox.push({ data, natT: this.natT });
      return;
    }
    if (header.messageId !== sa.peerMessageId) throw new DecodeError('request with unexpected message ID');
    const payloads = this.unprotect(sa, message, raw, sa.requestFragments);
    if (!payloads) return;
    sa.peerMessageId++;
    this.lastInbound = now;

    if (header.exchange === ExchangeType.INFORMATIONAL) {
      const { response, outcome } = answerInformational(payloads, this.children);
      this.answer(sa, header.exchange, header.messageId, response);
      if (outcome.kind === 'ike-deleted') this.onIkeDeleted(sa);
      else if (outcome.kind === 'children-deleted') this.onChildrenDeleted(outcome.children);
      return;
    }
    if (header.exchange === ExchangeType.CREATE_CHILD_SA && this.state === 'established' && sa === this.sa) {
      this.onCreateChildRequest(header.messageId, payloads, now);
      return;
    }
    throw new DecodeError(`unexpected ${header.exchange} request from the gateway`);
  }

  private onCreateChildRequest(messageId: number, payloads: Payload[], now: number): void {
    const sa = findPayload(payloads, PayloadType.SA);
    if (sa?.proposals.some((p) => p.protocol === ProtocolId.IKE)) {
      const { response, rekeyed } = answerIkeRekey(payloads, this.sa, this.config);
      this.answer(this.sa, ExchangeType.CREATE_CHILD_SA, messageId, response);
      if (!rekeyed) return;
      // the old SA stays until the gateway deletes it; everything new happens on the new one
      this.retiring.push(this.sa);
      rekeyed.createdAt = now;
      this.sa = rekeyed;
      this.counters.ikeRekeys++;
      this.events.push({ type: 'rekeyed', what: 'ike' });
      return;
    }
    const { response, created } = answerChildRekey(payloads, this.sa, this.config, this.children, now);
    this.answer(this.sa, ExchangeType.CREATE_CHILD_SA, messageId, response);
    if (!created) return;
    // make-before-break: receive on the new SA now, send on it once the gateway deletes the old one
    this.children.push(created.child);
    this.replaced.add(created.replaces);
    this.events.push({ type: 'child-installed', child: created.child, outbound: false });
    this.counters.childRekeys++;
    this.events.push({ type: 'rekeyed', what: 'child' });
  }

  private onChildrenDeleted(deleted: ChildSa[]): void {
    for (const old of deleted) {
      this.children = this.children.filter((c) => c !== old);
      const successor = this.successorOf(old);
      this.replaced.delete(old);
      if (successor) this.events.push({ type: 'child-outbound', child: successor });
      this.events.push({ type: 'child-removed', child: old });
    }
    if (this.children.length === 0) {
      this.fail(new OutpostError('gateway-error', 'The gateway ended the tunnel.', { detail: 'CHILD_SA deleted' }));
    }
  }

  /** The CHILD_SA created last that is not itself replaced: where traffic goes after `old`. */
  private successorOf(old: ChildSa): ChildSa | undefined {
    if (!this.replaced.has(old)) return undefined;
    return [...this.children].reverse().find((c) => !this.replaced.has(c));
  }

  private onIkeDeleted(sa: IkeSa): void {
    if (sa !== this.sa) {
      this.retiring = this.retiring.filter((r) => r !== sa);
      return;
    }
    this.finish(
      new OutpostError('gateway-error', 'The gateway ended the connection.', { detail: 'IKE SA deleted by peer' }),
    );
  }

  /** Make-before-break for the IKE SA: move to the new SA, then delete the old one on the old one. */
  private startIkeRekey(now: number): void {
    const old = this.sa;
    const task = new IkeRekeyTask(this.config, old);
    this.ikeRekeying = true;
    const send = () =>
      this.request(old, ExchangeType.CREATE_CHILD_SA, task.build(), now, (payloads, at) => {
        let result: IkeSa | 'retry';
        try {
          result = task.process(payloads);
        } catch (error) {
          this.ikeRekeying = false;
          old.createdAt = at;
          this.events.push({ type: 'progress', message: `IKE rekey refused: ${errorText(error)}` });
          return;
        }
        if (result === 'retry') {
          send();
          return;
        }
        this.ikeRekeying = false;
        result.createdAt = at;
        this.sa = result;
        this.retiring.push(old);
        this.counters.ikeRekeys++;
        this.events.push({ type: 'rekeyed', what: 'ike' });
        this.request(old, ExchangeType.INFORMATIONAL, deleteIkeSa(), at, () => {
          this.retiring = this.retiring.filter((r) => r !== old);
        });
      });
    send();
  }

  private startChildRekey(old: ChildSa, now: number): void {
    const task = new ChildRekeyTask(this.config, this.sa, old);
    this.rekeying = old;
    const send = () =>
      this.request(this.sa, ExchangeType.CREATE_CHILD_SA, task.build(), now, (payloads, at) => {
        let result: ChildSa | 'retry';
        try {
          result = task.process(payloads, at);
        } catch (error) {
          // a refused rekey is not the end of the tunnel: the old SA keeps working, try again later
          this.rekeying = undefined;
          old.createdAt = at;
          this.events.push({ type: 'progress', message: `Rekey refused: ${errorText(error)}` });
          return;
        }
        if (result === 'retry') {
          send();
          return;
        }
        this.rekeying = undefined;
        this.children.push(result);
        this.replaced.add(old);
        this.counters.childRekeys++;
        this.events.push(
          { type: 'child-installed', child: result, outbound: true },
          { type: 'rekeyed', what: 'child' },
        );
        this.request(this.sa, ExchangeType.INFORMATIONAL, deleteChildSa(old), at, () => {
          this.children = this.children.filter((c) => c !== old);
          this.replaced.delete(old);
          this.events.push({ type: 'child-removed', child: old });
        });
      });
    send();
  }

  private answer(sa: IkeSa, exchange: number, messageId: number, payloads: Payload[]): void {
    const header = sa.header(exchange, messageId, true);
    const datagrams = this.protect(sa, header, payloads);
    sa.lastAnswer = { messageId, datagrams };
    for (const data of datagrams) this.outbox.push({ data, natT: this.natT });
  }

  private protect(sa: IkeSa, header: ReturnType<IkeSa['header']>, payloads: Payload[]): Uint8Array[] {
    const maxDatagram = sa.peerFragmentation ? this.config.maxDatagram : undefined;
    return sa.established.protection.seal(header, payloads, maxDatagram);
  }

  private sendInit(now: number): void {
    const header = this.sa.header(ExchangeType.IKE_SA_INIT, 0, false);
    const data = encodeMessage(header, this.init.build());
    this.sa.initRequest = data;
    this.sa.nextMessageId = 1;
    this.startRequest(this.sa, { messageId: 0, exchange: ExchangeType.IKE_SA_INIT, datagrams: [data] }, now);
  }

  private onInit(message: IkeMessage, raw: Uint8Array, now: number): void {
    const outcome = this.init.process(message, raw);
    if (outcome.kind === 'retry') {
      this.sendInit(now);
      return;
    }
    this.natT = this.sa.natDetected;
    const { suite } = this.sa.established;
    this.events.push({ type: 'progress', message: `IKE SA negotiated: ${formatTransforms(suite.transforms)}` });
    this.state = 'auth';
    const first = [...this.auth.build(), ...this.ikeConfig.build(), ...this.child.build()];
    this.request(this.sa, ExchangeType.IKE_AUTH, first, now, this.onAuth);
  }

  private readonly onAuth = (payloads: Payload[], now: number): void => {
    if (!this.auth.process(payloads)) {
      this.request(this.sa, ExchangeType.IKE_AUTH, this.auth.build(), now, this.onAuth);
      return;
    }
    const config = this.ikeConfig.process(payloads);
    const child = this.child.process(payloads, now);
    this.children = [child];
    this.sa.createdAt = now;
    this.state = 'established';
    this.events.push(
      {
        type: 'established',
        result: {
          ikeAlgorithms: formatTransforms(this.sa.established.suite.transforms),
          espAlgorithms: formatTransforms(child.suite.transforms),
          natDetected: this.sa.natDetected,
          gateway: this.auth.gateway!,
          config,
          localTs: child.localTs.map(formatSelector),
          remoteTs: child.remoteTs.map(formatSelector),
          child,
        },
      },
      { type: 'child-installed', child, outbound: true },
    );
  };

  /** Sends a request on `sa`, or queues it while another is outstanding (window size 1). */
  private request(
    sa: IkeSa,
    exchange: number,
    payloads: Payload[],
    now: number,
    onResponse: PendingRequest['onResponse'],
  ): void {
    const send = (at: number) => {
      const messageId = sa.nextMessageId++;
      const datagrams = this.protect(sa, sa.header(exchange, messageId, false), payloads);
      this.startRequest(sa, { messageId, exchange, datagrams, onResponse }, at);
    };
    if (sa.pending) sa.queue.push(send);
    else send(now);
  }

  private startRequest(
    sa: IkeSa,
    request: Omit<PendingRequest, 'sends' | 'deadline' | 'onResponse'> & { onResponse?: PendingRequest['onResponse'] },
    now: number,
  ): void {
    const pending: PendingRequest = { onResponse: () => {}, ...request, sends: 0, deadline: now };
    sa.pending = pending;
    this.transmit(pending, now);
  }

  private transmit(pending: PendingRequest, now: number): void {
    const { initialMs, factor } = this.config.retransmit;
    for (const data of pending.datagrams) this.outbox.push({ data, natT: this.natT });
    pending.deadline = now + initialMs * factor ** pending.sends;
    pending.sends++;
  }

  /** A failure: tell the gateway we are gone when it knows our SA, then report. */
  private fail(error: OutpostError): void {
    if (this.state === 'closed') return;
    if (this.sa.crypto && this.state !== 'deleting') {
      const header = this.sa.header(ExchangeType.INFORMATIONAL, this.sa.nextMessageId++, false);
      for (const data of this.protect(this.sa, header, deleteIkeSa())) this.outbox.push({ data, natT: this.natT });
    }
    this.finish(error);
  }

  private finish(error: OutpostError | undefined): void {
    this.state = 'closed';
    this.sa.pending = undefined;
    for (const child of this.children) this.events.push({ type: 'child-removed', child });
    this.children = [];
    this.events.push({ type: 'closed', error });
  }
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function internalError(error: unknown): OutpostError {
  const detail = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  return new OutpostError('gateway-error', 'Something went wrong while talking to the gateway.', {
    detail,
    cause: error,
  });
}
