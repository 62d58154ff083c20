// The RFC 4301 §5.2 inbound check as bytes: which decrypted packets may reach the adapter.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { TrafficSelector } from '../ike/message/types.js';
import { ANY_IPV4, ANY_IPV6, selectorFromCidr } from '../ike/traffic-selectors.js';
import { parseIp } from '../net/address.js';
import { InboundFilter } from './inbound-filter.js';

const VIP4 = '203.0.113.5';
const VIP6 = '2001:db8:2::1';
const TCP = 6;
const UDP = 17;

function ipv4(src: string, dst: string, protocol = UDP, options: { srcPort?: number; fragmentOffset?: number } = {}) {
  const p = new Uint8Array(28);
  p[0] = 0x45;
  p[3] = 28;
  p[6] = (options.fragmentOffset ?? 0) >> 8;
  p[7] = (options.fragmentOffset ?? 0) & 0xff;
  p[9] = protocol;
  p.set(parseIp(src)!, 12);
  p.set(parseIp(dst)!, 16);
  p[20] = (options.srcPort ?? 0) >> 8;
  p[21] = (options.srcPort ?? 0) & 0xff;
  return p;
}

function ipv6(src: string, dst: string, nextHeader = UDP, srcPort = 0) {
  const p = new Uint8Array(48);
  p[0] = 0x60;
  p[5] = 8;
  p[6] = nextHeader;
  p.set(parseIp(src)!, 8);
  p.set(parseIp(dst)!, 24);
  p[40] = srcPort >> 8;
  p[41] = srcPort & 0xff;
  return p;
}

test('split tunnel: only sources inside the remote selectors, only to our virtual address', () => {
  const filter = new InboundFilter([selectorFromCidr('198.51.100.0/24')], VIP4, undefined);
  assert.ok(filter.accepts(ipv4('198.51.100.10', VIP4)));
  assert.ok(filter.accepts(ipv4('198.51.100.0', VIP4)), 'first address of the range');
  assert.ok(filter.accepts(ipv4('198.51.100.255', VIP4)), 'last address of the range');
  assert.equal(filter.accepts(ipv4('198.51.101.0', VIP4)), false, 'a forged source outside the selectors');
  assert.equal(filter.accepts(ipv4('198.51.99.255', VIP4)), false);
  assert.equal(filter.accepts(ipv4('198.51.100.10', '203.0.113.6')), false, 'not our address');
  assert.equal(filter.accepts(ipv6('2001:db8:5::1', VIP6)), false, 'no IPv6 selector, no IPv6 address');
});

test('full tunnel with IPv6: both families from anywhere, each only to its own virtual address', () => {
  const filter = new InboundFilter([ANY_IPV4, ANY_IPV6], VIP4, `${VIP6}/64`);
  assert.ok(filter.accepts(ipv4('192.0.2.77', VIP4)));
  assert.ok(filter.accepts(ipv6('2001:db8:5::1', VIP6)));
  assert.ok(filter.accepts(ipv6('::', VIP6)));
  assert.ok(filter.accepts(ipv6('ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff', VIP6)));
  assert.equal(filter.accepts(ipv6('2001:db8:5::1', '2001:db8:2::2')), false);
  assert.equal(filter.accepts(ipv4('192.0.2.77', '192.0.2.2')), false, 'the real address is not the tunnel’s');
});

test('a gateway that narrowed IPv6 away: IPv6 from the tunnel is dropped even to an address it named', () => {
  const filter = new InboundFilter([ANY_IPV4], VIP4, VIP6);
  assert.equal(filter.accepts(ipv6('2001:db8:5::1', VIP6)), false);
});

test('a selector limited to a protocol and ports matches only those', () => {
  const dns: TrafficSelector = { ...selectorFromCidr('198.51.100.53/32'), ipProtocol: UDP, startPort: 53, endPort: 53 };
  const filter = new InboundFilter([dns], VIP4, undefined);
  assert.ok(filter.accepts(ipv4('198.51.100.53', VIP4, UDP, { srcPort: 53 })));
  assert.equal(filter.accepts(ipv4('198.51.100.53', VIP4, UDP, { srcPort: 54 })), false);
  assert.equal(filter.accepts(ipv4('198.51.100.53', VIP4, TCP, { srcPort: 53 })), false);
  assert.equal(
    filter.accepts(ipv4('198.51.100.53', VIP4, UDP, { srcPort: 53, fragmentOffset: 185 })),
    false,
    'a later fragment has no ports to check',
  );
  const v6 = new InboundFilter([{ ...selectorFromCidr('2001:db8::/32'), ipProtocol: UDP }], VIP4, VIP6);
  assert.ok(v6.accepts(ipv6('2001:db8:5::1', VIP6, UDP)));
  assert.equal(v6.accepts(ipv6('2001:db8:5::1', VIP6, 0 /* hop-by-hop first */)), false);
});

test('anything that is not a whole IPv4 or IPv6 header is refused', () => {
  const filter = new InboundFilter([ANY_IPV4, ANY_IPV6], VIP4, VIP6);
  assert.equal(filter.accepts(new Uint8Array(0)), false);
  assert.equal(filter.accepts(ipv4('192.0.2.77', VIP4).subarray(0, 19)), false);
  assert.equal(filter.accepts(ipv6('2001:db8:5::1', VIP6).subarray(0, 39)), false);
  const v5 = ipv4('192.0.2.77', VIP4);
  v5[0] = 0x55;
  assert.equal(filter.accepts(v5), false);
});
