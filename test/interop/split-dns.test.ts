/**
 * Split DNS (RFC 8598) against strongSwan: its pool hands out INTERNAL_DNS_DOMAIN corp.example, and `outpost connect`
 * gives systemd-resolved the tunnel's DNS server for that domain only (a routing domain, never "~."). Without
 * systemd-resolved it writes resolv.conf as before and says split DNS needs systemd-resolved.
 *
 * systemd-resolved does not run here, so `resolvectl` is a script that records its arguments, and the client runs in
 * a mount namespace of its own where /run/systemd/resolve exists and resolv.conf names the stub resolver: what the
 * configurator looks at to choose systemd-resolved.
 */
import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, test } from 'node:test';
import { type Gateway, startGateway } from '../support/gateway.js';
import { TestNetwork } from '../support/netns.js';
import { OutpostProcess } from './cli-process.js';

const BIN = fileURLToPath(new URL('../../bin/outpost.js', import.meta.url));

let net: TestNetwork;
let gw: Gateway;
let bin: string;

before(async () => {
  net = await TestNetwork.create();
  gw = await startGateway(net, { splitDnsDomains: ['corp.example'] });
  bin = mkdtempSync(join(tmpdir(), 'outpost-resolvectl-'));
  const script = '#!/bin/sh\necho "$*" >> "$(dirname "$0")/calls"\n';
  writeFileSync(join(bin, 'resolvectl'), script);
  chmodSync(join(bin, 'resolvectl'), 0o755);
});

after(async () => {
  await gw?.stop();
  await net?.destroy();
  rmSync(bin, { recursive: true, force: true });
  rmSync(join(tmpdir(), `outpost-state-${net?.clientNs}`), { recursive: true, force: true });
});

function pskArgs(): string[] {
  return ['--gateway', gw.address, '--gateway-id', gw.ids.psk, '--auth', 'psk', '--identity', gw.pskClientId];
}

test('systemd-resolved: the tunnel’s DNS server answers corp.example only', async () => {
  const original = readFileSync(net.resolvConf);
  writeFileSync(net.resolvConf, 'nameserver 127.0.0.53\n');
  try {
    // a private tmpfs over /run/systemd in a mount namespace of the client's own: the host's /run is untouched
    const resolved = 'mount -t tmpfs tmpfs /run/systemd && mkdir /run/systemd/resolve && exec "$@"';
    const argv = [process.execPath, BIN, 'connect', '--json', '--state-dir', stateDir(), ...pskArgs()];
    const child = net.spawn(net.clientNs, ['unshare', '--mount', 'sh', '-c', resolved, 'sh', ...argv], {
      env: { PATH: `${bin}:${process.env.PATH}`, OUTPOST_PSK: gw.psk },
    });
    const proc = new OutpostProcess(child);
    const connected = await proc.waitFor('connected');
    assert.ok(connected, `not connected: ${JSON.stringify(proc.events)} ${proc.stderr}`);
    assert.deepEqual(connected.dnsDomains, ['corp.example']);
    const calls = readFileSync(join(bin, 'calls'), 'utf8').trim().split('\n');
    const dev = /^dns (\S+) /.exec(calls[0] ?? '')?.[1];
    assert.ok(dev, calls.join('\n'));
    assert.deepEqual(calls, [`dns ${dev} ${gw.dns}`, `domain ${dev} ~corp.example`], 'no "~.": split DNS');
    assert.equal(await proc.stop('SIGINT'), 0, proc.stderr);
    assert.equal(readFileSync(join(bin, 'calls'), 'utf8').trim().split('\n').at(-1), `revert ${dev}`);
    assert.equal(readFileSync(net.resolvConf, 'utf8'), 'nameserver 127.0.0.53\n', 'resolv.conf left to resolved');
  } finally {
    writeFileSync(net.resolvConf, original);
  }
});

test('resolv.conf only: the gateway’s server for every name, the domain searched, and a note saying why', async () => {
  const before = readFileSync(net.resolvConf, 'utf8');
  const proc = OutpostProcess.start(net, pskArgs(), { OUTPOST_PSK: gw.psk });
  const connected = await proc.waitFor('connected');
  assert.ok(connected, `not connected: ${JSON.stringify(proc.events)} ${proc.stderr}`);
  assert.deepEqual(connected.dnsDomains, ['corp.example']);
  const written = readFileSync(net.resolvConf, 'utf8');
  assert.match(written, new RegExp(`^nameserver ${gw.dns.replaceAll('.', '\\.')}$`, 'm'));
  assert.match(written, /^search corp\.example$/m);
  const notes = proc.events.filter((e) => e.event === 'progress').map((e) => String(e.message));
  assert.ok(
    notes.some((m) => /^Split DNS for corp\.example needs systemd-resolved/.test(m)),
    JSON.stringify(notes),
  );
  assert.equal(await proc.stop('SIGINT'), 0, proc.stderr);
  assert.equal(readFileSync(net.resolvConf, 'utf8'), before, 'resolv.conf restored');
});

function stateDir(): string {
  return join(tmpdir(), `outpost-state-${net.clientNs}`);
}
