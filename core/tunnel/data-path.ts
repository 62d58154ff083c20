/**
 * The packet path of a connected tunnel: IP packets from the virtual adapter are MSS-clamped, ESP-encapsulated and
 * sent as ESP-in-UDP (RFC 3948); ESP from the gateway is decapsulated, clamped and written to the adapter. The IKE
 * session decides which CHILD_SA keys are in use; this only follows.
 */

import { clampMss } from '../adapter/mss-clamp.js';
import type { VirtualAdapter } from '../adapter/types.js';
import { EspEngine } from '../esp/engine.js';
import { type EspSaConfig, InboundSa, OutboundSa } from '../esp/sa.js';
import type { ChildSa } from '../ike/child-sa.js';
import type { DirectionKeys } from '../ike/keys.js';
import type { UdpTransport } from './udp-transport.js';

/** RFC 3948 §4: keepalives are sent when nothing else was sent for this long (strongSwan uses 20 s). */
export const NAT_KEEPALIVE_MS = 20_000;

function saConfig(child: ChildSa, spi: Uint8Array, keys: DirectionKeys): EspSaConfig {
  const { encryption, integrity, esn } = child.suite;
  return { spi, encryption, integrity, keys, esn };
}

export interface DataPathEvents {
  /** A valid packet came from the gateway (proof of life for dead-peer detection). */
  inbound(): void;
  /** The outbound SA's sequence numbers are running out: the IKE layer must rekey it. */
  exhausted(child: ChildSa): void;
}

export class DataPath {
  readonly esp = new EspEngine();
  private outboundChild: ChildSa | undefined;
  private outbound: OutboundSa | undefined;
  private lastSent = 0;
  private keepalive: NodeJS.Timeout | undefined;

  constructor(
    private readonly adapter: VirtualAdapter,
    private readonly transport: UdpTransport,
    private readonly maxMss: number,
    private readonly events: DataPathEvents,
  ) {
    adapter.onPackets((packet) => this.fromAdapter(packet));
    this.keepalive = setInterval(() => {
      if (Date.now() - this.lastSent >= NAT_KEEPALIVE_MS) {
        transport.sendKeepalive();
        this.lastSent = Date.now();
      }
    }, NAT_KEEPALIVE_MS / 4);
    this.keepalive.unref();
  }

  install(child: ChildSa, outbound: boolean): void {
    this.esp.installInbound(new InboundSa(saConfig(child, child.inboundSpi, child.keys.inbound)));
    if (outbound) this.sendWith(child);
  }

  sendWith(child: ChildSa): void {
    // one OutboundSa per CHILD_SA: a second would start its sequence numbers (and AEAD nonces) over
    if (this.outboundChild === child) return;
    this.outboundChild = child;
    this.outbound = new OutboundSa(saConfig(child, child.outboundSpi, child.keys.outbound));
    this.esp.setOutbound(this.outbound);
  }

  remove(child: ChildSa): void {
    this.esp.removeInbound(child.inboundSpi);
    if (this.outboundChild === child) {
      this.outboundChild = undefined;
      this.outbound = undefined;
      this.esp.setOutbound(undefined);
    }
  }

  /** ESP-in-UDP from the gateway. */
  fromGateway(datagram: Uint8Array): void {
    const packet = this.esp.decapsulate(datagram);
    if (!packet) return;
    this.events.inbound();
    clampMss(packet, this.maxMss);
    this.adapter.write(packet);
  }

  private fromAdapter(packet: Uint8Array): void {
    clampMss(packet, this.maxMss);
    const esp = this.esp.encapsulate(packet);
    if (!esp) return;
    this.transport.sendEsp(esp);
    this.lastSent = Date.now();
    if (this.outbound?.nearExhaustion && this.outboundChild) this.events.exhausted(this.outboundChild);
  }

  close(): void {
    clearInterval(this.keepalive);
    this.adapter.close();
  }
}
