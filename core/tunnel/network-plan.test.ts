// From the negotiated result to the plan the configurator applies: which family goes where, with and without an
// IPv6 address from the gateway.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { OutpostError } from '../errors.js';
import type { AssignedConfig } from '../ike/config-payload.js';
import type { ConnectResult } from './connect-result.js';
import { networkPlan } from './network-plan.js';

function result(remoteNetworks: string[], config: Partial<AssignedConfig> = {}): ConnectResult {
  return {
    ikeAlgorithms: 'AES_GCM_16_256/PRF_HMAC_SHA2_256/CURVE_25519',
    espAlgorithms: 'AES_GCM_16_256',
    natDetected: true,
    gateway: { id: 'vpn.example.test', certificateSubject: undefined },
    config: { ip4: '203.0.113.5', ip6: undefined, dns: ['198.51.100.53'], subnets: [], domains: [], ...config },
    localTs: [],
    remoteTs: [],
    mtu: 1400,
    remoteNetworks,
  };
}

const plan = (r: ConnectResult) => networkPlan('outpost0', '192.0.2.1', r, []);

test('full tunnel with an IPv6 address from the gateway carries IPv6 too, as a host address', () => {
  const p = plan(result(['0.0.0.0/0', '::/0'], { ip6: '2001:db8:2::1/64', dns: ['198.51.100.53', '2001:db8::53'] }));
  assert.equal(p.fullTunnel, true);
  assert.deepEqual(p.address6, { address: '2001:db8:2::1', prefix: 128 });
  assert.deepEqual(p.routes, []);
  assert.deepEqual(p.dns?.servers, ['198.51.100.53', '2001:db8::53']);
});

test('full tunnel narrowed to IPv4 (no IPv6 pool): no IPv6 address, so the plan blocks IPv6', () => {
  const p = plan(result(['0.0.0.0/0']));
  assert.equal(p.fullTunnel, true);
  assert.equal(p.address6, undefined);
});

test('full tunnel whose IPv6 selectors are not all of IPv6 blocks IPv6 rather than leak the rest', () => {
  const p = plan(result(['0.0.0.0/0', '2001:db8:5::/48'], { ip6: '2001:db8:2::1/128' }));
  assert.equal(p.address6, undefined);
});

test('split tunnel routes the IPv6 networks along with the IPv4 ones when IPv6 has an address', () => {
  const p = plan(result(['198.51.100.0/24', '2001:db8:5::/48'], { ip6: '2001:db8:2::1/128' }));
  assert.equal(p.fullTunnel, false);
  assert.deepEqual(p.routes, ['198.51.100.0/24', '2001:db8:5::/48']);
  assert.deepEqual(p.address6, { address: '2001:db8:2::1', prefix: 128 });
});

test('split tunnel without an IPv6 address leaves IPv6 networks and IPv6 resolvers of the gateway out', () => {
  const p = networkPlan(
    'outpost0',
    '192.0.2.1',
    result(['198.51.100.0/24', '2001:db8:5::/48'], { dns: ['198.51.100.53', '2001:db8::53'] }),
    ['2001:db8:9::53'],
  );
  assert.deepEqual(p.routes, ['198.51.100.0/24']);
  assert.deepEqual(p.dns?.servers, ['198.51.100.53', '2001:db8:9::53'], 'the user’s own servers stay');
});

test('no IPv4 address is an error a person can act on', () => {
  assert.throws(
    () => plan(result(['0.0.0.0/0'], { ip4: undefined })),
    (e: unknown) => e instanceof OutpostError && e.code === 'internal-address-failure',
  );
});
