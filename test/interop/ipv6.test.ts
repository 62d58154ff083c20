/**
 * IPv6 with a real strongSwan gateway (kernel-libipsec): a connection whose gateway hands out an IPv6 address
 * carries IPv6 through the tunnel; one whose gateway has no IPv6 narrows our IPv6 selectors away (RFC 7296 §2.9),
 * still connects, and IPv6 to the outside is blocked while it is up (no leak around a full tunnel). IPv6 to the
 * gateway itself: the tunnel's outer packets over IPv6 (kernel-libipsec fakes NAT, so NAT-T hashes of 16-byte
 * addresses and ESP-in-UDP over IPv6), and a gateway name with both families where IPv6 is dropped on the way.
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

function pskArgs(connection: 'psk' | 'full' | 'full6', gateway: string = gw.address): string[] {
  return ['--gateway', gateway, '--gateway-id', gw.ids[connection], '--auth', 'psk', '--identity', gw.pskClientId];
}

async function ping4(target: string): Promise<boolean> {
  return (await net.exec(net.clientNs, ['ping', '-c', '2', '-i', '0.2', '-W', '2', target])).code === 0;
}

/** The address the gateway's end of `connection`'s IKE SA is on, from `swanctl --list-sas`. */
async function gatewayEnd(connection: string): Promise<string> {
  const sas = await gw.listSas();
  const match = new RegExp(`^${connection}: #\\d+, ESTABLISHED.*\\n\\s+local\\s+'[^']+' @ (\\S+)\\[`, 'm').exec(sas);
  assert.ok(match, sas);
  return match[1]!;
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

test('split tunnel over IPv6: IKE and ESP-in-UDP to 2001:db8:1::1, IPv4 to the LAN through it', async () => {
  const proc = OutpostProcess.start(net, pskArgs('psk', IPV6.gatewayOutside), { OUTPOST_PSK: gw.psk });
  try {
    const connected = await proc.waitFor('connected');
    assert.ok(connected, `not connected: ${JSON.stringify(proc.events)} ${proc.stderr}`);
    assert.equal(connected.natTraversal, true, 'NAT detection over IPv6 (the gateway fakes a NAT)');
    assert.equal(await gatewayEnd('psk'), IPV6.gatewayOutside);
    assert.ok(await ping4(gw.lanHost), 'ping through the tunnel');
  } finally {
    assert.equal(await proc.stop('SIGINT'), 0, proc.stderr);
  }
});

test('full tunnel for both families over IPv6: the gateway keeps its host route, IPv6 reaches the LAN inside', async () => {
  const proc = OutpostProcess.start(net, pskArgs('full6', IPV6.gatewayOutside), { OUTPOST_PSK: gw.psk });
  try {
    const connected = await proc.waitFor('connected');
    assert.ok(connected, `not connected: ${JSON.stringify(proc.events)} ${proc.stderr}`);
    assert.equal(await gatewayEnd('full6'), IPV6.gatewayOutside);
    const route = await net.exec(net.clientNs, ['ip', '-6', 'route', 'get', IPV6.gatewayOutside]);
    assert.match(route.stdout, /dev vgw/, 'IKE and ESP still leave by the real link');
    assert.ok(await ping6(IPV6.lanHost), 'IPv6 through the tunnel');
    assert.ok(await ping4(gw.lanHost), 'IPv4 through the tunnel');
  } finally {
    assert.equal(await proc.stop('SIGINT'), 0, proc.stderr);
  }
});

test('a name with both families and IPv6 dropped on the way: IPv4 starts after the head start and wins', async () => {
  net.setClientHosts({ 'vpn.example.test': [IPV6.gatewayOutside, gw.address] });
  const block =
    'add table inet t; add chain inet t in { type filter hook input priority 0; }; add rule inet t in meta nfproto ipv6 udp dport { 500, 4500 } drop';
  const blocked = await net.exec(net.gatewayNs, ['nft', block]);
  assert.equal(blocked.code, 0, blocked.stderr);
  const proc = OutpostProcess.start(net, pskArgs('psk', 'vpn.example.test'), { OUTPOST_PSK: gw.psk });
  try {
    const connected = await proc.waitFor('connected');
    assert.ok(connected, `not connected: ${JSON.stringify(proc.events)} ${proc.stderr}`);
    const notes = proc.events.filter((e) => e.event === 'progress').map((e) => String(e.message));
    assert.ok(
      notes.includes(`No answer from ${IPV6.gatewayOutside} yet: trying ${gw.address} as well.`),
      notes.join('\n'),
    );
    assert.ok(notes.includes(`${gw.address} answered first.`), notes.join('\n'));
    assert.equal(await gatewayEnd('psk'), gw.address);
    assert.ok(await ping4(gw.lanHost));
  } finally {
    assert.equal(await proc.stop('SIGINT'), 0, proc.stderr);
    await net.exec(net.gatewayNs, ['nft', 'delete table inet t']);
  }
});

test('the same name with IPv6 working: IPv6 carries the tunnel', async () => {
  net.setClientHosts({ 'vpn.example.test': [IPV6.gatewayOutside, gw.address] });
  const proc = OutpostProcess.start(net, pskArgs('psk', 'vpn.example.test'), { OUTPOST_PSK: gw.psk });
  try {
    assert.ok(await proc.waitFor('connected'), `not connected: ${JSON.stringify(proc.events)} ${proc.stderr}`);
    assert.equal(await gatewayEnd('psk'), IPV6.gatewayOutside);
    assert.ok(await ping4(gw.lanHost));
  } finally {
    assert.equal(await proc.stop('SIGINT'), 0, proc.stderr);
  }
});
