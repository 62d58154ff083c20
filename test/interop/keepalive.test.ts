/**
 * Keeping the tunnel alive against a real strongSwan gateway: CHILD_SA and IKE SA rekeys (made by the gateway with
 * lifetimes of a few seconds) under a steady 1 MB/s transfer with no replay drops and no failed transfer; and the
 * whole thing behind a NAT router. A gateway that dies: reconnect.test.ts.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Gateway, GatewayOptions } from '../support/gateway.js';
import { download, iperf, startHttpServer, startIperfServer } from '../support/lan-services.js';
import { loginArgs, OutpostProcess } from './cli-process.js';
import { withGateway } from './with-gateway.js';

function args(gw: Gateway, extra: string[] = []): string[] {
  return loginArgs(gw, { extra });
}

/**
 * A 12 s iperf3 run at 8 Mbit/s while SAs are rekeyed every few seconds: the transfer keeps its rate, nothing is
 * dropped as a replay or a forgery, and afterwards the gateway holds one IKE SA and one CHILD_SA (old ones deleted).
 */
async function rekeysUnderLoad(gatewayOptions: GatewayOptions, clientFlags: string[]) {
  await withGateway(gatewayOptions ?? {}, async (net, gw) => {
    const server = await startIperfServer(net);
    const proc = OutpostProcess.start(net, args(gw, clientFlags), { OUTPOST_PASSWORD: gw.user.password });
    let completed = false;
    try {
      assert.ok(await proc.waitFor('connected'), proc.stderr);
      const result = await iperf(net, net.clientNs, { seconds: 12, bitrate: '8M' });
      assert.ok(result.bitsPerSecond > 7e6, `${result.bitsPerSecond} bit/s`);
      await new Promise((resolve) => setTimeout(resolve, 1500));
      const stats = proc.last('stats')!;
      const drops = stats.drops as Record<string, number>;
      assert.ok(Number(stats.childRekeys) >= 2, `child rekeys: ${stats.childRekeys}`);
      assert.ok(Number(stats.ikeRekeys) >= 1, `IKE rekeys: ${stats.ikeRekeys}`);
      assert.equal(drops.replay, 0);
      assert.equal(drops.auth, 0);
      // between two rekeys, the gateway holds exactly one of each
      let sas = '';
      for (let i = 0; i < 20; i++) {
        sas = await gw.listSas();
        if (sas.match(/ESTABLISHED/g)?.length === 1 && sas.match(/INSTALLED/g)?.length === 1) break;
        await new Promise((resolve) => setTimeout(resolve, 150));
      }
      assert.equal(sas.match(/ESTABLISHED/g)?.length, 1, sas);
      assert.equal(sas.match(/INSTALLED/g)?.length, 1, sas);
      completed = true;
    } finally {
      const code = await proc.stop();
      await server.stop();
      // an assertion above is the news: the exit code only when everything else held
      const events = proc.events.filter((e) => e.event !== 'stats');
      if (completed) assert.equal(code, 0, `${proc.stderr} ${JSON.stringify(events)}`);
      else console.log(`# client exited ${code}: ${proc.stderr} ${JSON.stringify(events)}`);
    }
  });
}

describe('keeping the tunnel alive', () => {
  test('CHILD_SA and IKE SA rekeys by the gateway during a 1 MB/s transfer lose nothing', async () => {
    await rekeysUnderLoad({ childLifetime: '3s', ikeLifetime: '5s' }, []);
  });

  test('our own CHILD_SA and IKE SA rekeys, accepted by the gateway, during a 1 MB/s transfer lose nothing', async () => {
    await rekeysUnderLoad({}, ['--child-rekey', '3', '--ike-rekey', '5']);
  });

  test('behind a NAT router (nftables masquerade)', async () => {
    await withGateway({ nat: true }, async (net, gw) => {
      const http = await startHttpServer(net, 1024 * 1024);
      const proc = OutpostProcess.start(net, args(gw), { OUTPOST_PASSWORD: gw.user.password });
      try {
        const up = await proc.waitFor('connected');
        assert.ok(up, proc.stderr);
        assert.equal(up.natTraversal, true);
        const got = await download(net, net.clientNs, http.url);
        assert.deepEqual(got, { bytes: http.bytes, sha256: http.sha256 });
        // the gateway sees the router's address, not the client's
        assert.match(await gw.listSas(), /192\.0\.2\.2\[/);
      } finally {
        assert.equal(await proc.stop(), 0, proc.stderr);
        await http.stop();
      }
    });
  });
});
