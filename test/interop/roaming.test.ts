/**
 * Roaming against a real strongSwan gateway (issue 9): while traffic flows through the tunnel, the client's address
 * on its only network changes (the old one removed, another added, the default route following), as when a laptop
 * moves to another network. With MOBIKE at the gateway the same IKE SA moves to the new address (RFC 4555); without
 * it the tunnel is set up again. Either way traffic flows again within 10 s. And behind a NAT router whose mapping
 * expires and comes back on another port, the same IKE SA carries on from the new port.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Gateway } from '../support/gateway.js';
import type { TestNetwork } from '../support/netns.js';
import { loginArgs, OutpostProcess } from './cli-process.js';
import { withGateway } from './with-gateway.js';

const NEW_ADDRESS = '192.0.2.3';
const TRAFFIC_AGAIN_MS = 10_000;
const SETTLE_MS = 4000;

/** The gateway's view of the client's IKE SA: its unique id, SPIs and the client's address and port. */
interface GatewaySa {
  uniqueId: string;
  spis: string;
  remote: string;
  remotePort: number;
}

async function gatewaySa(gw: Gateway): Promise<GatewaySa> {
  const sas = await gw.listSas();
  const ike = /^ecdsa: #(\d+), ESTABLISHED, IKEv2, ([0-9a-f]+_i\*? [0-9a-f]+_r\*?)$/m.exec(sas);
  const remote = /^ +remote '[^']*' @ ([\d.]+)\[(\d+)\]/m.exec(sas);
  assert.ok(ike && remote, sas);
  assert.match(sas, /^ +ecdsa: #\d+, reqid \d+, INSTALLED, TUNNEL-in-UDP/m, sas);
  return { uniqueId: ike[1]!, spis: ike[2]!, remote: remote[1]!, remotePort: Number(remote[2]) };
}

async function pingsLanHost(net: TestNetwork, gw: Gateway): Promise<boolean> {
  const ping = await net.exec(net.clientNs, ['ping', '-c', '1', '-W', '0.25', gw.lanHost]);
  return ping.code === 0;
}

/**
 * Moves the client, then pings until a reply comes back through the tunnel: milliseconds until the client noticed
 * (its progress event) and until traffic flowed, both ±0.25 s (a ping's wait).
 */
async function moveAndTimeTraffic(
  net: TestNetwork,
  gw: Gateway,
  proc: OutpostProcess,
): Promise<{ noticedMs: number; trafficMs: number }> {
  const noticed = () => proc.events.some((e) => e.event === 'progress' && /address changed/.test(String(e.message)));
  const moved = performance.now();
  await net.moveClientAddress(NEW_ADDRESS);
  let noticedMs: number | undefined;
  while (performance.now() - moved < TRAFFIC_AGAIN_MS) {
    const reply = await pingsLanHost(net, gw);
    const elapsed = Math.round(performance.now() - moved);
    if (noticedMs === undefined && noticed()) noticedMs = elapsed;
    if (reply) return { noticedMs: noticedMs ?? elapsed, trafficMs: elapsed };
  }
  assert.fail(`no traffic through the tunnel within ${TRAFFIC_AGAIN_MS} ms of the address change`);
}

/**
 * Connected, traffic flowing, and settled: the gateway's namespaces get their IPv6 link-local addresses about 2 s after
 * they are made, and a MOBIKE gateway then sends its own address list; a move in the middle of that exchange waits for
 * its retransmission, which says nothing about roaming.
 */
async function connected(net: TestNetwork, gw: Gateway): Promise<OutpostProcess> {
  const proc = OutpostProcess.start(net, loginArgs(gw), { OUTPOST_PASSWORD: gw.user.password });
  assert.ok(await proc.waitFor('connected'), `${proc.stderr} ${JSON.stringify(proc.events)}`);
  assert.ok(await pingsLanHost(net, gw), 'traffic flows before the move');
  await new Promise((resolve) => setTimeout(resolve, SETTLE_MS));
  return proc;
}

