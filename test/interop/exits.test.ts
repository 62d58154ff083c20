/**
 * Every way out of an established IKE SA tells the gateway: a CHILD_SA the gateway refuses after authenticating us,
 * and SIGTERM or SIGINT in the middle of traffic. The proof is the gateway's own: its log says it received our Delete,
 * and no IKE SA of ours is left in `swanctl --list-sas` once the client has exited (nothing else would remove it).
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Gateway } from '../support/gateway.js';
import type { TestNetwork } from '../support/netns.js';
import { expectFailure, loginArgs, OutpostProcess } from './cli-process.js';
import { gatewayForFile } from './with-gateway.js';

let net: TestNetwork;
let gw: Gateway;

gatewayForFile((madeNet, madeGw) => {
  net = madeNet;
  gw = madeGw;
});

/** How many Deletes of an IKE SA of `conn` the gateway has received so far. */
async function deletesReceived(conn: string): Promise<number> {
  const pattern = new RegExp(`received DELETE for IKE_SA ${conn}\\[\\d+\\]`, 'g');
  return (await gw.log()).match(pattern)?.length ?? 0;
}

/**
 * The gateway drops the first datagram to its 4500 whose UDP length is in `lengths`, and lets the next ones through:
 * the quota counts IP bytes, so it must lie between one such datagram and two (`quotaBytes`).
 */
async function dropFirst(lengths: string, quotaBytes: number): Promise<{ remove(): Promise<void> }> {
  const table = 'outpost_exits_test';
  const rule = `udp dport 4500 udp length ${lengths} quota until ${quotaBytes} bytes drop`;
  const rules = `table inet ${table} {\n chain input {\n type filter hook input priority 0;\n ${rule}\n }\n}\n`;
  const added = await net.exec(net.gatewayNs, ['nft', '-f', '-'], { input: rules });
  assert.equal(added.code, 0, added.stderr);
  return { remove: async () => void (await net.exec(net.gatewayNs, ['nft', 'delete', 'table', 'inet', table])) };
}

/** The Delete after a refused CHILD_SA (97 IP bytes; every IKE_AUTH message of a PSK login is far longer). */
const dropFirstDelete = () => dropFirst('20-100', 100);
/** The first IKE_AUTH request of an EAP login (485 IP bytes; nothing else is as long until the tunnel is up). */
const dropFirstIkeAuth = () => dropFirst('400-600', 700);

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

  /** `runs` connections, each ended by `stop` once `ready` says so; the runs where the gateway missed our Delete. */
  async function endRuns(
    runs: number,
    ready: (proc: OutpostProcess) => Promise<unknown>,
    stop: (proc: OutpostProcess) => Promise<number | null>,
    path: () => Promise<{ remove(): Promise<void> } | undefined> = async () => undefined,
  ): Promise<string[]> {
    const missed: string[] = [];
    for (let run = 1; run <= runs; run++) {
      const before = await deletesReceived('ecdsa');
      const altered = await path();
      const proc = OutpostProcess.start(net, loginArgs(gw), { OUTPOST_PASSWORD: gw.user.password });
      await ready(proc);
      const code = await stop(proc).finally(() => altered?.remove());
      assert.equal(code, 0, `run ${run}: ${proc.stderr}`);
      const deletes = (await deletesReceived('ecdsa')) - before;
      const left = await ikeSasOf('ecdsa');
      if (deletes !== 1 || left.length > 0) missed.push(`run ${run}: ${deletes} Deletes, left ${left.join('; ')}`);
    }
    return missed;
  }

  /** Connected, with pings flowing through the tunnel while the signal comes. */
  async function duringTraffic(proc: OutpostProcess): Promise<void> {
    assert.ok(await proc.waitFor('connected'), `not connected: ${proc.stderr}`);
    const ping = net.spawn(net.clientNs, ['ping', '-i', '0.05', '-W', '1', gw.lanHost]);
    await sleep(200);
    proc.exitCode().finally(() => ping.kill('SIGINT'));
  }

  test('SIGTERM during traffic, 20 times: the gateway receives the Delete every time', async () => {
    const missed = await endRuns(20, duringTraffic, (proc) => proc.stop('SIGTERM'));
    assert.deepEqual(missed, [], `the gateway missed our Delete:\n${missed.join('\n')}`);
  });

  test('SIGINT twice (Ctrl+C pressed again while disconnecting), 5 times: the second does not cut the Delete short', async () => {
    const twice = async (proc: OutpostProcess): Promise<number | null> => {
      const code = proc.stop('SIGINT');
      await sleep(5);
      await proc.stop('SIGINT');
      return code;
    };
    const missed = await endRuns(5, duringTraffic, twice);
    assert.deepEqual(missed, [], `the gateway missed our Delete:\n${missed.join('\n')}`);
  });

  test('SIGTERM during IKE_AUTH, 5 times: the exchange ends, then the Delete goes (one sent before is ignored)', async () => {
    // the first IKE_AUTH request is lost, so the signal comes while the client waits a second to retransmit it
    const inIkeAuth = (proc: OutpostProcess) =>
      proc.until((e) => e.event === 'progress' && String(e.message).startsWith('IKE SA negotiated'));
    const missed = await endRuns(5, inIkeAuth, (proc) => proc.stop('SIGTERM'), dropFirstIkeAuth);
    assert.deepEqual(missed, [], `the gateway missed our Delete:\n${missed.join('\n')}`);
  });
});
