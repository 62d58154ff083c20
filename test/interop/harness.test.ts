// Proves the interop harness with strongSwan on both ends: every gateway connection comes up, traffic from the
// client namespace reaches the lan host through the userspace ESP tunnel (ping, a byte-exact HTTP download, iperf3,
// the MSS of the SYNs that leave it), the gateway restarts like a crash, raw UDP injection and capture work, the
// same holds behind a NAT router, and nothing is left behind afterwards.
import assert from 'node:assert/strict';
import { access } from 'node:fs/promises';
import { dirname } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { type Gateway, type GatewayConnection, startGateway } from '../support/gateway.js';
import { download, iperf, startHttpServer, startIperfServer } from '../support/lan-services.js';
import { type NatMapping, type NetworkOptions, processAlive, run, TestNetwork } from '../support/netns.js';
import { oathtoolTotp } from '../support/oathtool.js';
import { captureTcpSyn, captureUdp, listenUdp, sendUdp, udpPortsOf } from '../support/packets.js';
import { type StrongswanClient, startStrongswanClient } from '../support/strongswan-client.js';

const MIB = 1024 * 1024;
/** SHA-256 of startHttpServer's 1 MiB file with the default seed: the content is the same in every run. */
const ONE_MIB_SHA256 = '9a9f1f7fc9c19a198af420d4beabb906e06dadfd3a57e61d41a95b5f3296622b';

/** strongSwan on both ends of a fresh test network; nothing is left behind when a part fails to start. */
async function startHarness(
  options: NetworkOptions = {},
): Promise<{ net: TestNetwork; gateway: Gateway; client: StrongswanClient }> {
  const net = await TestNetwork.create(options);
  let gateway: Gateway | undefined;
  try {
    gateway = await startGateway(net);
    return { net, gateway, client: await startStrongswanClient(net, gateway) };
  } catch (error) {
    await stopHarness(undefined, gateway, net);
    throw error;
  }
}

/** What a failed start left undefined is skipped. */
async function stopHarness(client?: StrongswanClient, gateway?: Gateway, net?: TestNetwork): Promise<void> {
  await client?.stop();
  await gateway?.stop();
  await net?.destroy();
}