describe("roaming: the client's address changes while connected", () => {
  test('with MOBIKE the same IKE SA moves to the new address and traffic flows again', async () => {
    await withGateway({ mobike: true }, async (net, gw) => {
      const proc = await connected(net, gw);
      let completed = false;
      try {
        const before = await gatewaySa(gw);
        assert.equal(before.remote, '192.0.2.2');
        const { noticedMs, trafficMs } = await moveAndTimeTraffic(net, gw, proc);
        const after = await gatewaySa(gw);
        const { remotePort: _port, ...moved } = after;
        const { remotePort: _before, ...was } = before;
        assert.deepEqual(moved, { ...was, remote: NEW_ADDRESS }, 'same IKE SA, now at the new address');
        const progress = proc.events.filter((e) => e.event === 'progress').map((e) => String(e.message));
        assert.ok(
          progress.some((m) => /moved to the new network address without reconnecting/.test(m)),
          `${progress}`,
        );
        assert.equal(proc.events.filter((e) => e.event === 'connected').length, 1, 'no reconnect');
        console.log(`# MOBIKE: noticed after ${noticedMs} ms, traffic again after ${trafficMs} ms`);
        completed = true;
      } finally {
        const code = await proc.stop();
        if (completed) assert.equal(code, 0, proc.stderr);
      }
    });
  });

  test('without MOBIKE the tunnel is set up again, a new IKE SA from the new address, and traffic flows again', async () => {
    await withGateway({ mobike: false }, async (net, gw) => {
      const proc = await connected(net, gw);
      let completed = false;
      try {
        const before = await gatewaySa(gw);
        const { noticedMs, trafficMs } = await moveAndTimeTraffic(net, gw, proc);
        const after = await gatewaySa(gw);
        assert.notEqual(after.uniqueId, before.uniqueId, 'a new IKE SA');
        assert.notEqual(after.spis, before.spis);
        assert.equal(after.remote, NEW_ADDRESS);
        assert.equal(proc.events.filter((e) => e.event === 'connected').length, 2, 'connected again');
        console.log(`# no MOBIKE: noticed after ${noticedMs} ms, traffic again after ${trafficMs} ms`);
        completed = true;
      } finally {
        const code = await proc.stop();
        if (completed) assert.equal(code, 0, proc.stderr);
      }
    });
  });
});

test('a NAT rebinding (the router maps the client to another port) keeps the same IKE SA', async () => {
  await withGateway({ nat: true }, async (net, gw) => {
    const proc = await connected(net, gw);
    let completed = false;
    try {
      const before = await gatewaySa(gw);
      assert.ok(before.remotePort < 20_000 || before.remotePort > 20_999, `mapped from ${before.remotePort} at first`);
      // the next mappings come from 20000-20999; the current one expires a second after its next packet
      await net.setNatPorts(20_000, 20_999);
      await net.setNatUdpTimeouts({ unrepliedSeconds: 1, streamSeconds: 1 });
      assert.ok(await pingsLanHost(net, gw), 'a packet each way takes the short timeout');
      const expired = performance.now();
      while ((await net.natMappings()).some((m) => m.remote.port === 4500)) {
        assert.ok(performance.now() - expired < 5000, 'the mapping expired');
        await new Promise((resolve) => setTimeout(resolve, 250));
      }
      await net.setNatUdpTimeouts({ unrepliedSeconds: 30, streamSeconds: 120 });
      const rebound = performance.now();
      while (!(await pingsLanHost(net, gw))) {
        assert.ok(performance.now() - rebound < 30_000, 'traffic flows again from the new mapping');
      }
      const trafficMs = Math.round(performance.now() - rebound);
      const after = await gatewaySa(gw);
      assert.equal(after.uniqueId, before.uniqueId, 'the same IKE SA');
      assert.equal(after.spis, before.spis);
      assert.ok(after.remotePort >= 20_000 && after.remotePort <= 20_999, `now from ${after.remotePort}`);
      assert.equal(proc.events.filter((e) => e.event === 'connected').length, 1, 'no reconnect');
      console.log(`# NAT rebinding: traffic again after ${trafficMs} ms, from port ${after.remotePort}`);
      completed = true;
    } finally {
      const code = await proc.stop();
      if (completed) assert.equal(code, 0, proc.stderr);
    }
  });
});
