/**
 * Reliable exchanges on one IKE SA (RFC 7296 §2.1, §2.2), as strongSwan's task manager keeps them: message IDs in both
 * directions, one request of ours outstanding at a time (window size 1) with later ones queued, retransmission with
 * exponential backoff, the last answer kept for a retransmitted request, SK protection and RFC 7383 fragments. What
 * the messages mean is the tasks' business.
 */
import { DecodeError, OutpostError } from '../errors.js';
import type { RetransmitConfig } from './config.js';
import type { IkeSa } from './ike-sa.js';
import { ExchangeType, encodeMessage, PayloadType } from './message/index.js';
import type { IkeHeader, IkeMessage, Payload } from './message/types.js';
import { FragmentCollector } from './protection.js';

export interface Outgoing {
  data: Uint8Array;
  /** Send from/to UDP 4500 with the non-ESP marker. */
  natT: boolean;
}

/** Where the datagrams of every IKE SA of a session wait to be sent. */
export class Wire {
  /** Set once NAT traversal moved the session to port 4500 (RFC 7296 §2.23). */
  natT = false;
  private outbox: Outgoing[] = [];

  send(datagrams: readonly Uint8Array[]): void {
    for (const data of datagrams) this.outbox.push({ data, natT: this.natT });
  }

  take(): Outgoing[] {
    const out = this.outbox;
    this.outbox = [];
    return out;
  }
}

/** An answer to one of our requests, opened; `raw` are the bytes as received (IKE_SA_INIT's are signed in AUTH). */
export interface Response {
  header: IkeHeader;
  payloads: Payload[];
  raw: Uint8Array;
}

export type ResponseHandler = (response: Response, now: number) => void;

/** A request from the peer, opened and due an answer. */
export interface PeerRequest {
  exchange: number;
  messageId: number;
  payloads: Payload[];
}

/** What a received message was to this SA's exchanges. */
export type Received =
  | { kind: 'response' }
  | { kind: 'request'; request: PeerRequest }
  /** More fragments to come, or a retransmitted request answered again. */
  | { kind: 'nothing-yet' };

interface Pending {
  messageId: number;
  exchange: number;
  datagrams: Uint8Array[];
  sends: number;
  deadline: number;
  onResponse: ResponseHandler;
  retransmit: RetransmitConfig;
}

export interface ExchangeOptions {
  retransmit: RetransmitConfig;
  /** Largest IKE datagram before fragmenting, when the peer supports fragments. */
  maxDatagram: number;
}

export class ExchangeManager {
  private nextMessageId = 0;
  private pending: Pending | undefined;
  private readonly queue: Array<(now: number) => void> = [];
  private peerMessageId = 0;
  private lastAnswer: { messageId: number; datagrams: Uint8Array[] } | undefined;
  private readonly responseFragments = new FragmentCollector();
  private readonly requestFragments = new FragmentCollector();
  /** A refusal an unauthenticated IKE_SA_INIT answer claimed, with the sends the request had seen by then. */
  private claimed: { error: OutpostError; sends: number } | undefined;

  constructor(
    readonly sa: IkeSa,
    private readonly wire: Wire,
    private readonly options: ExchangeOptions,
    /** Counts each retransmission. */
    private readonly retransmitted: () => void,
    /** Told of every message that proved to come from the peer (it opened with the SA's keys). */
    private readonly heard: (now: number) => void,
  ) {}

  get busy(): boolean {
    return this.pending !== undefined;
  }

  get deadline(): number | undefined {
    return this.pending?.deadline;
  }

  /**
   * Sends a request, or queues it while another is outstanding. IKE_SA_INIT goes out unprotected as message 0, again
   * as message 0 when it is repeated (COOKIE, INVALID_KE_PAYLOAD), and IDs carry on from 1. `retransmit` overrides the
   * SA's schedule for this request (a delete on the way out must not keep a person waiting half a minute).
   */
  request(
    exchange: number,
    payloads: Payload[],
    now: number,
    onResponse: ResponseHandler,
    retransmit: RetransmitConfig = this.options.retransmit,
  ): void {
    const send = (at: number) => {
      let messageId: number;
      let datagrams: Uint8Array[];
      if (exchange === ExchangeType.IKE_SA_INIT) {
        // a new IKE_SA_INIT (after COOKIE or INVALID_KE) starts with nothing claimed against it
        this.claimed = undefined;
        messageId = 0;
        this.sa.initRequest = encodeMessage(this.sa.header(exchange, messageId, false), payloads);
        datagrams = [this.sa.initRequest];
        this.nextMessageId = 1;
      } else {
        messageId = this.nextMessageId++;
        datagrams = this.protect(this.sa.header(exchange, messageId, false), payloads);
      }
      this.pending = { messageId, exchange, datagrams, onResponse, sends: 0, deadline: at, retransmit };
      this.transmit(this.pending, at);
    };
    if (this.pending) this.queue.push(send);
    else send(now);
  }

  /** Sends a request once without waiting for its answer: the last word to a peer that stopped answering. */
  sendFinal(exchange: number, payloads: Payload[]): void {
    this.wire.send(this.protect(this.sa.header(exchange, this.nextMessageId++, false), payloads));
  }

  /**
   * Sends the outstanding request again now, on the same schedule: after a move to another address (RFC 4555 §3.5)
   * its earlier sends left from an address that is gone.
   */
  resend(): void {
    if (this.pending) this.wire.send(this.pending.datagrams);
  }

