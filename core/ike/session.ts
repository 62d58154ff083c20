/**
 * One VPN connection from the initiator's side as a sans-I/O state machine: it takes datagrams and the current time
 * and queues datagrams to send and events; the caller owns sockets and the one timer (`nextDeadline`). This file only
 * orchestrates: reliable exchanges are the ExchangeManager's, the CHILD_SAs the ChildSaSet's, each exchange's
 * meaning a task's, the answers to the gateway's requests the responder's. It runs IKE_SA_INIT then IKE_AUTH, rekeys
 * (make-before-break), checks liveness, and ends with a Delete. It is a little over 300 lines because every state
 * change of the session is here, in one place, on purpose.
 */
import { randomBytes } from '../crypto/random.js';
import { DecodeError, isOutpostError, messageOf, OutpostError } from '../errors.js';
import { NAT_T_PORT } from '../esp/udp-encap.js';
import type { ChildSa } from './child-sa.js';
import { type ChildEvent, ChildSaSet } from './child-sa-set.js';
import { DELETE_RETRANSMIT, type Endpoint, type SessionConfig } from './config.js';
import { ExchangeManager, type Outgoing, type PeerRequest, Wire } from './exchange-manager.js';
import { IkeSa } from './ike-sa.js';
import { decodeMessage, ExchangeType, findCriticalUnrecognized } from './message/index.js';
import type { IkeMessage } from './message/types.js';
import { formatTransforms } from './proposals.js';
import type { IkeSuite } from './suite.js';
import { ChildRekeyTask } from './tasks/child-rekey.js';
import { type Established, EstablishTask } from './tasks/establish.js';
import { IkeInitTask } from './tasks/ike-init.js';
import { IkeRekeyTask } from './tasks/ike-rekey.js';
import { deleteChildSa, deleteIkeSa } from './tasks/informational.js';
import { type Path, UpdateAddressesTask } from './tasks/mobike.js';
import { answerRequest } from './tasks/responder.js';
import { runTask, type Task } from './tasks/task.js';

export type { Outgoing } from './exchange-manager.js';

