/**
 * Every way out of an established IKE SA tells the gateway: a CHILD_SA the gateway refuses after authenticating us,
 * and SIGTERM or SIGINT in the middle of traffic. The proof is the gateway's own: its log says it received our Delete,
 * and no IKE SA of ours is left in `swanctl --list-sas` once the client has exited (nothing else would remove it).
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { type Gateway, startGateway } from '../support/gateway.js';
import { TestNetwork } from '../support/netns.js';
import { expectFailure, loginArgs, OutpostProcess } from './cli-process.js';

let net: TestNetwork;
let gw: Gateway;

before(async () => {
  net = await TestNetwork.create();
  gw = await startGateway(net);
});

after(async () => {
  await gw?.stop();
  await net?.destroy();
});

/** How many Deletes of an IKE SA of `conn` the gateway has received so far. */
async function deletesReceived(conn: string): Promise<number> {
  const pattern = new RegExp(`received DELETE for IKE_SA ${conn}\\[\\d+\\]`, 'g');
  return (await gw.log()).match(pattern)?.length ?? 0;
}

/**
 * The gateway drops the first short IKE datagram on 4500 it gets: the Delete after a refused CHILD_SA (IKE_AUTH is
 * far longer; nothing else is sent). Only a retransmission of the Delete can then reach it. The quota counts IP
 * bytes (a Delete is under 100), so the second one passes.
 */
async function dropFirstDelete(): Promise<{ remove(): Promise<void> }> {
  const table = 'outpost_exits_test';
  const rules = `table inet ${table} {\n chain input {\n type filter hook input priority 0;\n udp dport 4500 udp length 20-100 quota until 100 bytes drop\n }\n}\n`;
  const added = await net.exec(net.gatewayNs, ['nft', '-f', '-'], { input: rules });
  assert.equal(added.code, 0, added.stderr);
  return { remove: async () => void (await net.exec(net.gatewayNs, ['nft', 'delete', 'table', 'inet', table])) };
}

async function ikeSasOf(conn: string): Promise<string[]> {
  return (await gw.listSas()).split('\n').filter((line) => line.startsWith(`${conn}: #`));
}

describe('leaving an established IKE SA', { timeout: 180_000 }, () => {
  const refusals: [string, string, string[], string][] = [
    ['no CHILD_SA proposal in common', 'nochild', [], 'no-proposal-chosen'],
    ['split subnets the gateway does not offer', 'psk', ['--split', '198.18.99.0/24'], 'ts-unacceptable'],
  ];
  for (const [what, conn, extra, code] of refusals) {
    test(`a CHILD_SA refused in IKE_AUTH (${what}): the client exits with ${code}, no IKE SA is left`, async () => {
      const before = await deletesReceived(conn);
      const id = gw.ids[conn as 'nochild' | 'psk'];
      const args = ['--gateway', gw.address, '--gateway-id', id, '--auth', 'psk', '--identity', gw.pskClientId];
      const dropped = await dropFirstDelete();
      const result = await expectFailure(net, [...args, ...extra], { OUTPOST_PSK: gw.psk }).finally(dropped.remove);
      assert.equal(result.code, 1, result.stderr);
      assert.equal(result.error?.code, code, JSON.stringify(result.error));
      assert.equal(await deletesReceived(conn), before + 1, 'the gateway received our retransmitted Delete');
      // the client waited for the answer, so the gateway has already let the SA go
      assert.deepEqual(await ikeSasOf(conn), [], 'no IKE SA left at the gateway');
    });
  }

  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    const runs = signal === 'SIGTERM' ? 20 : 5;
    test(`${signal} during traffic, ${runs} times: the gateway receives the Delete every time`, async () => {
      const password = { OUTPOST_PASSWORD: gw.user.password };
      const missed: string[] = [];
      for (let run = 1; run <= runs; run++) {
        const before = await deletesReceived('ecdsa');
        const proc = OutpostProcess.start(net, loginArgs(gw), password);
        const connected = await proc.waitFor('connected');
        assert.ok(connected, `run ${run}: not connected: ${proc.stderr}`);
        const ping = net.spawn(net.clientNs, ['ping', '-i', '0.05', '-W', '1', gw.lanHost]);
        await sleep(200);
        const code = await proc.stop(signal);
        ping.kill('SIGINT');
        assert.equal(code, 0, `run ${run}: ${proc.stderr}`);
        const deletes = (await deletesReceived('ecdsa')) - before;
        const left = await ikeSasOf('ecdsa');
        if (deletes !== 1 || left.length > 0) missed.push(`run ${run}: ${deletes} Deletes, left ${left.join('; ')}`);
      }
      assert.deepEqual(missed, [], `the gateway missed our Delete:\n${missed.join('\n')}`);
    });
  }
});
