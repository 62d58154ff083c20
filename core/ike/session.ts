/**
 * One IKE SA from the initiator's side as a sans-I/O state machine: it takes datagrams and the current time and
 * queues datagrams to send and events; the caller owns sockets and the one timer (`nextDeadline`). It keeps message
 * IDs, retransmits with exponential backoff (RFC 7296 §2.1), fragments and reassembles (RFC 7383), and runs the
 * tasks of each exchange.
 */
import { randomBytes } from '../crypto/random.js';
import { DecodeError, OutpostError, isOutpostError } from '../errors.js';
import type { AssignedConfig } from './config-payload.js';
import type { SessionConfig } from './config.js';
import { IkeSa } from './ike-sa.js';
import { ExchangeType, PayloadType, decodeMessage, encodeMessage, findCriticalUnrecognized } from './message/index.js';
import type { IkeMessage, Payload } from './message/types.js';
import { formatTransforms } from './proposals.js';
import { FragmentCollector } from './protection.js';
import { type ChildSa, ChildCreateTask } from './tasks/child-create.js';
import { type GatewayIdentity, IkeAuthTask } from './tasks/ike-auth.js';
import { IkeConfigTask } from './tasks/ike-config.js';
import { IkeInitTask } from './tasks/ike-init.js';
import { answerInformational, deleteIkeSa, refuseCreateChild } from './tasks/informational.js';
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
  | { type: 'closed'; error: OutpostError | undefined };

export interface Outgoing {
  data: Uint8Array;
  /** Send from/to UDP 4500 with the non-ESP marker. */
  natT: boolean;
}

export interface SessionCounters {
  dropped: number;
  retransmits: number;
}

type State = 'idle' | 'init' | 'auth' | 'established' | 'deleting' | 'closed';

interface PendingRequest {
  messageId: number;
  exchange: number;
  datagrams: Uint8Array[];
  sends: number;
  deadline: number;
  onResponse: (message: IkeMessage, payloads: Payload[], raw: Uint8Array, now: number) => void;
}

export class IkeSession {
  private state: State = 'idle';
  private readonly sa = new IkeSa(randomBytes(8));
  private readonly init: IkeInitTask;
  private readonly auth: IkeAuthTask;
  private readonly ikeConfig: IkeConfigTask;
  private readonly child: ChildCreateTask;
  private childSa: ChildSa | undefined;
  private nextMessageId = 0;
  private pending: PendingRequest | undefined;
  private peerMessageId = 0;
  private lastAnswer: { messageId: number; datagrams: Uint8Array[] } | undefined;
  private readonly responseFragments = new FragmentCollector();
  private readonly requestFragments = new FragmentCollector();
  private outbox: Outgoing[] = [];
  private events: SessionEvent[] = [];
  readonly counters: SessionCounters = { dropped: 0, retransmits: 0 };

  constructor(private readonly config: SessionConfig) {
    const progress = (message: string) => this.events.push({ type: 'progress', message });
    this.init = new IkeInitTask(config, this.sa);
    this.auth = new IkeAuthTask(config, this.sa, progress);
    this.ikeConfig = new IkeConfigTask(config.requestIpv6);
    this.child = new ChildCreateTask(config, this.sa);
  }

  get natT(): boolean {
    return this.sa.natT;
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
    return this.pending?.deadline;
  }

  start(now: number): void {
    if (this.state !== 'idle') throw new Error('session already started');
    this.state = 'init';
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
    this.pending = undefined;
    this.sendRequest(ExchangeType.INFORMATIONAL, deleteIkeSa(), now, () => this.finish(undefined));
  }

