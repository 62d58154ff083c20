/** What the operating system must be told once the tunnel is up: addresses, MTU, routes and DNS. */
import type { NetworkPlan } from '../adapter/types.js';
import { OutpostError } from '../errors.js';
import type { ConnectResult } from './connect-result.js';

const EVERYTHING_V4 = '0.0.0.0/0';
const EVERYTHING_V6 = '::/0';

const isIpv6 = (text: string): boolean => text.includes(':');

export function networkPlan(adapter: string, gateway: string, result: ConnectResult, extraDns: string[]): NetworkPlan {
  const assigned = result.config;
  if (!assigned.ip4) {
    throw new OutpostError('internal-address-failure', 'The gateway did not give this computer an address. Tell IT.');
  }
  const networks4 = result.remoteNetworks.filter((n) => !isIpv6(n));
  const networks6 = result.remoteNetworks.filter(isIpv6);
  const fullTunnel = networks4.includes(EVERYTHING_V4);
  // IPv6 uses the tunnel only with an address of the gateway's and selectors that carry it. In full tunnel that
  // must be all of IPv6: anything less, and the plan blocks IPv6 instead (no leak around the tunnel).
  const carriesIpv6 = fullTunnel ? networks6.includes(EVERYTHING_V6) : networks6.length > 0;
  const address6 = assigned.ip6 !== undefined && carriesIpv6 ? hostAddress(assigned.ip6) : undefined;
  // the gateway's IPv6 resolvers are unreachable (or reached around the tunnel) when IPv6 does not use it
  const gatewayDns = address6 ? assigned.dns : assigned.dns.filter((d) => !isIpv6(d));
  const servers = [...gatewayDns, ...extraDns.filter((d) => !gatewayDns.includes(d))];
  return {
    adapter,
    address: assigned.ip4,
    prefix: 32,
    address6,
    mtu: result.mtu,
    routes: fullTunnel ? [] : [...networks4, ...(address6 ? networks6 : [])],
    fullTunnel,
    gateway,
    dns: servers.length > 0 ? { servers, domains: assigned.domains } : undefined,
  };
}

/**
 * The virtual IPv6 address alone, as IPv4 gets a /32: the prefix length in INTERNAL_IP6_ADDRESS (RFC 7296 §3.15.1)
 * describes the gateway's pool, and putting it on the adapter would route that whole prefix into the tunnel whatever
 * the traffic selectors say.
 */
function hostAddress(ip6: string): { address: string; prefix: number } {
  const [address = ''] = ip6.split('/');
  return { address, prefix: 128 };
}
