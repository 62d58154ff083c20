/**
 * IPv6 with a real strongSwan gateway (kernel-libipsec): a connection whose gateway hands out an IPv6 address
 * carries IPv6 through the tunnel; one whose gateway has no IPv6 narrows our IPv6 selectors away (RFC 7296 §2.9),
 * still connects, and IPv6 to the outside is blocked while it is up (no leak around a full tunnel).
 */
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { cidrContains, parseCidr, parseIp } from '../../core/net/address.js';
import { type Gateway, startGateway } from '../support/gateway.js';
import { IPV6, TestNetwork } from '../support/netns.js';
import { OutpostProcess } from './cli-process.js';

let net: TestNetwork;
let gw: Gateway;
const stateDir = () => join(tmpdir(), `outpost-state-${net.clientNs}`);

before(async () => {
  net = await TestNetwork.create({ ipv6: true });
  gw = await startGateway(net, { ipv6Pool: true });
});

after(async () => {
  await gw?.stop();
  await net?.destroy();
  rmSync(stateDir(), { recursive: true, force: true });
});

function pskArgs(connection: 'full' | 'full6'): string[] {
  return ['--gateway', gw.address, '--gateway-id', gw.ids[connection], '--auth', 'psk', '--identity', gw.pskClientId];
}

async function ping6(target: string): Promise<boolean> {
  const r = await net.exec(net.clientNs, ['ping', '-6', '-c', '3', '-i', '0.2', '-W', '2', target]);
  return r.code === 0;
}

async function routeOf(destination: string): Promise<{ dev: string; prefsrc?: string }> {
  const r = await net.exec(net.clientNs, ['ip', '-j', 'route', 'get', destination]);
  assert.equal(r.code, 0, r.stderr);
  return (JSON.parse(r.stdout) as { dev: string; prefsrc?: string }[])[0]!;
}

test('a gateway with an IPv6 pool: an IPv6 address, and IPv6 to the LAN through the tunnel', async () => {
  assert.ok(await ping6(IPV6.lanHost), 'the LAN host answers IPv6 outside the tunnel before connecting');
  const proc = OutpostProcess.start(net, pskArgs('full6'), { OUTPOST_PSK: gw.psk });
  try {
    const up = await proc.waitFor('connected');
    assert.ok(up, `not connected: ${proc.stderr}`);
    const virtualIp6 = String(up.virtualIp6);
    const address = parseIp(virtualIp6.split('/')[0] ?? '');
    assert.ok(address && cidrContains(parseCidr(gw.pool6), address), `virtualIp6 ${virtualIp6}`);
    assert.ok((up.remoteTs as string[]).includes('::/0'), `remote selectors ${String(up.remoteTs)}`);
    const route = await routeOf(IPV6.lanHost);
    assert.match(route.dev, /^outpost/);
    assert.equal(route.prefsrc, virtualIp6.split('/')[0], 'IPv6 leaves from the virtual address');
    assert.ok(await ping6(IPV6.lanHost), 'ping -6 through the tunnel');
    assert.match((await routeOf(gw.address)).dev, /^vgw$/, 'the gateway stays outside the tunnel');
    const stats = await proc.until((e) => e.event === 'stats' && Number(e.packetsIn) >= 3);
    assert.equal((stats.drops as Record<string, number>).selector, 0, 'the gateway sent only what was negotiated');
  } finally {
    assert.equal(await proc.stop(), 0, proc.stderr);
  }
  assert.equal((await routeOf(IPV6.lanHost)).dev, 'vgw', 'IPv6 routes removed on disconnect');
});

test('a gateway without IPv6 narrows it away; IPv6 is blocked while connected, and back after', async () => {
  assert.ok(await ping6(IPV6.lanHost), 'IPv6 through the default route before connecting');
  const proc = OutpostProcess.start(net, pskArgs('full'), { OUTPOST_PSK: gw.psk });
  try {
    const up = await proc.waitFor('connected');
    assert.ok(up, `not connected: ${proc.stderr}`);
    assert.equal(up.virtualIp6, null);
    assert.deepEqual(up.remoteTs, ['0.0.0.0/0'], 'IPv4 selectors only');
    assert.equal(await ping6(IPV6.lanHost), false, 'IPv6 must not leave around a full tunnel');
    const lookup = await net.exec(net.clientNs, ['ip', 'route', 'get', IPV6.lanHost]);
    assert.match(lookup.stderr, /No route to host/, 'refused at once by the unreachable routes');
    // like IPv4's local network, the on-link IPv6 prefix stays local (its route is more specific than the block)
    assert.ok(await ping6(IPV6.gatewayOutside), 'the local link still answers');
  } finally {
    assert.equal(await proc.stop(), 0, proc.stderr);
  }
  assert.ok(await ping6(IPV6.lanHost), 'IPv6 works again after disconnecting');
});
