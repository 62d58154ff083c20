/** A CHILD_SA as the IKE layer hands it to the ESP engine: SPIs, algorithms, keys, selectors (tunnel mode). */
import type { ChildKeys } from './keys.js';
import type { TrafficSelector } from './message/types.js';
import type { ChildSuite } from './suite.js';

export interface ChildSa {
  /** SPI the gateway puts on packets to us. */
  inboundSpi: Uint8Array;
  /** SPI we put on packets to the gateway. */
  outboundSpi: Uint8Array;
  suite: ChildSuite;
  keys: ChildKeys;
  localTs: TrafficSelector[];
  remoteTs: TrafficSelector[];
}
