/**
 * One connection to the gateway as a single sans-I/O machine, in the manner of boringtun's `Tunn`: the IKE session
 * and the ESP engine together. In: UDP datagrams from the gateway with the port they came from, IP packets from the
 * virtual adapter, and the time. Out: datagrams for the gateway with the port they go to, IP packets for the adapter,
 * events and the next deadline. Installing CHILD_SA keys, ESP as proof of life and rekeying before the sequence
 * numbers run out happen inside; the edge (sockets, the adapter, timers) only carries bytes.
 */

import { clampMss } from '../adapter/mss-clamp.js';
import { mssFor, tunnelMtu } from '../adapter/mtu.js';
import { isOutpostError, type OutpostError } from '../errors.js';
import { EspEngine } from '../esp/engine.js';
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
import { InboundFilter } from './inbound-filter.js';

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
  | { type: 'established'; result: ConnectResult }
  | { type: 'rekeyed'; what: 'child' | 'ike' }
  /** After roam() answered 'updating': the gateway now sends to our new address, on the same SAs. */
  | { type: 'roamed' }
  /** Once, at the end: undefined after a clean close. */
  | { type: 'closed'; error: OutpostError | undefined };

/** Inbound packets the connection itself drops after the ESP engine delivered them, by reason. */
export interface ConnectionDrops {
  /** Outside the CHILD_SA's traffic selectors or not to our virtual address (RFC 4301 §5.2). */
  selector: number;
}

export interface ConnectionOptions {
  /** Path MTU towards the gateway that the tunnel MTU is derived from. */
  pathMtu: number;
  /** A fixed tunnel MTU instead (the profile's). */
  mtu?: number | undefined;
}

export class Connection {
  private readonly session: IkeSession;
  private readonly esp = new EspEngine();
  private readonly keys = new EspKeys(this.esp);
  private readonly gatewayPort: number;
  private outbox: Datagram[] = [];
  private events: ConnectionEvent[] = [];
  private closed = false;
  /** The largest TCP MSS that fits the tunnel for IPv4 and for IPv6 (a 40-byte header), once it is up. */
  private maxMss4 = 0;
  private maxMss6 = 0;
  /** Set once the CHILD_SA is up; its selectors stay the same across rekeys (RFC 7296 §2.8). */
  private inboundFilter: InboundFilter | undefined;
  private readonly drops: ConnectionDrops = { selector: 0 };
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
    return this.inboundFilter !== undefined && !this.closed;
  }

  get counters(): { esp: EspEngine['counters']; ike: SessionCounters; drops: ConnectionDrops } {
    return { esp: this.esp.counters, ike: this.session.counters, drops: this.drops };
  }

  /** Whether `take` has something, or the timer must move: checked after each packet so the fast path does not allocate. */
  get hasOutput(): boolean {
    return this.outbox.length > 0 || this.events.length > 0 || this.deadlineMoved;
  }

  /** What to send and report; afterwards the edge re-arms its timer from nextDeadline(). */
  take(): { send: Datagram[]; events: ConnectionEvent[] } {
    const out = { send: this.outbox, events: this.events };
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
   * A datagram from the gateway's `port`. IKE goes to the session (its answers wait in `take`); ESP comes back as the
   * inner packet for the adapter, MSS-clamped, or undefined when it is dropped (counted by reason).
   */
  receive(datagram: Uint8Array, port: number, now: number): Uint8Array | undefined {
    if (this.closed) return undefined;
    if (port !== NAT_T_PORT) {
      if (port === this.gatewayPort) this.receiveIke(datagram, now);
      return undefined;
    }
    switch (classifyNatTDatagram(datagram)) {
      case 'ike':
        this.receiveIke(datagram.subarray(NON_ESP_MARKER_LENGTH), now);
        return undefined;
      case 'esp':
        return this.decapsulate(datagram, now);
      default:
        // keepalives (RFC 3948 §2.3) and datagrams too short to be either
        return undefined;
    }
  }

  /** An IP packet from the adapter: the ESP datagram for the gateway's NAT-T port, or undefined (dropped, counted). */
  encapsulate(packet: Uint8Array, now: number): Uint8Array | undefined {
    if (this.closed) return undefined;
    this.clamp(packet);
    const esp = this.esp.encapsulate(packet);
    if (!esp) return undefined;
    this.lastSent = now;
    if (this.session.noteOutbound(now)) this.deadlineMoved = true;
    const exhausting = this.keys.exhausting();
    if (exhausting) this.step(now, () => this.session.rekeyChild(exhausting, now));
    return esp;
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

  private decapsulate(datagram: Uint8Array, now: number): Uint8Array | undefined {
    const packet = this.esp.decapsulate(datagram);
    if (!packet) return undefined;
    // it came from the gateway with the right keys: proof of life even when the policy check refuses it
    this.session.noteInbound(now);
    if (!this.inboundFilter?.accepts(packet)) {
      this.drops.selector++;
      return undefined;
    }
    this.clamp(packet);
    return packet;
  }

  private clamp(packet: Uint8Array): void {
    clampMss(packet, packet[0]! >> 4 === 6 ? this.maxMss6 : this.maxMss4);
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
    this.maxMss4 = mssFor(mtu, false);
    this.maxMss6 = mssFor(mtu, true);
    this.inboundFilter = new InboundFilter(child.remoteTs, config.ip4, config.ip6);
    this.events.push({
      type: 'established',
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
