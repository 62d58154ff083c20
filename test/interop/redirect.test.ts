/**
 * Gateway redirect (RFC 5685) against strongSwan: while the tunnel is up, `swanctl --redirect` sends the client to a
 * second address of the gateway; the client deletes its SA, connects there with the same profile (the gateway's
 * identity checked as before), and traffic flows again.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { OutpostProcess } from './cli-process.js';
import { withGateway } from './with-gateway.js';

/** A second address of the gateway namespace's outside link, where charon listens as well. */
const SECOND = '192.0.2.5';

/** The first 'connected' state after a 'reconnecting' one: the tunnel is back. */
function backAfterReconnect(proc: OutpostProcess): Promise<unknown> {
  return proc.until((e) => {
    const at = proc.events.indexOf(e);
    return (
      e.event === 'state' &&
      e.state === 'connected' &&
      proc.events.slice(0, at).some((p) => p.event === 'state' && p.state === 'reconnecting')
    );
  });
}

test('swanctl --redirect on an active session moves the client to the second gateway address; ping goes on', async () => {
  await withGateway({}, async (net, gw) => {
    const added = await net.exec(net.gatewayNs, ['ip', 'addr', 'add', `${SECOND}/24`, 'dev', 'vcli']);
    assert.equal(added.code, 0, added.stderr);
    const args = ['--gateway', gw.address, '--gateway-id', gw.ids.psk, '--auth', 'psk', '--identity', gw.pskClientId];
    const ping = () => net.exec(net.clientNs, ['ping', '-c', '2', '-i', '0.2', '-W', '2', gw.lanHost]);
    const gatewayEnd = (address: string) =>
      new RegExp(
        `^psk: #\\d+, ESTABLISHED, IKEv2.*\\n\\s+local\\s+'psk\\.vpn\\.example\\.test' @ ${address.replaceAll('.', '\\.')}\\[`,
        'm',
      );
    // without, then with the kill switch, which must let the new gateway address through
    for (const extra of [[], ['--kill-switch']]) {
      const proc = OutpostProcess.start(net, [...args, ...extra], { OUTPOST_PSK: gw.psk });
      try {
        assert.ok(await proc.waitFor('connected'), `not connected: ${JSON.stringify(proc.events)} ${proc.stderr}`);
        assert.equal((await ping()).code, 0, 'traffic before the redirect');
        assert.match(await gw.listSas(), gatewayEnd(gw.address));

        const redirect = await gw.swanctl(['--redirect', '--ike', 'psk', '--gateway', SECOND]);
        assert.equal(redirect.code, 0, `${redirect.stdout}${redirect.stderr}`);
        await proc.until(
          (e) => e.event === 'progress' && String(e.message).includes(`redirected this connection to ${SECOND}`),
        );
        await backAfterReconnect(proc);
        const sas = await gw.listSas();
        assert.match(sas, gatewayEnd(SECOND), sas);
        assert.doesNotMatch(sas, /@ 192\.0\.2\.1\[/, 'the SA at the first address was deleted');
        assert.equal((await ping()).code, 0, `traffic after the redirect ${extra.join(' ')}`);
      } finally {
        assert.equal(await proc.stop('SIGINT'), 0, proc.stderr);
      }
    }
    const log = await gw.log();
    assert.match(log, /parsed IKE_SA_INIT request 0 \[.*N\(REDIR_SUP\) \]/, 'the client offers redirects');
    assert.match(log, /generating INFORMATIONAL request \d+ \[ N\(REDIR\) \]/);
    // the next IKE_SA_INIT says where the client comes from (RFC 5685 §4.2)
    assert.match(log, /parsed IKE_SA_INIT request 0 \[.*N\(REDIR_FROM\) \]/);
    assert.match(log, /client got redirected from 192\.0\.2\.1$/m);
  });
});
