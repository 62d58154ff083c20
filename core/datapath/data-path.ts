/**
 * The ESP data path of one connection as a sans-I/O machine, in the manner of boringtun's encapsulate/decapsulate:
 * the ESP engine with the SAs the IKE session installs (KeyCommands), the inbound policy check, TCP MSS clamping and
 * a record of activity that the IKE session needs (proof of life, unanswered traffic, sequence numbers running out).
 * It runs wherever the packets are: in the data-path worker, or beside the session on the main thread.
 */
import { clampMss } from '../adapter/mss-clamp.js';
import { EspEngine } from '../esp/engine.js';
import { readUint32 } from '../esp/layout.js';
import { InboundSa, OutboundSa } from '../esp/sa.js';
import type { TrafficSelector } from '../ike/message/types.js';
import { InboundFilter } from './inbound-filter.js';
import { espSaConfig, type KeyCommand } from './sa-spec.js';

/** What the data path needs of the established CHILD_SA; plain data, so it can cross to a worker. */
export interface TrafficPolicy {
  /** The largest TCP MSS that fits the tunnel, for IPv4 and IPv6. */
  maxMss4: number;
  maxMss6: number;
  /** The CHILD_SA's remote selectors and our virtual addresses: the inbound policy check (RFC 4301 §5.2). */
  remoteTs: TrafficSelector[];
  ip4: string | undefined;
  ip6: string | undefined;
}

/** Since the last report: what the IKE session must hear about the traffic. */
export interface Activity {
  /** An authentic ESP packet came from the gateway (proof of life). */
  inbound: boolean;
  /** Something was sent after the last authentic inbound packet: the session watches for an answer. */
  unanswered: boolean;
  /** Something was sent (NAT keepalives wait while traffic flows). */
  outbound: boolean;
  /** The SPI of the outbound SA once its sequence numbers are running out: time to rekey. */
  exhausting: number | undefined;
}

export interface DataPathCounters {
  packetsIn: number;
  bytesIn: number;
  packetsOut: number;
  bytesOut: number;
  /** ESP drops by reason, and 'selector' for authentic packets the policy check refused. */
  drops: Record<string, number>;
}

export class DataPath {
  private readonly engine = new EspEngine();
  private outbound: OutboundSa | undefined;
  private outboundSpi = 0;
  private filter: InboundFilter | undefined;
  private maxMss4 = 0;
  private maxMss6 = 0;
  private selectorDrops = 0;
  private inbound = false;
  private unanswered = false;
  private sent = false;
  /** A packet went through either way, dropped or not: the counters moved. */
  private touched = false;

  apply(command: KeyCommand): void {
    switch (command.type) {
      case 'install-inbound':
        this.engine.installInbound(new InboundSa(espSaConfig(command.sa)));
        break;
      case 'send-with':
        this.outbound = command.sa && new OutboundSa(espSaConfig(command.sa));
        this.outboundSpi = command.sa ? readUint32(command.sa.spi, 0) : 0;
        this.engine.setOutbound(this.outbound);
        break;
      case 'remove-inbound':
        this.engine.removeInbound(command.spi);
        break;
    }
  }

  /** The CHILD_SA is up: until then nothing inbound passes the policy check. */
  setPolicy(policy: TrafficPolicy): void {
    this.filter = new InboundFilter(policy.remoteTs, policy.ip4, policy.ip6);
    this.maxMss4 = policy.maxMss4;
    this.maxMss6 = policy.maxMss6;
  }

  /** An IP packet from the adapter (clamped in place): its ESP packet, or undefined when dropped (counted). */
  encapsulate(packet: Uint8Array): Uint8Array | undefined {
    this.touched = true;
    this.clamp(packet);
    const esp = this.engine.encapsulate(packet);
    if (!esp) return undefined;
    this.sent = true;
    this.unanswered = true;
    return esp;
  }

  /** An ESP packet from the gateway: its inner IP packet for the adapter, or undefined when dropped (counted). */
  decapsulate(esp: Uint8Array): Uint8Array | undefined {
    this.touched = true;
    const packet = this.engine.decapsulate(esp);
    if (!packet) return undefined;
    // it came from the gateway with the right keys: proof of life even when the policy check refuses it
    this.inbound = true;
    this.unanswered = false;
    if (!this.filter?.accepts(packet)) {
      this.selectorDrops++;
      return undefined;
    }
    this.clamp(packet);
    return packet;
  }

  /** Something other than ESP left for the gateway (IKE, a keepalive). */
  noteSent(): void {
    this.sent = true;
  }

  /** What happened since the last call, or undefined when nothing did (not even a dropped packet). */
  takeActivity(): Activity | undefined {
    const exhausting = this.outbound?.nearExhaustion ? this.outboundSpi : undefined;
    if (!this.touched && !this.sent && exhausting === undefined) return undefined;
    const activity = { inbound: this.inbound, unanswered: this.unanswered, outbound: this.sent, exhausting };
    this.inbound = false;
    this.unanswered = false;
    this.sent = false;
    this.touched = false;
    return activity;
  }

  get counters(): DataPathCounters {
    const { packetsIn, bytesIn, packetsOut, bytesOut, drops } = this.engine.counters;
    return { packetsIn, bytesIn, packetsOut, bytesOut, drops: { ...drops, selector: this.selectorDrops } };
  }

  private clamp(packet: Uint8Array): void {
    clampMss(packet, packet[0]! >> 4 === 6 ? this.maxMss6 : this.maxMss4);
  }
}