  tick(now: number): void {
    const pending = this.pending;
    if (!pending || now < pending.deadline) return;
    const { retransmit } = this.config;
    if (pending.sends > retransmit.retries) {
      this.pending = undefined;
      if (this.state === 'deleting') this.finish(undefined);
      else {
        this.fail(
          new OutpostError(
            'gateway-timeout',
            'The VPN gateway is not answering. Check your internet connection, or try again later.',
            { detail: `no response to message ${pending.messageId} after ${pending.sends} sends` },
          ),
        );
      }
      return;
    }
    this.counters.retransmits++;
    this.transmit(pending, now);
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

  private dispatch(raw: Uint8Array, now: number): void {
    const message = decodeMessage(raw);
    const { header } = message;
    if (Buffer.compare(header.spiI, this.sa.spiI) !== 0 || header.initiator) throw new DecodeError('not our IKE SA');
    if (this.state !== 'init' && Buffer.compare(header.spiR, this.sa.spiR) !== 0) {
      throw new DecodeError('responder SPI differs');
    }
    const critical = findCriticalUnrecognized(message.payloads);
    // RFC 7296 §2.5 would have a responder answer UNSUPPORTED_CRITICAL_PAYLOAD; we drop the message
    if (critical) throw new DecodeError(`unsupported critical payload ${critical.payloadType}`);
    if (header.response) this.onResponse(message, raw, now);
    else this.onRequest(message, raw);
  }

  private onResponse(message: IkeMessage, raw: Uint8Array, now: number): void {
    const pending = this.pending;
    const { header } = message;
    if (!pending || header.messageId !== pending.messageId || header.exchange !== pending.exchange) {
      throw new DecodeError('response to no outstanding request');
    }
    let payloads: Payload[];
    if (header.exchange === ExchangeType.IKE_SA_INIT) payloads = message.payloads;
    else {
      const opened = this.unprotect(message, raw, this.responseFragments);
      if (!opened) return; // more fragments to come
      payloads = opened;
    }
    this.pending = undefined;
    try {
      pending.onResponse(message, payloads, raw, now);
    } catch (error) {
      if (!(error instanceof DecodeError)) throw error;
      // an unauthenticated IKE_SA_INIT answer may be forged: keep waiting for the real one (RFC 7296 §2.21.1)
      if (header.exchange === ExchangeType.IKE_SA_INIT) {
        this.pending = pending;
        throw error;
      }
      throw new OutpostError('gateway-error', 'The gateway sent an answer this app could not use. Tell IT.', {
        detail: error.detail,
      });
    }
  }

  /** Decrypts SK, or collects SKF fragments; undefined while fragments are missing. */
  private unprotect(message: IkeMessage, raw: Uint8Array, collector: FragmentCollector): Payload[] | undefined {
    const { protection } = this.sa.established;
    const last = message.payloads.at(-1);
    if (last?.type === PayloadType.SKF) {
      return collector.add(message.header.messageId, protection.openFragment(raw, message));
    }
    return protection.open(raw, message);
  }

  private onRequest(message: IkeMessage, raw: Uint8Array): void {
    const { header } = message;
    if (!this.sa.crypto) throw new DecodeError('request before the IKE SA exists');
    if (header.messageId === this.peerMessageId - 1 && this.lastAnswer?.messageId === header.messageId) {
      // the gateway did not get our answer: send the same bytes again (RFC 7296 §2.1)
      for (const data of this.lastAnswer.datagrams) this.outbox.push({ data, natT: this.sa.natT });
      return;
    }
    if (header.messageId !== this.peerMessageId) throw new DecodeError('request with unexpected message ID');
    const payloads = this.unprotect(message, raw, this.requestFragments);
    if (!payloads) return;
    this.peerMessageId++;

    if (header.exchange === ExchangeType.INFORMATIONAL) {
      const { response, outcome } = answerInformational(payloads, this.childSa);
      this.answer(header.exchange, header.messageId, response);
      if (outcome.kind === 'ike-deleted') {
        this.finish(
          new OutpostError('gateway-error', 'The gateway ended the connection.', { detail: 'IKE SA deleted by peer' }),
        );
      } else if (outcome.kind === 'child-deleted') {
        this.childSa = undefined;
        this.fail(
          new OutpostError('gateway-error', 'The gateway ended the tunnel.', { detail: 'CHILD_SA deleted by peer' }),
        );
      }
      return;
    }
    if (header.exchange === ExchangeType.CREATE_CHILD_SA) {
      this.answer(header.exchange, header.messageId, refuseCreateChild());
      return;
    }
    throw new DecodeError(`unexpected ${header.exchange} request from the gateway`);
  }

  private answer(exchange: number, messageId: number, payloads: Payload[]): void {
    const header = this.sa.header(exchange, messageId, true);
    const datagrams = this.protect(header, payloads);
    this.lastAnswer = { messageId, datagrams };
    for (const data of datagrams) this.outbox.push({ data, natT: this.sa.natT });
  }

  private protect(header: ReturnType<IkeSa['header']>, payloads: Payload[]): Uint8Array[] {
    const maxDatagram = this.sa.peerFragmentation ? this.config.maxDatagram : undefined;
    return this.sa.established.protection.seal(header, payloads, maxDatagram);
  }

  private sendInit(now: number): void {
    const header = this.sa.header(ExchangeType.IKE_SA_INIT, 0, false);
    const data = encodeMessage(header, this.init.build());
    this.sa.initRequest = data;
    this.nextMessageId = 1;
    this.startRequest(
      { messageId: 0, exchange: ExchangeType.IKE_SA_INIT, datagrams: [data], onResponse: this.onInit },
      now,
    );
  }

  private readonly onInit = (message: IkeMessage, _payloads: Payload[], raw: Uint8Array, now: number): void => {
    const outcome = this.init.process(message, raw);
    if (outcome.kind === 'retry') {
      this.sendInit(now);
      return;
    }
    const { suite } = this.sa.established;
    this.events.push({ type: 'progress', message: `IKE SA negotiated: ${formatTransforms(suite.transforms)}` });
    this.state = 'auth';
    const first = [...this.auth.build(), ...this.ikeConfig.build(), ...this.child.build()];
    this.sendRequest(ExchangeType.IKE_AUTH, first, now, this.onAuth);
  };

  private readonly onAuth = (_m: IkeMessage, payloads: Payload[], _raw: Uint8Array, now: number): void => {
    if (!this.auth.process(payloads)) {
      this.sendRequest(ExchangeType.IKE_AUTH, this.auth.build(), now, this.onAuth);
      return;
    }
    const config = this.ikeConfig.process(payloads);
    const child = this.child.process(payloads);
    this.childSa = child;
    this.state = 'established';
    this.events.push({
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
    });
  };

  private sendRequest(exchange: number, payloads: Payload[], now: number, onResponse: PendingRequest['onResponse']) {
    const messageId = this.nextMessageId++;
    const datagrams = this.protect(this.sa.header(exchange, messageId, false), payloads);
    this.startRequest({ messageId, exchange, datagrams, onResponse }, now);
  }

  private startRequest(request: Omit<PendingRequest, 'sends' | 'deadline'>, now: number): void {
    const pending: PendingRequest = { ...request, sends: 0, deadline: now };
    this.pending = pending;
    this.transmit(pending, now);
  }

  private transmit(pending: PendingRequest, now: number): void {
    const { initialMs, factor } = this.config.retransmit;
    for (const data of pending.datagrams) this.outbox.push({ data, natT: this.sa.natT });
    pending.deadline = now + initialMs * factor ** pending.sends;
    pending.sends++;
  }

  /** A failure: tell the gateway we are gone when it knows our SA, then report. */
  private fail(error: OutpostError): void {
    if (this.state === 'closed') return;
    if (this.sa.crypto && this.state !== 'deleting') {
      const header = this.sa.header(ExchangeType.INFORMATIONAL, this.nextMessageId++, false);
      for (const data of this.protect(header, deleteIkeSa())) this.outbox.push({ data, natT: this.sa.natT });
    }
    this.finish(error);
  }

  private finish(error: OutpostError | undefined): void {
    this.state = 'closed';
    this.pending = undefined;
    this.events.push({ type: 'closed', error });
  }
}

function internalError(error: unknown): OutpostError {
  const detail = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  return new OutpostError('gateway-error', 'Something went wrong while talking to the gateway.', {
    detail,
    cause: error,
  });
}
