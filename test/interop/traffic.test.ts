/**
 * Real traffic through the Outpost tunnel to a host behind a real strongSwan gateway (kernel-libipsec): ping, a
 * byte-exact HTTP download, iperf3; split and full tunnel; DNS applied and restored (also after kill -9); MSS
 * clamping; forged, truncated, replayed and wrong-SPI ESP dropped and counted.
 */
import assert from 'node:assert/strict';
import { readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { type Gateway, startGateway } from '../support/gateway.js';
import {
  download,
  type HttpServer,
  type IperfServer,
  iperf,
  startHttpServer,
  startIperfServer,
} from '../support/lan-services.js';
import { CLIENT_RESOLV_CONF, TestNetwork } from '../support/netns.js';
import { captureSynMss, captureUdp, sendUdp, udpPortsOf } from '../support/packets.js';
import { loginArgs, OutpostProcess } from './cli-process.js';

let net: TestNetwork;
let gw: Gateway;
let http: HttpServer;
let iperfServer: IperfServer;
const stateDir = () => join(tmpdir(), `outpost-state-${net.clientNs}`);

before(async () => {
  net = await TestNetwork.create();
  gw = await startGateway(net);
  http = await startHttpServer(net, 1024 * 1024);
  iperfServer = await startIperfServer(net);
});

after(async () => {
  await iperfServer?.stop();
  await http?.stop();
  await gw?.stop();
  await net?.destroy();
  rmSync(stateDir(), { recursive: true, force: true });
});

function ecdsaArgs(): string[] {
  return loginArgs(gw);
}

async function connected(args: string[], env: NodeJS.ProcessEnv): Promise<OutpostProcess> {
  const proc = OutpostProcess.start(net, args, env);
  const up = await proc.waitFor('connected');
  assert.ok(up, `not connected: ${proc.stderr}`);
  return proc;
}

async function ping(target: string): Promise<boolean> {
  const r = await net.exec(net.clientNs, ['ping', '-c', '3', '-i', '0.2', '-W', '2', target]);
  return r.code === 0;
}

async function routeDevice(destination: string): Promise<string> {
  const r = await net.exec(net.clientNs, ['ip', '-j', 'route', 'get', destination]);
  return (JSON.parse(r.stdout) as Array<{ dev: string }>)[0]!.dev;
}

const password = () => ({ OUTPOST_PASSWORD: gw.user.password });

describe('split tunnel (the gateway offers 198.51.100.0/24)', () => {
  test('ping, a byte-exact 1 MB HTTP download, iperf3, DNS applied then restored', async () => {
    assert.equal(await ping(gw.lanHost), false, 'the LAN must not be reachable without the tunnel');
    const proc = await connected(ecdsaArgs(), password());
    try {
      assert.ok(await ping(gw.lanHost), 'ping through the tunnel');
      const got = await download(net, net.clientNs, http.url);
      assert.deepEqual(got, { bytes: http.bytes, sha256: http.sha256 });
      const result = await iperf(net, net.clientNs, { seconds: 3 });
      assert.ok(result.bitsPerSecond > 10e6, `iperf3 ${result.bitsPerSecond} bit/s`);
      // only the company network uses the tunnel
      assert.match(await routeDevice(gw.lanHost), /^outpost/);
      assert.doesNotMatch(await routeDevice('198.18.7.7'), /^outpost/);
      const resolv = readFileSync(net.resolvConf, 'utf8');
      assert.match(resolv, /^nameserver 198\.51\.100\.53$/m);
      const stats = await proc.until((e) => e.event === 'stats' && Number(e.bytesIn) > http.bytes);
      assert.ok(Number(stats.packetsOut) > 0);
    } finally {
      assert.equal(await proc.stop(), 0, proc.stderr);
    }
    assert.equal(readFileSync(net.resolvConf, 'utf8'), CLIENT_RESOLV_CONF, 'DNS restored on disconnect');
    assert.equal(await ping(gw.lanHost), false, 'routes removed on disconnect');
  });

  test('DNS is restored after kill -9 when Outpost starts again', async () => {
    const crashed = await connected(ecdsaArgs(), password());
    assert.match(readFileSync(net.resolvConf, 'utf8'), /198\.51\.100\.53/);
    await crashed.stop('SIGKILL');
    assert.match(readFileSync(net.resolvConf, 'utf8'), /198\.51\.100\.53/, 'a killed process cannot clean up');
    const again = await connected(ecdsaArgs(), password());
    assert.equal(await again.stop(), 0);
    assert.equal(
      readFileSync(net.resolvConf, 'utf8'),
      CLIENT_RESOLV_CONF,
      'the original, not what the crashed run wrote',
    );
  });

  test('the MSS of a SYN that leaves the tunnel is clamped to fit its MTU', async () => {
    const proc = await connected(ecdsaArgs(), password());
    try {
      const mtu = Number((await net.exec(net.clientNs, ['cat', '/sys/class/net/outpost0/mtu'])).stdout);
      // make the client's kernel announce more than fits (as a host behind a LAN router would), so only the
      // clamp can bring it down
      const routed = await net.exec(net.clientNs, [
        'ip',
        'route',
        'change',
        gw.splitSubnet,
        'dev',
        'outpost0',
        'advmss',
        '1460',
      ]);
      assert.equal(routed.code, 0, routed.stderr);
      const capture = await captureSynMss(net, net.lanNs, 'vgw');
      await download(net, net.clientNs, http.url);
      const mss = await capture.stop();
      assert.ok(mss.length > 0, 'no SYN seen at the LAN host');
      for (const m of mss) assert.ok(m <= mtu - 40, `MSS ${m} with tunnel MTU ${mtu}`);
    } finally {
      await proc.stop();
    }
  });

  test('forged, truncated, replayed and wrong-SPI ESP is dropped and counted, never fatal', async () => {
    const proc = await connected(ecdsaArgs(), password());
    try {
      const [port] = await udpPortsOf(net, net.clientNs, proc.pid);
      assert.ok(port, 'client UDP port');
      // one real ESP packet from the gateway, to replay
      const capture = await captureUdp(net, net.clientNs, 'vgw', 'udp and src port 4500 and greater 80');
      assert.ok(await ping(gw.lanHost));
      const seen = await capture.stop();
      const real = seen.map((p) => Buffer.from(p)).find((p) => p.length > 40 && p.readUInt32BE(0) !== 0);
      assert.ok(real, 'captured an ESP packet');
      const forged = Buffer.from(real);
      forged[forged.length - 1]! ^= 0x01;
      const wrongSpi = Buffer.from(real);
      wrongSpi.writeUInt32BE(0xdeadbeef, 0);
      const truncated = real.subarray(0, 12);
      await sendUdp(net, net.gatewayNs, net.clientAddress, port, 4500, [real, real, forged, wrongSpi, truncated]);
      const stats = await proc.until((e) => {
        const d = e.drops as Record<string, number> | undefined;
        return (
          e.event === 'stats' &&
          !!d &&
          (d.replay ?? 0) >= 2 &&
          (d['no-sa'] ?? 0) >= 1 &&
          (d.malformed ?? 0) + (d.auth ?? 0) >= 1
        );
      }, 10_000);
      assert.ok(stats);
      assert.ok(await ping(gw.lanHost), 'the tunnel still works');
    } finally {
      assert.equal(await proc.stop(), 0);
    }
  });
});

describe('full tunnel (the gateway offers 0.0.0.0/0)', () => {
  test('everything goes through the tunnel and the gateway stays reachable', async () => {
    const args = ['--gateway', gw.address, '--gateway-id', gw.ids.full, '--auth', 'psk', '--identity', gw.pskClientId];
    const proc = await connected(args, { OUTPOST_PSK: gw.psk });
    try {
      assert.match(await routeDevice('198.18.7.7'), /^outpost/);
      assert.match(await routeDevice(gw.lanHost), /^outpost/);
      assert.doesNotMatch(await routeDevice(gw.address), /^outpost/, 'host route to the gateway outside the tunnel');
      assert.ok(await ping(gw.lanHost));
      const got = await download(net, net.clientNs, http.url);
      assert.equal(got.sha256, http.sha256);
    } finally {
      assert.equal(await proc.stop(), 0);
    }
    assert.notEqual(await routeDevice('198.18.7.7'), 'outpost0');
  });
});