export type SessionEvent =
  | { type: 'progress'; message: string }
  | { type: 'established'; established: Established; ikeSuite: IkeSuite; natDetected: boolean }
  | ChildEvent
  | { type: 'rekeyed'; what: 'child' | 'ike' }
  /** MOBIKE moved the IKE SA and its CHILD_SAs to our new address; ESP goes on with the same SAs. */
  | { type: 'addresses-updated'; natDetected: boolean }
  | { type: 'closed'; error: OutpostError | undefined };

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
  private readonly wire = new Wire();
  private ike: ExchangeManager;
  /** Older IKE SAs after a rekey, until their delete completes. */
  private retiring: ExchangeManager[] = [];
  private readonly children: ChildSaSet;
  private ikeRekeying = false;
  private lastInbound = 0;
  /** When we first sent traffic that nothing from the gateway has followed yet (WireGuard's dead-path timer). */
  private unansweredSince: number | undefined;
  /** Why the session is deleting its IKE SA, reported once the gateway answers the Delete (undefined: a close). */
  private exitError: OutpostError | undefined;
  /** A close came during IKE_AUTH: the Delete follows the exchange, as the gateway would ignore it before. */
  private closeAfterAuth = false;
  private events: SessionEvent[] = [];
  readonly counters: SessionCounters = { dropped: 0, retransmits: 0, childRekeys: 0, ikeRekeys: 0, livenessChecks: 0 };

  constructor(private readonly config: SessionConfig) {
    this.ike = this.exchangesFor(new IkeSa(true, randomBytes(8)));
    this.children = new ChildSaSet(config.childRekeyMs, (event) => this.events.push(event));
  }

  get isClosed(): boolean {
    return this.state === 'closed';
  }

  /** Everything queued since the last call: datagrams to send and events to report. */
  take(): { send: Outgoing[]; events: SessionEvent[] } {
    const events = this.events;
    this.events = [];
    return { send: this.wire.take(), events };
  }

  nextDeadline(): number | undefined {
    const deadlines = [this.ike.deadline, ...this.retiring.map((r) => r.deadline)];
    if (this.state === 'established' && !this.ike.busy) {
      deadlines.push(this.livenessDue(), this.ikeRekeyDue(), this.children.nextRekey());
    }
    const defined = deadlines.filter((d): d is number => d !== undefined);
    return defined.length === 0 ? undefined : Math.min(...defined);
  }

  private livenessDue(): number {
    const { idleMs, unansweredMs } = this.config.liveness;
    const idle = this.lastInbound + idleMs;
    return this.unansweredSince === undefined ? idle : Math.min(idle, this.unansweredSince + unansweredMs);
  }

  private ikeRekeyDue(): number | undefined {
    return this.ikeRekeying ? undefined : this.ike.sa.rekeyAfter;
  }

  /** Valid ESP from the gateway proves it alive as well as an IKE message would (RFC 7296 §2.4). */
  noteInbound(now: number): void {
    this.lastInbound = now;
    this.unansweredSince = undefined;
  }

  /**
   * We sent traffic: when nothing at all comes back for a while, the path may be dead. True when this starts that
   * wait, which brings the next deadline forward.
   */
  noteOutbound(now: number): boolean {
    if (this.unansweredSince !== undefined) return false;
    this.unansweredSince = now;
    return true;
  }

  /**
   * Asks the gateway now whether it is alive, whatever the timers say: the computer woke up, its clock jumped, its
   * network changed. An exchange already outstanding asks as well, so nothing is added then.
   */
  checkLiveness(now: number): void {
    if (this.state !== 'established' || this.ike.busy) return;
    this.counters.livenessChecks++;
    this.ike.request(ExchangeType.INFORMATIONAL, [], now, () => {}, this.config.liveness.retransmit);
  }

  start(now: number): void {
    if (this.state !== 'idle') throw new Error('session already started');
    this.state = 'init';
    this.lastInbound = now;
    this.progress(`Contacting gateway ${this.config.remote.address}`);
    runTask(this.ike, ExchangeType.IKE_SA_INIT, new IkeInitTask(this.config, this.ike.sa), now, this.onInit);
  }

  /**
   * Ends the session: deletes the IKE SA at the gateway (RFC 7296 §1.4.1) when one exists, and reports 'closed' with
   * `error` (undefined for a wanted close) once the gateway answers or the Delete's short retransmissions run out.
   * INFORMATIONAL exchanges come only after the initial ones (RFC 7296 §1.4): strongSwan answers a Delete sent during
   * IKE_AUTH and keeps the SA, so a wanted close then waits for IKE_AUTH to end (the caller bounds how long).
   */
  close(now: number, error?: OutpostError): void {
    if (this.state === 'closed' || this.state === 'deleting') return;
    if (this.state === 'idle' || this.state === 'init' || !this.ike.sa.crypto) {
      this.finish(error);
      return;
    }
    if (this.state === 'auth' && error === undefined) {
      this.closeAfterAuth = true;
      return;
    }
    // a failure after the person asked to disconnect is no news to them
    if (this.closeAfterAuth) error = undefined;
    this.state = 'deleting';
    this.exitError = error;
    this.ike.supersede(DELETE_RETRANSMIT, now);
    this.ike.request(ExchangeType.INFORMATIONAL, deleteIkeSa(), now, () => this.finish(error), DELETE_RETRANSMIT);
  }

  /** The ESP side says this CHILD_SA's sequence numbers run out: rekey it now (RFC 4303 §3.3.3). */
  rekeyChild(child: ChildSa, now: number): void {
    if (this.state === 'established' && this.children.canRekey(child)) this.startChildRekey(child, now);
  }

  tick(now: number): void {
    for (const exchanges of [this.ike, ...this.retiring]) {
      const timedOut = exchanges.tick(now);
      if (!timedOut) continue;
      if (exchanges !== this.ike) this.retire(exchanges);
      else if (this.state === 'deleting') this.finish(this.exitError);
      else {
        const lost = this.state === 'established';
        const message = lost
          ? 'The connection to the VPN gateway was lost.'
          : 'The VPN gateway is not answering. Check your internet connection, or try again later.';
        const detail = `no response to message ${timedOut.messageId} after ${timedOut.sends} sends`;
        this.giveUp(timedOut.claimed ?? new OutpostError('gateway-timeout', message, { detail }));
      }
    }
    if (this.state !== 'established' || this.ike.busy) return;
    const ikeDue = this.ikeRekeyDue();
    const childDue = this.children.dueForRekey(now);
    if (ikeDue !== undefined && now >= ikeDue) this.startIkeRekey(now);
    else if (childDue) this.startChildRekey(childDue, now);
    // RFC 7296 §2.4: an empty INFORMATIONAL request; its retransmission budget decides the peer is dead
    else if (now >= this.livenessDue()) this.checkLiveness(now);
  }

  /** One IKE datagram. Bad bytes are dropped and counted; any other failure ends the session: decided here only. */
  receive(raw: Uint8Array, now: number): void {
    if (this.state === 'closed' || this.state === 'idle') return;
    try {
      const message = decodeMessage(raw);
      const exchanges = this.exchangesOf(message);
      const critical = findCriticalUnrecognized(message.payloads);
      // RFC 7296 §2.5 would have a responder answer UNSUPPORTED_CRITICAL_PAYLOAD; we drop the message
      if (critical) throw new DecodeError(`unsupported critical payload ${critical.payloadType}`);
      const received = exchanges.receive(message, raw, now);
      if (received.kind === 'request') this.onRequest(exchanges, received.request, now);
    } catch (error) {
      if (error instanceof DecodeError) {
        // a forged or broken datagram must not tear down the SA (RFC 7296 §2.21.1)
        this.counters.dropped++;
        return;
      }
      this.fail(isOutpostError(error) ? error : internalError(error), now);
    }
  }

  private exchangesFor(sa: IkeSa): ExchangeManager {
    return new ExchangeManager(
      sa,
      this.wire,
      { retransmit: this.config.retransmit, maxDatagram: this.config.maxDatagram },
      () => this.counters.retransmits++,
      (now) => this.noteInbound(now),
    );
  }

  private exchangesOf(message: IkeMessage): ExchangeManager {
    const { header } = message;
    if (this.state === 'init') {
      // the responder SPI is not known before the IKE_SA_INIT answer
      if (Buffer.compare(header.spiI, this.ike.sa.spiI) !== 0 || header.initiator) {
        throw new DecodeError('not our IKE SA');
      }
      return this.ike;
    }
    const exchanges = [this.ike, ...this.retiring].find((e) => e.sa.matches(header.spiI, header.spiR));
    if (!exchanges || header.initiator === exchanges.sa.weInitiated) throw new DecodeError('not our IKE SA');
    return exchanges;
  }

  private readonly onInit = (suite: IkeSuite, now: number): void => {
    // we offer MOBIKE, so we float to 4500 whenever the gateway does NAT traversal, NAT or not (RFC 4555 §3.3)
    this.wire.natT = this.ike.sa.natDetected || this.ike.sa.peerNatTraversal;
    this.progress(`IKE SA negotiated: ${formatTransforms(suite.transforms)}`);
    this.state = 'auth';
    const task = new EstablishTask(this.config, this.ike.sa, (message) => this.progress(message));
    runTask(this.ike, ExchangeType.IKE_AUTH, task, now, (established, at) => {
      this.ike.sa.rekeyAfter = at + this.config.ikeRekeyMs;
      this.state = 'established';
      if (this.closeAfterAuth) {
        this.close(at);
        return;
      }
      const { natDetected } = this.ike.sa;
      this.events.push({ type: 'established', established, ikeSuite: suite, natDetected });
      this.children.add(established.child, at, true);
    });
  };

  private onRequest(exchanges: ExchangeManager, request: PeerRequest, now: number): void {
    const mayCreate = this.state === 'established' && exchanges === this.ike;
    const state = { sa: exchanges.sa, config: this.config, children: this.children.all, mayCreate, path: this.path() };
    const { response, outcome } = answerRequest(request, state);
    exchanges.answer(request.exchange, request.messageId, response);
    switch (outcome.kind) {
      case 'ike-deleted':
        this.onIkeDeleted(exchanges);
        break;
      case 'children-deleted':
        this.onChildrenDeleted(outcome.children, now);
        break;
      case 'redirected':
        // the client deletes the old SA (RFC 5685 §6); 'closed' then tells the tunnel where to go
        if (exchanges === this.ike) this.fail(outcome.redirect, now);
        break;
      case 'ike-rekeyed':
        // the old SA stays until the gateway deletes it; everything new happens on the new one
        this.adoptIkeSa(outcome.sa, now);
        break;
      case 'child-rekeyed':
        // make-before-break: receive on the new SA now, send on it once the gateway deletes the old one
        this.children.add(outcome.created.child, now, false, outcome.created.replaces);
        this.counters.childRekeys++;
        this.events.push({ type: 'rekeyed', what: 'child' });
        break;
      default:
        break;
    }
  }

  private onChildrenDeleted(deleted: ChildSa[], now: number): void {
    for (const old of deleted) this.children.remove(old);
    if (this.children.isEmpty) {
      const error = new OutpostError('gateway-error', 'The gateway ended the tunnel.', { detail: 'CHILD_SA deleted' });
      this.fail(error, now);
    }
  }

  private onIkeDeleted(exchanges: ExchangeManager): void {
    if (exchanges !== this.ike) {
      this.retire(exchanges);
      return;
    }
    if (this.state === 'deleting') {
      // both ends deleted at once: ours is as good as answered
      this.finish(this.exitError);
      return;
    }
    const detail = 'IKE SA deleted by peer';
    this.finish(new OutpostError('gateway-error', 'The gateway ended the connection.', { detail }));
  }

  /** A rekeyed IKE SA takes over; the old one is kept for its delete. */
  private adoptIkeSa(sa: IkeSa, now: number): void {
    sa.rekeyAfter = now + this.config.ikeRekeyMs;
    this.retiring.push(this.ike);
    this.ike = this.exchangesFor(sa);
    this.counters.ikeRekeys++;
    this.events.push({ type: 'rekeyed', what: 'ike' });
  }

  private retire(exchanges: ExchangeManager): void {
    this.retiring = this.retiring.filter((r) => r !== exchanges);
  }

  /** Make-before-break for the IKE SA: move to the new SA, then delete the old one on the old one. */
  private startIkeRekey(now: number): void {
    const old = this.ike;
    this.ikeRekeying = true;
    this.runRekey(old, new IkeRekeyTask(this.config, old.sa), now, 'IKE rekey', (rekeyed, at) => {
      this.ikeRekeying = false;
      if (!rekeyed) {
        old.sa.rekeyAfter = at + this.config.ikeRekeyMs;
        return;
      }
      this.adoptIkeSa(rekeyed, at);
      old.request(ExchangeType.INFORMATIONAL, deleteIkeSa(), at, () => this.retire(old));
    });
  }

  private startChildRekey(old: ChildSa, now: number): void {
    this.children.rekeyStarted(old);
    this.runRekey(this.ike, new ChildRekeyTask(this.config, this.ike.sa, old), now, 'Rekey', (child, at) => {
      this.children.rekeyEnded(old, at, child);
      if (!child) return;
      this.counters.childRekeys++;
      this.events.push({ type: 'rekeyed', what: 'child' });
      this.ike.request(ExchangeType.INFORMATIONAL, deleteChildSa(old), at, () => this.children.remove(old));
    });
  }

  /** Runs a rekey of ours; `ended` gets the new SA, or undefined when it was refused (the old SA keeps working). */
  private runRekey<T>(
    exchanges: ExchangeManager,
    task: Task<T>,
    now: number,
    what: string,
    ended: (result: T | undefined, now: number) => void,
  ): void {
    runTask(exchanges, ExchangeType.CREATE_CHILD_SA, task, now, ended, (error, at) => {
      this.progress(`${what} refused: ${messageOf(error)}`);
      ended(undefined, at);
    });
  }

  // MOBIKE (RFC 4555): moving the session to another local address

  /** Both ends agreed on MOBIKE and the session is up: a new local address can be taken along instead of reconnecting. */
  get mobike(): boolean {
    return this.state === 'established' && this.ike.sa.peerMobike;
  }

  /**
   * This computer now reaches the gateway from `local` (datagrams already leave from there). With MOBIKE the IKE SA
   * and its CHILD_SAs are moved there and true returned ('addresses-updated' follows, or 'closed' when the gateway
   * refuses or stays silent); without it nothing is sent, false returned, and the caller re-establishes.
   */
  updateAddresses(local: Endpoint, now: number): boolean {
    this.movedTo = local;
    if (!this.mobike) return false;
    this.ike.resend();
    const { sa } = this.ike;
    const task = new UpdateAddressesTask(sa, this.path(), sa.natDetected);
    runTask(this.ike, ExchangeType.INFORMATIONAL, task, now, ({ natDetected }) => {
      sa.natDetected = natDetected;
      this.events.push({ type: 'addresses-updated', natDetected });
    });
    return true;
  }

  /** Our address since the last move, when there was one. */
  private movedTo: Endpoint | undefined;

  /** Where IKE goes now: from our current address, to the gateway's NAT-T port once we floated. */
  private path(): Path {
    const { remote } = this.config;
    return {
      local: this.movedTo ?? this.config.local,
      remote: { address: remote.address, port: this.wire.natT ? NAT_T_PORT : remote.port },
    };
  }

  private progress(message: string): void {
    this.events.push({ type: 'progress', message });
  }

  /**
   * A failure: once the gateway holds our IKE SA it hears of it through a Delete, retransmitted briefly, so it does
   * not keep a dead SA and its address lease; 'closed' reports `error` after the answer. While deleting, the session
   * ends at once with the reason it was already going away for.
   */
  private fail(error: OutpostError, now: number): void {
    if (this.state === 'deleting') this.finish(this.exitError ?? error);
    else this.close(now, error);
  }

  /** The gateway stopped answering: it would not answer a Delete either, so one is sent without waiting. */
  private giveUp(error: OutpostError): void {
    if (this.ike.sa.crypto) this.ike.sendFinal(ExchangeType.INFORMATIONAL, deleteIkeSa());
    this.finish(error);
  }

  private finish(error: OutpostError | undefined): void {
    this.state = 'closed';
    this.ike.abandon();
    this.children.removeAll();
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
