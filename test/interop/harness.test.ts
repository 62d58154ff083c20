// Proves the interop harness with strongSwan on both ends: every gateway connection comes up, traffic from the
// client namespace reaches the lan host through the userspace ESP tunnel, and nothing is left behind afterwards.
import assert from 'node:assert/strict';
import { access } from 'node:fs/promises';
import { dirname } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { type Gateway, type GatewayConnection, startGateway } from '../support/gateway.js';
import { run, TestNetwork } from '../support/netns.js';
import { oathtoolTotp } from '../support/oathtool.js';
import { type StrongswanClient, startStrongswanClient } from '../support/strongswan-client.js';

describe('strongSwan interop harness', { timeout: 60_000 }, () => {
  let net: TestNetwork;
  let gateway: Gateway;
  let client: StrongswanClient;

  before(async () => {
    net = await TestNetwork.create();
    gateway = await startGateway(net);
    client = await startStrongswanClient(net, gateway);
  });

  after(async () => {
    await client?.stop();
    await gateway?.stop();
    await net?.destroy();
  });

  it('gives the client no route to the lan without a tunnel', async () => {
    const ping = await net.exec(net.clientNs, ['ping', '-c', '1', '-W', '1', gateway.lanHost]);
    assert.notEqual(ping.code, 0);
  });

  for (const conn of ['ecdsa', 'rsa', 'psk', 'totp'] as const) {
    it(`establishes '${conn}' and carries traffic through it`, async () => {
      const result = await client.initiate(conn);
      assert.ok(result.ok, result.output);
      const vip = await assertEstablished(gateway, conn);

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

  it('tears down everything it started', async () => {
    const pids = [gateway.pid, client.pid];
    const gatewayDir = dirname(gateway.swanctlDir);
    await client.stop();
    await gateway.stop();
    for (const ns of [net.clientNs, net.gatewayNs, net.lanNs]) {
      assert.equal((await run(['ip', 'netns', 'pids', ns])).stdout.trim(), '', `processes left in ${ns}`);
    }
    await net.destroy();
    const namespaces = (await run(['ip', 'netns', 'list'])).stdout;
    for (const ns of [net.clientNs, net.gatewayNs, net.lanNs]) assert.ok(!namespaces.includes(ns), ns);
    for (const pid of pids) assert.throws(() => process.kill(pid, 0), { code: 'ESRCH' });
    await assert.rejects(access(gatewayDir), { code: 'ENOENT' });
  });
});

/** Asserts the gateway shows the connection's IKE SA established and its CHILD SA installed; returns the client's VIP. */
async function assertEstablished(gateway: Gateway, conn: GatewayConnection): Promise<string> {
  const sas = await gateway.listSas();
  assert.match(sas, new RegExp(`^${conn}: #\\d+, ESTABLISHED, IKEv2`, 'm'), sas);
  assert.match(sas, new RegExp(`^ +${conn}: #\\d+, reqid \\d+, INSTALLED, TUNNEL-in-UDP`, 'm'), sas);
  const vip = /^ +remote '[^']*' @ 192\.0\.2\.2\[4500\](?: EAP: '[^']*')? \[(203\.0\.113\.\d+)\]$/m.exec(sas)?.[1];
  assert.ok(vip, `no virtual IP in:\n${sas}`);
  return vip;
}
