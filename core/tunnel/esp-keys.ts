/**
 * Which CHILD_SA keys the data path uses, as the IKE session decides: every live CHILD_SA's inbound SA, and one
 * outbound SA, told once per CHILD_SA. The data path may be in another thread: what it is told waits in `take`.
 */
import { type KeyCommand, type SaSpec, saSpec } from '../datapath/sa-spec.js';
import type { ChildSa } from '../ike/child-sa.js';
import { readUint32 } from '../esp/layout.js';
import type { DirectionKeys } from '../ike/keys.js';

function spec(child: ChildSa, spi: Uint8Array, keys: DirectionKeys): SaSpec {
  const { encryption, integrity, esn } = child.suite;
  return saSpec(spi, encryption, integrity, keys, esn);
}

export class EspKeys {
  private outboundChild: ChildSa | undefined;
  private commands: KeyCommand[] = [];

  install(child: ChildSa, outbound: boolean): void {
    this.commands.push({ type: 'install-inbound', sa: spec(child, child.inboundSpi, child.keys.inbound) });
    if (outbound) this.sendWith(child);
  }

  sendWith(child: ChildSa): void {
    // one outbound SA per CHILD_SA: a second would start its sequence numbers (and AEAD nonces) over
    if (this.outboundChild === child) return;
    this.outboundChild = child;
    this.commands.push({ type: 'send-with', sa: spec(child, child.outboundSpi, child.keys.outbound) });
  }

  remove(child: ChildSa): void {
    this.commands.push({ type: 'remove-inbound', spi: child.inboundSpi });
    if (this.outboundChild !== child) return;
    this.outboundChild = undefined;
    this.commands.push({ type: 'send-with', sa: undefined });
  }

  /** The CHILD_SA sending with outbound SPI `spi`, which the data path reports running out of sequence numbers. */
  sendingWith(spi: number): ChildSa | undefined {
    const child = this.outboundChild;
    return child && readUint32(child.outboundSpi, 0) === spi ? child : undefined;
  }

  get pending(): boolean {
    return this.commands.length > 0;
  }

  take(): KeyCommand[] {
    const commands = this.commands;
    this.commands = [];
    return commands;
  }
}
