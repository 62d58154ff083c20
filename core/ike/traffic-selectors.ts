/** Traffic selectors (RFC 7296 §3.13.1) from and to subnets. */
import { TsType } from '../iana.js';
import { type Cidr, formatCidr, formatIp, lastAddress, maskAddress, parseCidr } from '../net/address.js';
import type { TrafficSelector } from './message/types.js';

export function selectorFromCidr(cidr: Cidr | string): TrafficSelector {
  const c = typeof cidr === 'string' ? parseCidr(cidr) : cidr;
  return {
    tsType: c.address.length === 4 ? TsType.IPV4_ADDR_RANGE : TsType.IPV6_ADDR_RANGE,
    ipProtocol: 0,
    startPort: 0,
    endPort: 65535,
    startAddress: c.address,
    endAddress: lastAddress(c),
  };
}

export const ANY_IPV4 = selectorFromCidr('0.0.0.0/0');
export const ANY_IPV6 = selectorFromCidr('::/0');

/** The prefix a selector covers, when its range is exactly one prefix. */
function asCidr(ts: TrafficSelector): Cidr | undefined {
  const bits = ts.startAddress.length * 8;
  for (let prefix = 0; prefix <= bits; prefix++) {
    const c = { address: ts.startAddress, prefix };
    const aligned = Buffer.compare(maskAddress(ts.startAddress, prefix), ts.startAddress) === 0;
    if (aligned && Buffer.compare(lastAddress(c), ts.endAddress) === 0) return c;
  }
  return undefined;
}

export function formatSelector(ts: TrafficSelector): string {
  const cidr = asCidr(ts);
  const range = cidr ? formatCidr(cidr) : `${formatIp(ts.startAddress)}-${formatIp(ts.endAddress)}`;
  const proto = ts.ipProtocol === 0 ? '' : `[${ts.ipProtocol}`;
  if (!proto) return range;
  const ports = ts.startPort === 0 && ts.endPort === 65535 ? '' : `/${ts.startPort}-${ts.endPort}`;
  return `${range}${proto}${ports}]`;
}

function contains(outer: TrafficSelector, inner: TrafficSelector): boolean {
  return (
    outer.tsType === inner.tsType &&
    (outer.ipProtocol === 0 || outer.ipProtocol === inner.ipProtocol) &&
    outer.startPort <= inner.startPort &&
    inner.endPort <= outer.endPort &&
    Buffer.compare(outer.startAddress, inner.startAddress) <= 0 &&
    Buffer.compare(inner.endAddress, outer.endAddress) <= 0
  );
}

/** A responder may only narrow what we proposed (RFC 7296 §2.9): every selector it returns must lie inside ours. */
export function isNarrowingOf(returned: TrafficSelector[], proposed: TrafficSelector[]): boolean {
  return returned.length > 0 && returned.every((r) => proposed.some((p) => contains(p, r)));
}