describe('strongSwan interop harness', { timeout: 60_000 }, () => {
  let net: TestNetwork;
  let gateway: Gateway;
  let client: StrongswanClient;

  before(async () => {
    ({ net, gateway, client } = await startHarness());
  });
  after(() => stopHarness(client, gateway, net));

  it('gives the client a default route towards the gateway, but the lan host answers only through a tunnel', async () => {
    assert.equal(net.clientAddress, '192.0.2.2');
    assert.equal(net.natNs, undefined);
    const route = await net.exec(net.clientNs, ['ip', 'route', 'show', 'default']);
    assert.match(route.stdout, /^default via 192\.0\.2\.1 dev vgw/m);
    const ping = await net.exec(net.clientNs, ['ping', '-c', '1', '-W', '1', gateway.lanHost]);
    assert.notEqual(ping.code, 0);
  });

  for (const conn of ['ecdsa', 'rsa', 'psk', 'totp'] as const) {
    it(`establishes '${conn}' and carries traffic through it`, async () => {
      const result = await client.initiate(conn);
      assert.ok(result.ok, result.output);
      const vip = await assertEstablished(gateway, conn, net.clientPublicAddress);

      // kernel-libipsec routes the remote subnet through its TUN device in table 220, sourced from the virtual IP.
      const route = await net.exec(net.clientNs, ['ip', 'route', 'get', gateway.lanHost]);
      assert.match(route.stdout, new RegExp(`dev ipsec0 table 220 src ${vip.replaceAll('.', '\\.')}\\b`));
      const ping = await net.exec(net.clientNs, ['ping', '-c', '1', '-W', '2', gateway.lanHost]);
      assert.equal(ping.code, 0, ping.stdout + ping.stderr);
      assert.match(await gateway.listSas(), /in +[0-9a-f]{8}, +84 bytes, +1 packets/);

      await client.terminate(conn);
      assert.doesNotMatch(await gateway.listSas(), new RegExp(`^${conn}: `, 'm'));
    });
  }

  it('passes the DNS attribute to the client', async () => {
    assert.match(await client.log(), /installing DNS server 198\.51\.100\.53/);
  });

  it('checks the TOTP code through PAM', async () => {
    const code = await oathtoolTotp(gateway.totpSecret);
    const wrong = String((Number(code) + 500_000) % 1_000_000).padStart(6, '0');
    const result = await client.initiate('totp', { totpCode: wrong });
    assert.equal(result.ok, false, result.output);
    assert.match(await gateway.log(), /pam_authenticate for '[^']+' failed: Authentication failure/);
    assert.doesNotMatch(await gateway.listSas(), /ESTABLISHED/);
  });

  it('serves a byte-exact HTTP download and an iperf3 run through the tunnel, and sees the SYNs that left it', async (t) => {
    const http = await startHttpServer(net, { bytes: MIB });
    const iperfServer = await startIperfServer(net);
    try {
      assert.equal(http.sha256, ONE_MIB_SHA256);
      assert.ok((await client.initiate('ecdsa')).ok);
      // kernel-libipsec's TUN has MTU 1400, so the client's kernel announces MSS 1400 - 40
      const link = await net.exec(net.clientNs, ['ip', 'link', 'show', 'ipsec0']);
      assert.match(link.stdout, /\bmtu 1400\b/);

      const capture = await captureTcpSyn(net, net.lanNs, 'vgw', Number(new URL(http.url).port));
      const got = await download(net, net.clientNs, http.url);
      assert.deepEqual(got, { bytes: MIB, sha256: ONE_MIB_SHA256 });
      assert.deepEqual(await capture.stop(), { mss: [1360], syns: 1 });

      const throughput = await iperf(net, net.clientNs, { seconds: 2 });
      assert.ok(throughput.bitsPerSecond > 1e6, `iperf3: ${throughput.bitsPerSecond} bit/s`);
      t.diagnostic(`strongSwan to strongSwan: ${(throughput.bitsPerSecond / 1e6).toFixed(0)} Mbit/s`);
      // the ESP counters prove the bytes went through the tunnel, not around it
      const bytesIn = /in +[0-9a-f]{8}, +(\d+) bytes/.exec(await gateway.listSas())?.[1];
      assert.ok(Number(bytesIn) > MIB, `gateway ESP in: ${bytesIn} bytes`);
      await client.terminate('ecdsa');
    } finally {
      await iperfServer.stop();
      await http.stop();
    }
  });

  it('sends raw UDP from any source port and address, and captures it', async () => {
    // strongSwan's client holds 500 and 4500 in the client namespace; a raw socket may send from 4500 all the same
    assert.deepEqual(await udpPortsOf(net, net.clientNs, client.pid), [500, 4500]);
    const listener = await listenUdp(net, net.gatewayNs, { address: gateway.address });
    const capture = await captureUdp(net, net.gatewayNs, 'vcli', `dst port ${listener.port}`);
    try {
      const payloads = [Uint8Array.of(0, 0, 0, 0, 1, 2), new Uint8Array(0), Buffer.alloc(1400, 0xab)];
      await sendUdp(net, net.clientNs, {
        to: gateway.address,
        port: listener.port,
        from: { port: 4500 },
        payload: payloads,
      });
      const got = await listener.received(3);
      assert.deepEqual(
        got.map((d) => [d.from, d.port, Buffer.from(d.payload).toString('hex')]),
        payloads.map((p) => [net.clientAddress, 4500, Buffer.from(p).toString('hex')]),
      );
      // a forged source address (IP_HDRINCL) arrives as such
      await sendUdp(net, net.clientNs, {
        to: gateway.address,
        port: listener.port,
        from: { address: '198.51.100.99', port: 7 },
        payload: Buffer.from('forged'),
      });
      const [, , , forged] = await listener.received(4);
      assert.deepEqual([forged?.from, forged?.port], ['198.51.100.99', 7]);
      const sent = [...payloads, Buffer.from('forged')];
      const seen = await capture.stop();
      assert.deepEqual(
        seen.map((p) => Buffer.from(p).toString('hex')),
        sent.map((p) => Buffer.from(p).toString('hex')),
        `captured ${datagramList(seen)}; sent ${datagramList(sent)}`,
      );
    } finally {
      await listener.stop();
    }
    await assert.rejects(
      sendUdp(net, net.clientNs, { to: '10.0.0.1', port: 9, payload: new Uint8Array(1) }),
      /outside the test prefixes/,
    );
  });

  it('restarts the gateway like a crash, with the same configuration and credentials', async () => {
    assert.ok((await client.initiate('psk')).ok);
    const before = gateway.pid;
    await gateway.restart();
    assert.ok(!processAlive(before), 'the old charon is gone');
    assert.notEqual(gateway.pid, before);
    assert.ok(processAlive(gateway.pid));
    assert.doesNotMatch(await gateway.listSas(), /ESTABLISHED/, 'a crash forgets every SA');
    const conns = (await gateway.swanctl(['--list-conns'])).stdout;
    // full6 exists only on a gateway started with an IPv6 pool, tls and radius only with eapTls, cert with clientCert
    const optional = new Set(['full6', 'tls', 'radius', 'cert']);
    for (const conn of Object.keys(gateway.ids).filter((c) => !optional.has(c))) {
      assert.match(conns, new RegExp(`^${conn}: IKEv2`, 'm'));
    }

    // nobody answers the client's Delete any more: force it
    await client.terminate('psk', { force: true });
    for (const conn of ['psk', 'ecdsa'] as const) {
      const again = await client.initiate(conn);
      assert.ok(again.ok, again.output);
      const ping = await net.exec(net.clientNs, ['ping', '-c', '1', '-W', '2', gateway.lanHost]);
      assert.equal(ping.code, 0, ping.stdout + ping.stderr);
      await client.terminate(conn);
    }
  });

  it('tears down everything it started', async () => {
    const pids = [gateway.pid, client.pid];
    const gatewayDir = dirname(gateway.swanctlDir);
    await client.stop();
    await gateway.stop();
    await assertTornDown(net, pids);
    await assert.rejects(access(gatewayDir), { code: 'ENOENT' });
  });
});

