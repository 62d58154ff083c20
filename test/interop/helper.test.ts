/**
 * Outpost as a remote worker runs it: `outpost connect` as an ordinary user (no capabilities), the network changes made
 * by `outpost helper` running as root, against the real strongSwan gateway. Traffic flows; a user outside the group is
 * refused before any IKE packet; one user cannot touch another's session; a killed client is cleaned up within 2 s;
 * the kill switch blocks everything but the tunnel, stays closed after the client is killed, and lifts on
 * `outpost disconnect`.
 */
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { type Gateway, startGateway } from '../support/gateway.js';
import { download, type HttpServer, iperf, startHttpServer, startIperfServer } from '../support/lan-services.js';
import { CLIENT_RESOLV_CONF, TestNetwork } from '../support/netns.js';
import { capturePackets, captureUdp } from '../support/packets.js';
import { createTestUsers, type TestUser, type TestUsers } from '../support/users.js';
import { type CliEvent, OutpostProcess, spawnAsUser, type UserSpace } from './cli-process.js';

const BIN = fileURLToPath(new URL('../../bin/outpost.js', import.meta.url));
const GATEWAY_OUTER = '192.0.2.1';

let net: TestNetwork;
let gw: Gateway;
let http: HttpServer;
let users: TestUsers;
let space: UserSpace;
let helper: ChildProcess;
let helperLog = '';
let socket: string;
let caFile: string;

before(async () => {
  users = createTestUsers();
  net = await TestNetwork.create();
  // split DNS (RFC 8598) as a gateway may hand it out: through the helper's protocol, validated there
  gw = await startGateway(net, { splitDnsDomains: ['corp.example'] });
  http = await startHttpServer(net, 1024 * 1024);
  const dir = mkdtempSync(join(tmpdir(), `outpost-helper-${process.pid}-`));
  chmodSync(dir, 0o755);
  space = { dir, code: join(dir, 'code') };
  mkdirSync(space.code, { mode: 0o755 });
  socket = join(dir, 'run', 'helper.sock');
  caFile = join(dir, 'ca.pem');
  copyFileSync(gw.pki.ecdsaCaPem, caFile);
  chmodSync(caFile, 0o644);
  const stateDir = join(dir, 'state');
  helper = net.spawn(net.clientNs, [
    process.execPath,
    BIN,
    'helper',
    '--socket',
    socket,
    '--group',
    users.group,
    '--state-dir',
    stateDir,
  ]);
  helper.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
    helperLog += chunk;
  });
  const deadline = Date.now() + 10_000;
  while (!helperLog.includes('listening')) {
    assert.ok(Date.now() < deadline && helper.exitCode === null, `the helper did not start: ${helperLog}`);
    await sleep(50);
  }
});

after(async () => {
  if (helper && helper.exitCode === null) {
    helper.kill('SIGTERM');
    await once(helper, 'exit');
  }
  await http?.stop();
  await gw?.stop();
  await net?.destroy();
  users?.remove();
  if (space) rmSync(space.dir, { recursive: true, force: true });
});

function args(extra: string[] = []): string[] {
  const flags = ['--gateway', gw.address, '--gateway-id', gw.ids.ecdsa, '--ca', caFile, '--auth', 'eap-mschapv2'];
  return [...flags, '--user', gw.user.name, ...extra];
}

const password = () => ({ OUTPOST_PASSWORD: gw.user.password });

async function connectAs(user: TestUser, extra: string[] = []): Promise<OutpostProcess> {
  const proc = OutpostProcess.startAsUser(net, space, user, socket, args(extra), password());
  const up = await proc.waitFor('connected', 30_000);
  assert.ok(
    up,
    `${user.name} not connected: ${JSON.stringify(proc.events.filter((e) => e.event === 'error'))} ${proc.stderr}\nhelper: ${helperLog}`,
  );
  return proc;
}

/** `outpost disconnect` (or any other command) as `user`: exit code and what it printed. */
async function runAs(user: TestUser, argv: string[]): Promise<{ code: number | null; output: string }> {
  const child = spawnAsUser(net, space, user, [process.execPath, join(space.code, 'bin', 'outpost.js'), ...argv]);
  let output = '';
  child.stdout?.setEncoding('utf8').on('data', (c: string) => (output += c));
  child.stderr?.setEncoding('utf8').on('data', (c: string) => (output += c));
  const [code] = (await once(child, 'exit')) as [number | null];
  return { code, output };
}

