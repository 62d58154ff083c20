/** What the operating system must be told once the tunnel is up: address, MTU, routes and DNS. */
import type { NetworkPlan } from '../adapter/types.js';
import { OutpostError } from '../errors.js';
import type { ChildSa } from '../ike/child-sa.js';
import type { AssignedConfig } from '../ike/config-payload.js';
import { formatSelector } from '../ike/traffic-selectors.js';
import { subnetsCovering } from '../profile/subnets.js';

const EVERYTHING_V4 = '0.0.0.0/0';

/** The networks behind the gateway as CIDR blocks (a selector's range need not be one prefix). */
export function remoteNetworks(child: ChildSa): string[] {
  // a selector limited to a protocol or ports still needs a route for its addresses
  const ranges = child.remoteTs.map((ts) => formatSelector({ ...ts, ipProtocol: 0 }));
  return subnetsCovering(ranges, [], 'traffic selectors');
}

export function networkPlan(
  adapter: string,
  mtu: number,
  gateway: string,
  child: ChildSa,
  assigned: AssignedConfig,
  extraDns: string[],
): NetworkPlan {
  if (!assigned.ip4) {
    throw new OutpostError('internal-address-failure', 'The gateway did not give this computer an address. Tell IT.');
  }
  const networks = remoteNetworks(child).filter((n) => !n.includes(':'));
  const fullTunnel = networks.includes(EVERYTHING_V4);
  const servers = [...assigned.dns, ...extraDns.filter((d) => !assigned.dns.includes(d))];
  return {
    adapter,
    address: assigned.ip4,
    prefix: 32,
    mtu,
    routes: fullTunnel ? [] : networks,
    fullTunnel,
    gateway,
    dns: servers.length > 0 ? { servers, domains: assigned.domains } : undefined,
  };
}