describe('strongSwan interop harness behind a NAT router', { timeout: 30_000 }, () => {
  let net: TestNetwork;
  let gateway: Gateway;
  let client: StrongswanClient;

  before(async () => {
    ({ net, gateway, client } = await startHarness({ nat: true }));
  });
  after(() => stopHarness(client, gateway, net));

  it('puts the client on 198.18.0.0/24 with a default route via the router', async () => {
    assert.equal(net.clientAddress, '198.18.0.2');
    assert.ok(net.natNs?.endsWith('-nat'));
    const route = await net.exec(net.clientNs, ['ip', 'route', 'show', 'default']);
    assert.match(route.stdout, /^default via 198\.18\.0\.1 dev vnat/m);
    const ruleset = await net.exec(net.natNs ?? '', ['nft', 'list', 'ruleset']);
    assert.match(ruleset.stdout, /oifname "vgw" masquerade/);
  });

  it('connects and carries traffic; the gateway sees the router, which keeps the ports', async () => {
    const result = await client.initiate('psk');
    assert.ok(result.ok, result.output);
    assert.match(result.output, /local host is behind NAT/);
    await assertEstablished(gateway, 'psk', net.clientPublicAddress);
    assert.match(await client.listSas(), /^ {2}local {2}'[^']*' @ 198\.18\.0\.2\[4500\]/m);
    const ping = await net.exec(net.clientNs, ['ping', '-c', '1', '-W', '2', gateway.lanHost]);
    assert.equal(ping.code, 0, ping.stdout + ping.stderr);

    const mappings = (await net.natMappings()).filter((m) => m.protocol === 'udp');
    for (const port of [500, 4500]) {
      assert.ok(
        mappings.some(
          (m) =>
            m.inside.address === '198.18.0.2' &&
            m.inside.port === port &&
            m.outside.address === '192.0.2.2' &&
            m.outside.port === port &&
            m.remote.address === gateway.address,
        ),
        JSON.stringify(mappings),
      );
    }
    await client.terminate('psk');
  });

  it('lets the gateway side inject at a mapped port, which reaches the client behind the NAT', async () => {
    const inside = await listenUdp(net, net.clientNs);
    const outside = await listenUdp(net, net.gatewayNs, { address: gateway.address });
    try {
      // the client's datagram opens the mapping; the answer from the gateway's port comes back through it
      await sendUdp(net, net.clientNs, {
        to: gateway.address,
        port: outside.port,
        from: { port: inside.port },
        payload: Buffer.from('out'),
      });
      const [opened] = await outside.received(1);
      assert.deepEqual([opened?.from, opened?.port], ['192.0.2.2', inside.port]);
      await sendUdp(net, net.gatewayNs, {
        to: net.clientPublicAddress,
        port: inside.port,
        from: { port: outside.port },
        payload: Buffer.from('in'),
      });
      const [answer] = await inside.received(1);
      assert.deepEqual(
        [answer?.from, answer?.port, Buffer.from(answer?.payload ?? []).toString()],
        [gateway.address, outside.port, 'in'],
      );

      // short mapping lifetimes take effect from the flow's next packet: then the mapping expires
      const mapped = (m: NatMapping): boolean => m.inside.port === inside.port && m.remote.port === outside.port;
      await net.setNatUdpTimeouts({ unrepliedSeconds: 1, streamSeconds: 1 });
      await sendUdp(net, net.clientNs, {
        to: gateway.address,
        port: outside.port,
        from: { port: inside.port },
        payload: Buffer.from('refresh'),
      });
      await outside.received(2);
      assert.ok((await net.natMappings()).some(mapped));
      await sleep(1500);
      assert.ok(!(await net.natMappings()).some(mapped), 'the mapping expired');
    } finally {
      await inside.stop();
      await outside.stop();
    }
  });

  it('tears down everything it started, the router too', async () => {
    const pids = [gateway.pid, client.pid];
    await client.stop();
    await gateway.stop();
    await assertTornDown(net, pids);
  });
});