async function ping(target: string): Promise<boolean> {
  const r = await net.exec(net.clientNs, ['ping', '-c', '2', '-i', '0.2', '-W', '1', target]);
  return r.code === 0;
}

/**
 * The client's routes (IPv4 in every table, IPv6 in the main one: the kernel adds the link-local address's own route
 * to the local table whenever its duplicate address detection ends, connected or not), links and resolver.
 */
async function networkState(): Promise<string> {
  const v4 = await net.exec(net.clientNs, ['ip', '-j', '-4', 'route', 'show', 'table', 'all']);
  const v6 = await net.exec(net.clientNs, ['ip', '-j', '-6', 'route', 'show', 'table', 'main']);
  const links = await net.exec(net.clientNs, ['ip', '-j', 'link', 'show']);
  const names = (JSON.parse(links.stdout) as Array<{ ifname: string }>).map((l) => l.ifname).sort();
  return JSON.stringify({
    routes: [...JSON.parse(v4.stdout), ...JSON.parse(v6.stdout)],
    links: names,
    resolv: readFileSync(net.resolvConf, 'utf8'),
  });
}

async function capabilities(pid: number): Promise<string> {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return /^CapEff:\s*(\S+)$/m.exec(status)?.[1] ?? 'unknown';
}

describe('an ordinary user connects through the helper', { timeout: 300_000 }, () => {
  test('with no capabilities of its own: ping, a byte-exact download and iperf3 through the tunnel', async () => {
    const before = await networkState();
    const proc = await connectAs(users.alice);
    try {
      assert.equal(await capabilities(proc.pid), '0000000000000000', 'the engine holds no capability');
      assert.ok(await ping(gw.lanHost), 'ping through the tunnel');
      assert.deepEqual(await download(net, net.clientNs, http.url), { bytes: http.bytes, sha256: http.sha256 });
      const iperfServer = await startIperfServer(net);
      try {
        const result = await iperf(net, net.clientNs, { seconds: 2 });
        assert.ok(result.bitsPerSecond > 10e6, `iperf3 ${result.bitsPerSecond} bit/s`);
      } finally {
        await iperfServer.stop();
      }
      assert.match(await gw.listSas(), /ESTABLISHED/);
      assert.match(readFileSync(net.resolvConf, 'utf8'), /198\.51\.100\.53/);
      // no systemd-resolved here: the helper falls back to resolv.conf, and its note reaches the user's engine
      assert.match(readFileSync(net.resolvConf, 'utf8'), /^search corp\.example$/m);
      const notes = proc.events.filter((e) => e.event === 'progress').map((e) => String(e.message));
      assert.ok(
        notes.some((m) => /^Split DNS for corp\.example needs systemd-resolved/.test(m)),
        notes.join('\n'),
      );
    } finally {
      assert.equal(await proc.stop(), 0, proc.stderr);
    }
    assert.equal(await networkState(), before, 'routes, links and DNS as before');
  });

  test('a user outside the group is refused by name of the group, before any IKE packet is sent', async () => {
    const ike = await captureUdp(net, net.gatewayNs, 'vcli', 'port 500 or port 4500');
    const proc = OutpostProcess.startAsUser(net, space, users.mallory, socket, args(), password());
    const code = await proc.exitCode();
    const sent = await ike.stop();
    assert.equal(code, 1, proc.stderr);
    const error = proc.events.find((e: CliEvent) => e.event === 'error');
    assert.equal(error?.code, 'helper-refused');
    assert.match(String(error?.message), new RegExp(`add you to the group '${users.group}'`));
    assert.equal(sent.length, 0, 'no IKE packet left the client');
  });

  test("one user cannot take over or end another user's session", async () => {
    const alice = await connectAs(users.alice);
    try {
      const bob = OutpostProcess.startAsUser(net, space, users.bob, socket, args(), password());
      assert.equal(await bob.exitCode(), 1);
      const error = bob.events.find((e) => e.event === 'error');
      assert.match(String(error?.message), /Another user's VPN connection/);
      const disconnect = await runAs(users.bob, ['disconnect', '--helper', socket]);
      assert.equal(disconnect.code, 1);
      assert.match(disconnect.output, /belongs to another user/);
      assert.ok(await ping(gw.lanHost), "Alice's tunnel is untouched");
    } finally {
      assert.equal(await alice.stop(), 0, alice.stderr);
    }
  });

  test('after SIGKILL of the client the helper restores routes, links and DNS within 2 s', async () => {
    const before = await networkState();
    const proc = await connectAs(users.alice);
    assert.notEqual(await networkState(), before);
    await proc.stop('SIGKILL');
    const killedAt = Date.now();
    let state = await networkState();
    while (state !== before && Date.now() - killedAt < 5000) {
      await sleep(25);
      state = await networkState();
    }
    const elapsed = Date.now() - killedAt;
    assert.equal(state, before);
    assert.ok(elapsed <= 2000, `restored after ${elapsed} ms`);
    assert.equal(readFileSync(net.resolvConf, 'utf8'), CLIENT_RESOLV_CONF);
  });
});

describe('the kill switch', { timeout: 300_000 }, () => {
  test('only the tunnel carries traffic; it stays closed after the client is killed; outpost disconnect lifts it', async () => {
    const before = await networkState();
    assert.ok(await ping(GATEWAY_OUTER), 'the gateway answers pings before connecting');
    const proc = await connectAs(users.alice, ['--kill-switch']);
    const outer = await capturePackets(net, net.clientNs, 'vgw', 'ip');
    try {
      assert.ok(await ping(gw.lanHost), 'the tunnel works');
      assert.equal(await ping(GATEWAY_OUTER), false, 'anything outside the tunnel is blocked');
    } finally {
      const packets = await outer.stop();
      assert.ok(packets.length > 0);
      for (const p of packets) {
        const src = [...p.subarray(12, 16)].join('.');
        const dst = [...p.subarray(16, 20)].join('.');
        const peer = src === net.clientAddress ? dst : src;
        const udp = p[9] === 17;
        const ports = udp ? [p.readUInt16BE((p[0]! & 0x0f) * 4), p.readUInt16BE((p[0]! & 0x0f) * 4 + 2)] : [];
        assert.equal(peer, GATEWAY_OUTER, `a packet ${src} -> ${dst} on the outer interface`);
        assert.ok(udp && ports.some((port) => port === 500 || port === 4500), `not IKE/NAT-T/ESP: ${src} -> ${dst}`);
      }
    }
    await proc.stop('SIGKILL');
    await sleep(500);
    assert.equal(await ping(GATEWAY_OUTER), false, 'still blocked after the client was killed (fail-closed)');
    const disconnect = await runAs(users.alice, ['disconnect', '--helper', socket]);
    assert.equal(disconnect.code, 0, disconnect.output);
    assert.ok(await ping(GATEWAY_OUTER), 'traffic flows again after outpost disconnect');
    assert.equal(await networkState(), before, 'routes as before');
    const tables = await net.exec(net.clientNs, ['nft', 'list', 'tables']);
    assert.doesNotMatch(tables.stdout, /outpost/);
  });

  test('the helper stops on SIGTERM with exit 0, leaving nothing of ours behind, and the client says so', async () => {
    const proc = await connectAs(users.alice, ['--kill-switch']);
    helper.kill('SIGTERM');
    const [code] = (await once(helper, 'exit')) as [number | null];
    assert.equal(code, 0, helperLog);
    assert.equal(await proc.exitCode(), 1, 'the client notices its network service is gone');
    const error = proc.events.find((e) => e.event === 'error');
    assert.equal(error?.code, 'helper-unavailable');
    assert.match(String(error?.message), /network service stopped/);
    const tables = await net.exec(net.clientNs, ['nft', 'list', 'tables']);
    assert.doesNotMatch(tables.stdout, /outpost/);
    const links = await net.exec(net.clientNs, ['ip', '-o', 'link', 'show']);
    assert.doesNotMatch(links.stdout, /outpost\d/);
    assert.equal(readFileSync(net.resolvConf, 'utf8'), CLIENT_RESOLV_CONF);
  });
});
