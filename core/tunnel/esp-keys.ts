/**
 * Which CHILD_SA keys the ESP engine uses, as the IKE session decides: every live CHILD_SA's inbound SA, and one
 * outbound SA, made once per CHILD_SA.
 */
import type { EspEngine } from '../esp/engine.js';
import { type EspSaConfig, InboundSa, OutboundSa } from '../esp/sa.js';
import type { ChildSa } from '../ike/child-sa.js';
import type { DirectionKeys } from '../ike/keys.js';

function saConfig(child: ChildSa, spi: Uint8Array, keys: DirectionKeys): EspSaConfig {
  const { encryption, integrity, esn } = child.suite;
  return { spi, encryption, integrity, keys, esn };
}

export class EspKeys {
  private outboundChild: ChildSa | undefined;
  private outbound: OutboundSa | undefined;

  constructor(private readonly esp: EspEngine) {}

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
    if (this.outboundChild !== child) return;
    this.outboundChild = undefined;
    this.outbound = undefined;
    this.esp.setOutbound(undefined);
  }

  /** The CHILD_SA we send with when its sequence numbers are running out: it needs a rekey. */
  exhausting(): ChildSa | undefined {
    return this.outbound?.nearExhaustion ? this.outboundChild : undefined;
  }
}
