/**
 * `npm run demo` (root, Linux): a sandbox company network on this machine — a real strongSwan gateway and a LAN host
 * in network namespaces, exactly as the tests build them — and Outpost connecting to it, then traffic crossing the
 * tunnel. Everything is removed on exit.
 */
import { rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loginArgs, OutpostProcess } from '../test/interop/cli-process.js';
import { startGateway } from '../test/support/gateway.js';
import { download, startHttpServer } from '../test/support/lan-services.js';
import { TestNetwork } from '../test/support/netns.js';

const say = (text: string) => process.stdout.write(`\n\x1b[1m${text}\x1b[0m\n`);

say('Building a sandbox: client, VPN gateway (strongSwan) and a company LAN host, each in its own network namespace');
const net = await TestNetwork.create();
let finished = false;
const cleanup = async () => {
  if (finished) return;
  finished = true;
  await net.destroy();
  rmSync(join(tmpdir(), `outpost-state-${net.clientNs}`), { recursive: true, force: true });
};
process.once('SIGINT', () => void cleanup().then(() => process.exit(0)));
try {
  const gw = await startGateway(net);
  const http = await startHttpServer(net, 1024 * 1024);
  say(`Gateway ${gw.address} (${gw.ids.ecdsa}), LAN host ${gw.lanHost}, user ${gw.user.name}`);

  say('outpost connect  (EAP-MSCHAPv2 login, gateway certificate checked against the company CA)');
  const proc = OutpostProcess.start(net, loginArgs(gw), { OUTPOST_PASSWORD: gw.user.password });
  const connected = await proc.waitFor('connected');
  if (!connected) throw new Error(proc.stderr);
  for (const e of proc.events) if (e.event === 'progress') console.log(`  ${e.message}`);
  console.log(
    `  connected in ${connected.childSaMs} ms: virtual IP ${connected.virtualIp}, DNS ${(connected.dns as string[]).join(', ')}, networks ${(connected.remoteTs as string[]).join(', ')}`,
  );
  console.log(`  IKE ${connected.ike}, ESP ${connected.esp}`);

  say(`ping ${gw.lanHost} through the tunnel`);
  const ping = await net.exec(net.clientNs, ['ping', '-c', '3', '-i', '0.3', gw.lanHost]);
  console.log(ping.stdout.trim().split('\n').slice(-2).join('\n'));

  say(`HTTP GET of a 1 MB file from ${http.url}`);
  const got = await download(net, net.clientNs, http.url);
  console.log(`  ${got.bytes} bytes, SHA-256 ${got.sha256 === http.sha256 ? 'matches' : 'DIFFERS'}`);

  await new Promise((resolve) => setTimeout(resolve, 1200));
  const stats = proc.last('stats');
  if (stats)
    console.log(
      `\n  tunnel counters: ${stats.bytesIn} bytes in, ${stats.bytesOut} bytes out, drops ${JSON.stringify(stats.drops)}`,
    );

  say('Disconnecting (the IKE SA is deleted at the gateway, routes and DNS restored)');
  console.log(`  outpost exited with ${await proc.stop()}`);
  await http.stop();
  await gw.stop();
} finally {
  await cleanup();
}
