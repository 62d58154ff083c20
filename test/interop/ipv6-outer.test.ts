/**
 * IPv6 to the gateway with a real strongSwan (kernel-libipsec, which fakes NAT: NAT-T hashes of 16-byte addresses
 * and ESP-in-UDP over IPv6): IPv4 and IPv6 through a tunnel whose outer packets are IPv6, and a gateway name with
 * both families where IPv6 is dropped on the way: IPv4 starts after the head start and carries the tunnel.
 */
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
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

function pskArgs(gateway: string, connection: 'psk' | 'full6'): string[] {
  return ['--gateway', gateway, '--gateway-id', gw.ids[connection], '--auth', 'psk', '--identity', gw.pskClientId];
}

async function ping(target: string): Promise<boolean> {
  const family = target.includes(':') ? ['-6'] : [];
  const r = await net.exec(net.clientNs, ['ping', ...family, '-c', '2', '-i', '0.2', '-W', '2', target]);
  return r.code === 0;
}

/** The line of `swanctl --list-sas` naming the gateway's end of `connection`'s IKE SA. */
async function gatewayEnd(connection: string): Promise<string> {
  const sas = await gw.listSas();
  const match = new RegExp(`^${connection}: #\\d+, ESTABLISHED.*\\n\\s+local\\s+'[^']+' @ (\\S+)\\[`, 'm').exec(sas);
  assert.ok(match, sas);
  return match[1]!;
}

test('split tunnel over IPv6: IKE and ESP-in-UDP to 2001:db8:1::1, IPv4 to the LAN through it', async () => {
  const proc = OutpostProcess.start(net, pskArgs(IPV6.gatewayOutside, 'psk'), { OUTPOST_PSK: gw.psk });
  try {
    const connected = await proc.waitFor('connected');
    assert.ok(connected, `not connected: ${JSON.stringify(proc.events)} ${proc.stderr}`);
    assert.equal(connected.natTraversal, true, 'NAT detection over IPv6 (the gateway fakes a NAT)');
    assert.equal(await gatewayEnd('psk'), IPV6.gatewayOutside);
    assert.ok(await ping(gw.lanHost), 'ping through the tunnel');
  } finally {
    assert.equal(await proc.stop('SIGINT'), 0, proc.stderr);
  }
});

test('full tunnel for both families over IPv6: the gateway keeps its host route, IPv6 reaches the LAN inside', async () => {
  const proc = OutpostProcess.start(net, pskArgs(IPV6.gatewayOutside, 'full6'), { OUTPOST_PSK: gw.psk });
  try {
    const connected = await proc.waitFor('connected');
    assert.ok(connected, `not connected: ${JSON.stringify(proc.events)} ${proc.stderr}`);
    assert.equal(await gatewayEnd('full6'), IPV6.gatewayOutside);
    const route = await net.exec(net.clientNs, ['ip', '-6', 'route', 'get', IPV6.gatewayOutside]);
    assert.match(route.stdout, /dev vgw/, 'IKE and ESP still leave by the real link');
    assert.ok(await ping(IPV6.lanHost), 'IPv6 through the tunnel');
    assert.ok(await ping(gw.lanHost), 'IPv4 through the tunnel');
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
  const proc = OutpostProcess.start(net, pskArgs('vpn.example.test', 'psk'), { OUTPOST_PSK: gw.psk });
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
    assert.ok(await ping(gw.lanHost));
  } finally {
    assert.equal(await proc.stop('SIGINT'), 0, proc.stderr);
    await net.exec(net.gatewayNs, ['nft', 'delete table inet t']);
  }
});

test('the same name with IPv6 working: IPv6 carries the tunnel', async () => {
  net.setClientHosts({ 'vpn.example.test': [IPV6.gatewayOutside, gw.address] });
  const proc = OutpostProcess.start(net, pskArgs('vpn.example.test', 'psk'), { OUTPOST_PSK: gw.psk });
  try {
    assert.ok(await proc.waitFor('connected'), `not connected: ${JSON.stringify(proc.events)} ${proc.stderr}`);
    assert.equal(await gatewayEnd('psk'), IPV6.gatewayOutside);
    assert.ok(await ping(gw.lanHost));
  } finally {
    assert.equal(await proc.stop('SIGINT'), 0, proc.stderr);
  }
});
