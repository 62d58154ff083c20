/**
 * The control side of one connection to the gateway as a sans-I/O machine: the IKE session, and what the data path
 * (core/datapath, which moves the ESP packets, often in a worker thread) must be told and what it tells back. In: IKE
 * datagrams from the gateway with the port they came from, the data path's activity reports, and the time. Out:
 * datagrams for the gateway with the port they go to, key commands for the data path, events and the next deadline.
 * Rekeying before the sequence numbers run out and ESP as proof of life happen inside; the edge only carries bytes.
 */

import { mssFor, tunnelMtu } from '../adapter/mtu.js';
import type { Activity, TrafficPolicy } from '../datapath/data-path.js';
import type { KeyCommand } from '../datapath/sa-spec.js';
import { isOutpostError, type OutpostError } from '../errors.js';
import {
  classifyNatTDatagram,
  NAT_KEEPALIVE,
  NAT_T_PORT,
  NON_ESP_MARKER_LENGTH,
  withNonEspMarker,
} from '../esp/udp-encap.js';
import type { Endpoint, SessionConfig } from '../ike/config.js';
import { formatTransforms } from '../ike/proposals.js';
import { IkeSession, type SessionCounters, type SessionEvent } from '../ike/session.js';
import { formatSelector } from '../ike/traffic-selectors.js';
import { type ConnectResult, remoteNetworks } from './connect-result.js';
import { EspKeys } from './esp-keys.js';

export { NAT_T_PORT } from '../esp/udp-encap.js';
export type { ConnectResult } from './connect-result.js';

/** RFC 3948 §4: keepalives are sent when nothing else was sent for this long (strongSwan uses 20 s). */
const NAT_KEEPALIVE_MS = 20_000;

export interface Datagram {
  data: Uint8Array;
  /** The gateway's port it goes to. */
  port: number;
}

export type ConnectionEvent =
  | { type: 'progress'; message: string }
  /** The CHILD_SA is up: the edge sets up the adapter and the network from this. */
  | { type: 'established'; result: ConnectResult; policy: TrafficPolicy }
  | { type: 'rekeyed'; what: 'child' | 'ike' }
  /** After roam() answered 'updating': the gateway now sends to our new address, on the same SAs. */
  | { type: 'roamed' }
  /** Once, at the end: undefined after a clean close. */
  | { type: 'closed'; error: OutpostError | undefined };

export interface ConnectionOptions {
  /** Path MTU towards the gateway that the tunnel MTU is derived from. */
  pathMtu: number;
  /** A fixed tunnel MTU instead (the profile's). */
  mtu?: number | undefined;
}

export class Connection {
  private readonly session: IkeSession;
  private readonly keys = new EspKeys();
  private readonly gatewayPort: number;
  private outbox: Datagram[] = [];
  private events: ConnectionEvent[] = [];
  private closed = false;
  /** Set once the CHILD_SA is up. */
  private established = false;
  private lastSent = 0;
  /** The next deadline came forward without anything to send: the edge must re-arm its timer. */
  private deadlineMoved = false;

  constructor(
    config: SessionConfig,
    private readonly options: ConnectionOptions,
  ) {
    this.session = new IkeSession(config);
    this.gatewayPort = config.remote.port;
  }

  get isClosed(): boolean {
    return this.closed;
  }

  /** The CHILD_SA is up and the connection not closed: keepalives are due. */
  private get up(): boolean {
    return this.established && !this.closed;
  }

  get counters(): SessionCounters {
    return this.session.counters;
  }

  /** Whether `take` has something, or the timer must move. */
  get hasOutput(): boolean {
    return this.outbox.length > 0 || this.events.length > 0 || this.keys.pending || this.deadlineMoved;
  }

  /**
   * What to send, what the data path must apply (before any datagram that follows it reaches the gateway: the
   * gateway may use a new SA as soon as it has the answer) and what to report; afterwards the edge re-arms its timer
   * from nextDeadline().
   */
  take(): { send: Datagram[]; keys: KeyCommand[]; events: ConnectionEvent[] } {
    const out = { send: this.outbox, keys: this.keys.take(), events: this.events };
    this.outbox = [];
    this.events = [];
    this.deadlineMoved = false;
    return out;
  }

  nextDeadline(): number | undefined {
    if (this.closed) return undefined;
    const ike = this.session.nextDeadline();
    if (!this.up) return ike;
    const keepalive = this.lastSent + NAT_KEEPALIVE_MS;
    return ike === undefined ? keepalive : Math.min(ike, keepalive);
  }

  start(now: number): void {
    this.step(now, () => this.session.start(now));
  }

  /** Deletes the IKE SA at the gateway; 'closed' follows its answer (or its retransmissions running out). */
  close(now: number): void {
    this.step(now, () => this.session.close(now));
  }

  /** Asks the gateway whether it is alive now: the edge suspects the path (a wake-up, a clock jump). */
  checkLiveness(now: number): void {
    this.step(now, () => this.session.checkLiveness(now));
  }

