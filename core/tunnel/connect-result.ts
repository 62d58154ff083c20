/** What a connection looks like once it is up: a plain summary for the edge, the CLI and the UI; never keys. */
import type { AssignedConfig } from '../ike/config-payload.js';
import type { TrafficSelector } from '../ike/message/types.js';
import type { GatewayIdentity } from '../ike/tasks/ike-auth.js';
import { formatSelector } from '../ike/traffic-selectors.js';
import { subnetsCovering } from '../profile/subnets.js';

export interface ConnectResult {
  ikeAlgorithms: string;
  espAlgorithms: string;
  natDetected: boolean;
  gateway: GatewayIdentity;
  config: AssignedConfig;
  localTs: string[];
  remoteTs: string[];
  /** The tunnel MTU: the path MTU less this CHILD_SA's real ESP-in-UDP overhead, or the profile's. */
  mtu: number;
  /** CIDR blocks covering the remote traffic selectors: what is routed into the tunnel. */
  remoteNetworks: string[];
}

/** The networks behind the gateway as CIDR blocks (a selector's range need not be one prefix). */
export function remoteNetworks(selectors: TrafficSelector[]): string[] {
  // a selector limited to a protocol or ports still needs a route for its addresses
  const ranges = selectors.map((ts) => formatSelector({ ...ts, ipProtocol: 0 }));
  return subnetsCovering(ranges, [], 'traffic selectors');
}