/** Payloads as short as a failure message can show them: length and the first bytes of each, in order. */
function datagramList(payloads: readonly Uint8Array[]): string {
  const shown = payloads.map((p) => {
    const hex = Buffer.from(p).toString('hex');
    return `${p.length} B ${hex.length > 16 ? `${hex.slice(0, 16)}…` : hex || '(empty)'}`;
  });
  return `${payloads.length}: [${shown.join(', ')}]`;
}

/**
 * Asserts the gateway shows the connection's IKE SA established from `peer` and its CHILD SA installed; returns the
 * client's virtual IP.
 */
async function assertEstablished(gateway: Gateway, conn: GatewayConnection, peer: string): Promise<string> {
  const sas = await gateway.listSas();
  assert.match(sas, new RegExp(`^${conn}: #\\d+, ESTABLISHED, IKEv2`, 'm'), sas);
  assert.match(sas, new RegExp(`^ +${conn}: #\\d+, reqid \\d+, INSTALLED, TUNNEL-in-UDP`, 'm'), sas);
  const remote = new RegExp(
    `^ +remote '[^']*' @ ${peer.replaceAll('.', '\\.')}\\[4500\\](?: EAP: '[^']*')? \\[(203\\.0\\.113\\.\\d+)\\]$`,
    'm',
  );
  const vip = remote.exec(sas)?.[1];
  assert.ok(vip, `no virtual IP for a peer at ${peer} in:\n${sas}`);
  return vip;
}

/** With its daemons stopped: no process left in any namespace, then none of them left, and the PIDs gone. */
async function assertTornDown(net: TestNetwork, pids: number[]): Promise<void> {
  const namespaces = [net.clientNs, net.gatewayNs, net.lanNs, ...(net.natNs ? [net.natNs] : [])];
  for (const ns of namespaces) {
    assert.equal((await run(['ip', 'netns', 'pids', ns])).stdout.trim(), '', `processes left in ${ns}`);
  }
  await net.destroy();
  const listed = (await run(['ip', 'netns', 'list'])).stdout;
  for (const ns of namespaces) assert.ok(!listed.includes(ns), ns);
  for (const pid of pids) assert.throws(() => process.kill(pid, 0), { code: 'ESRCH' });
  await assert.rejects(access(net.resolvConf), { code: 'ENOENT' });
}
