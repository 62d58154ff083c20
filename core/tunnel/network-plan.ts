/** What the operating system must be told once the tunnel is up: address, MTU, routes and DNS. */
import type { NetworkPlan } from '../adapter/types.js';
import { OutpostError } from '../errors.js';
import type { ConnectResult } from './connect-result.js';

const EVERYTHING_V4 = '0.0.0.0/0';

export function networkPlan(adapter: string, gateway: string, result: ConnectResult, extraDns: string[]): NetworkPlan {
  const assigned = result.config;
  if (!assigned.ip4) {
    throw new OutpostError('internal-address-failure', 'The gateway did not give this computer an address. Tell IT.');
  }
  const networks = result.remoteNetworks.filter((n) => !n.includes(':'));
  const fullTunnel = networks.includes(EVERYTHING_V4);
  const servers = [...assigned.dns, ...extraDns.filter((d) => !assigned.dns.includes(d))];
  return {
    adapter,
    address: assigned.ip4,
    prefix: 32,
    mtu: result.mtu,
    routes: fullTunnel ? [] : networks,
    fullTunnel,
    gateway,
    dns: servers.length > 0 ? { servers, domains: assigned.domains } : undefined,
  };
}