  /**
   * Makes way for a Delete: queued requests are forgotten, and one already sent runs on unread, retransmitted within
   * the shorter `retransmit` budget, so that the Delete after it carries the message ID the gateway expects (a
   * responder takes requests in order and drops one past a request it never received, RFC 7296 §2.1).
   */
  supersede(retransmit: RetransmitConfig, now: number): void {
    this.queue.length = 0;
    const pending = this.pending;
    if (!pending) return;
    pending.onResponse = () => {};
    pending.retransmit = retransmit;
    pending.sends = 1;
    pending.deadline = Math.min(pending.deadline, now + retransmit.initialMs);
  }

  /** Forgets what is outstanding and queued: the session is over. */
  abandon(): void {
    this.pending = undefined;
    this.queue.length = 0;
  }

  answer(exchange: number, messageId: number, payloads: Payload[]): void {
    const datagrams = this.protect(this.sa.header(exchange, messageId, true), payloads);
    this.lastAnswer = { messageId, datagrams };
    this.wire.send(datagrams);
  }

  /**
   * Retransmits the outstanding request when it is due. Returns the request that used up its retransmissions (it is
   * then forgotten), so the caller decides what a silent peer means; `claimed` is a refusal an unauthenticated answer
   * made meanwhile, the likeliest reason after all.
   */
  tick(now: number): { messageId: number; sends: number; claimed: OutpostError | undefined } | undefined {
    const pending = this.pending;
    if (!pending || now < pending.deadline) return undefined;
    if (pending.sends > pending.retransmit.retries) {
      this.pending = undefined;
      return { messageId: pending.messageId, sends: pending.sends, claimed: this.claimed?.error };
    }
    this.retransmitted();
    this.transmit(pending, now);
    return undefined;
  }

  /** A message whose SPIs named this SA. Throws DecodeError for what is to be dropped. */
  receive(message: IkeMessage, raw: Uint8Array, now: number): Received {
    if (message.header.response) return this.onResponse(message, raw, now);
    return this.onRequest(message, raw, now);
  }

  private onResponse(message: IkeMessage, raw: Uint8Array, now: number): Received {
    const pending = this.pending;
    const { header } = message;
    if (!pending || header.messageId !== pending.messageId || header.exchange !== pending.exchange) {
      throw new DecodeError('response to no outstanding request');
    }
    const init = header.exchange === ExchangeType.IKE_SA_INIT;
    let payloads = message.payloads;
    if (!init) {
      const opened = this.unprotect(message, raw, this.responseFragments);
      if (!opened) return { kind: 'nothing-yet' };
      payloads = opened;
      this.heard(now);
    }
    this.pending = undefined;
    try {
      pending.onResponse({ header, payloads, raw }, now);
    } catch (error) {
      if (init) throw this.doubt(pending, error);
      if (!(error instanceof DecodeError)) throw error;
      throw new OutpostError('gateway-error', 'The gateway sent an answer this app could not use. Tell IT.', {
        detail: error.detail,
      });
    }
    if (!this.pending) this.queue.shift()?.(now);
    return { kind: 'response' };
  }

  /**
   * An IKE_SA_INIT answer is not authenticated: anyone on the path can forge one (RFC 7296 §2.21.1). Garbage is
   * dropped; a refusal (error notify, a proposal or KE we did not offer) is believed only when an answer to a later
   * send of the request says so again, as the real gateway answers every retransmission; until then it is dropped,
   * and the request keeps going. Returns what to throw.
   */
  private doubt(pending: Pending, error: unknown): unknown {
    this.pending = pending;
    if (error instanceof DecodeError || !(error instanceof OutpostError)) return error;
    const claimed = this.claimed;
    if (claimed && pending.sends > claimed.sends) return error;
    this.claimed = { error, sends: pending.sends };
    return new DecodeError(`unauthenticated IKE_SA_INIT answer not yet believed: ${error.code}`);
  }

  private onRequest(message: IkeMessage, raw: Uint8Array, now: number): Received {
    const { header } = message;
    if (!this.sa.crypto) throw new DecodeError('request before the IKE SA exists');
    if (header.messageId === this.peerMessageId - 1 && this.lastAnswer?.messageId === header.messageId) {
      // the peer did not get our answer: send the same bytes again (RFC 7296 §2.1)
      this.wire.send(this.lastAnswer.datagrams);
      return { kind: 'nothing-yet' };
    }
    if (header.messageId !== this.peerMessageId) throw new DecodeError('request with unexpected message ID');
    const payloads = this.unprotect(message, raw, this.requestFragments);
    if (!payloads) return { kind: 'nothing-yet' };
    this.peerMessageId++;
    this.heard(now);
    return { kind: 'request', request: { exchange: header.exchange, messageId: header.messageId, payloads } };
  }

  /** Decrypts SK, or collects SKF fragments; undefined while fragments are missing. */
  private unprotect(message: IkeMessage, raw: Uint8Array, collector: FragmentCollector): Payload[] | undefined {
    const { protection } = this.sa.established;
    if (message.payloads.at(-1)?.type === PayloadType.SKF) {
      return collector.add(message.header.messageId, protection.openFragment(raw, message));
    }
    return protection.open(raw, message);
  }

  private protect(header: IkeHeader, payloads: Payload[]): Uint8Array[] {
    const maxDatagram = this.sa.peerFragmentation ? this.options.maxDatagram : undefined;
    return this.sa.established.protection.seal(header, payloads, maxDatagram);
  }

  private transmit(pending: Pending, now: number): void {
    const { initialMs, factor } = pending.retransmit;
    this.wire.send(pending.datagrams);
    pending.deadline = now + initialMs * factor ** pending.sends;
    pending.sends++;
  }
}