  /**
   * A failure at the edge (the adapter, the network settings): the gateway is told with a Delete, and 'closed' reports
   * `error` once it answers (or its short retransmissions run out).
   */
  fail(error: OutpostError, now: number): void {
    this.step(now, () => this.session.close(now, error));
  }

  tick(now: number): void {
    this.step(now, () => this.session.tick(now));
    if (this.up && now - this.lastSent >= NAT_KEEPALIVE_MS) this.send(NAT_KEEPALIVE, NAT_T_PORT, now);
  }

  /**
   * A datagram from the gateway's `port` that is not ESP (the data path keeps those): IKE goes to the session (its
   * answers wait in `take`); keepalives and anything else are ignored.
   */
  receive(datagram: Uint8Array, port: number, now: number): void {
    if (this.closed) return;
    if (port !== NAT_T_PORT) {
      if (port === this.gatewayPort) this.receiveIke(datagram, now);
      return;
    }
    if (classifyNatTDatagram(datagram) === 'ike') this.receiveIke(datagram.subarray(NON_ESP_MARKER_LENGTH), now);
  }

  /** What the data path reported of the traffic since its last report. */
  noteTraffic(activity: Activity, now: number): void {
    if (this.closed) return;
    // authentic ESP from the gateway is proof of life; what we sent after it waits for an answer
    if (activity.inbound) this.session.noteInbound(now);
    if (activity.unanswered && this.session.noteOutbound(now)) this.deadlineMoved = true;
    if (activity.outbound) this.lastSent = now;
    const exhausting = activity.exhausting === undefined ? undefined : this.keys.sendingWith(activity.exhausting);
    if (exhausting) this.step(now, () => this.session.rekeyChild(exhausting, now));
  }

  /**
   * This computer now reaches the gateway from `local`, and the edge already sends from there. 'updating': MOBIKE
   * moves the SAs ('roamed' follows, or 'closed' when that fails) and ESP carries on meanwhile; 'reestablish': the
   * gateway cannot follow (no MOBIKE, or not up yet) and a new connection is needed.
   */
  roam(local: Endpoint, now: number): 'updating' | 'reestablish' {
    let updating = false;
    this.step(now, () => {
      updating = this.session.updateAddresses(local, now);
    });
    return updating ? 'updating' : 'reestablish';
  }

  private receiveIke(datagram: Uint8Array, now: number): void {
    this.step(now, () => this.session.receive(datagram, now));
  }

  /** Runs one step of the session and carries out what it asks. */
  private step(now: number, action: () => void): void {
    if (this.closed) return;
    action();
    this.flushSession(now);
  }

  private flushSession(now: number): void {
    const { send, events } = this.session.take();
    for (const { data, natT } of send) {
      if (natT || this.gatewayPort === NAT_T_PORT) {
        this.send(withNonEspMarker(data), NAT_T_PORT, now);
      } else {
        this.send(data, this.gatewayPort, now);
      }
    }
    for (const event of events) this.onSessionEvent(event, now);
  }

  private send(data: Uint8Array, port: number, now: number): void {
    this.outbox.push({ data, port });
    this.lastSent = now;
  }

  private onSessionEvent(event: SessionEvent, now: number): void {
    switch (event.type) {
      case 'progress':
      case 'rekeyed':
        this.events.push(event);
        break;
      case 'established':
        this.onEstablished(event, now);
        break;
      case 'child-installed':
        this.keys.install(event.child, event.outbound);
        break;
      case 'child-outbound':
        this.keys.sendWith(event.child);
        break;
      case 'child-removed':
        this.keys.remove(event.child);
        break;
      case 'addresses-updated':
        this.events.push({ type: 'roamed' });
        break;
      case 'closed':
        this.end(event.error);
        break;
    }
  }

  private onEstablished(event: Extract<SessionEvent, { type: 'established' }>, now: number): void {
    const { established, ikeSuite, natDetected } = event;
    const { child, gateway, config } = established;
    let mtu: number;
    try {
      mtu = this.options.mtu ?? tunnelMtu(this.options.pathMtu, child.suite.encryption, child.suite.integrity);
    } catch (error) {
      if (!isOutpostError(error)) throw error;
      this.fail(error, now);
      return;
    }
    this.established = true;
    this.events.push({
      type: 'established',
      // the selectors stay the same across rekeys (RFC 7296 §2.8)
      policy: {
        maxMss4: mssFor(mtu, false),
        maxMss6: mssFor(mtu, true),
        remoteTs: child.remoteTs,
        ip4: config.ip4,
        ip6: config.ip6,
      },
      result: {
        ikeAlgorithms: formatTransforms(ikeSuite.transforms),
        espAlgorithms: formatTransforms(child.suite.transforms),
        natDetected,
        gateway,
        config,
        localTs: child.localTs.map(formatSelector),
        remoteTs: child.remoteTs.map(formatSelector),
        mtu,
        remoteNetworks: remoteNetworks(child.remoteTs),
      },
    });
  }

  private end(error: OutpostError | undefined): void {
    if (this.closed) return;
    this.closed = true;
    this.events.push({ type: 'closed', error });
  }
}
