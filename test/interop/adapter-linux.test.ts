// The Linux virtual adapter against the real kernel, in a network namespace this test creates (root): a TUN device
// from openLinuxTun, plans applied by LinuxNetworkConfigurator and checked with `ip -j`, an ICMP echo answered by the
// kernel through the TUN fd, DNS in the namespace's own resolv.conf, restore back to the byte, recovery after
// kill -9, and a process that exits once the adapter is closed.
//
//   namespace opad-<pid>-<hex>:  eth0 192.0.2.2/24 (veth, peer eth0p)  default via 192.0.2.1
//                                outpost0 (TUN, from the agent)         gateway 198.18.0.1 (through the default route)
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { tunnelMtu } from '../../core/adapter/mtu.js';
import type { NetworkPlan } from '../../core/adapter/types.js';
import { getEncryption } from '../../core/crypto/registry.js';
import { EncrId } from '../../core/iana.js';
import { AgentClient } from '../support/agent.js';
import { processAlive, run, stopChild } from '../support/netns.js';
import type { AgentCommand } from './adapter-agent.js';

const NS = `opad-${process.pid}-${randomBytes(3).toString('hex')}`;
const NS_PATTERN = /^opad-(\d+)-[0-9a-f]+$/;
const AGENT = join(import.meta.dirname, 'adapter-agent.ts');
const REPO = join(import.meta.dirname, '..', '..');
const NETNS_ETC = join('/etc/netns', NS);
const RESOLV_CONF = join(NETNS_ETC, 'resolv.conf');
/** What the namespace resolves with before the VPN; not UTF-8 clean and without a final newline, on purpose. */
const ORIGINAL_RESOLV = Buffer.concat([
  Buffer.from('# before the VPN\nnameserver 192.0.2.53\nsearch home.example'),
  Buffer.of(0xe9),
]);
const GATEWAY = '198.18.0.1';
const ICMP = 1;

const gcm = getEncryption(EncrId.AES_GCM_16, 256);
assert.ok(gcm);
const MTU = tunnelMtu(1500, gcm, undefined);

const SPLIT: NetworkPlan = {
  adapter: 'outpost0',
  address: '203.0.113.5',
  prefix: 32,
  mtu: MTU,
  routes: ['198.51.100.0/24'],
  fullTunnel: false,
  gateway: GATEWAY,
  dns: { servers: ['198.51.100.53'], domains: ['corp.example'] },
};
const FULL: NetworkPlan = { ...SPLIT, routes: [], fullTunnel: true };

const stateRoot = mkdtempSync(join(tmpdir(), `outpost-adapter-${NS}-`));
let stateCount = 0;
const freshStateDir = () => join(stateRoot, `state-${++stateCount}`);
const agents = new Set<ChildProcess>();

async function check(argv: string[]): Promise<string> {
  const result = await run(argv);
  assert.equal(result.code, 0, `${argv.join(' ')}: ${result.stderr}`);
  return result.stdout;
}

const ipJson = async (args: string[]): Promise<Record<string, unknown>[]> =>
  JSON.parse(await check(['ip', '-n', NS, '-j', ...args])) as Record<string, unknown>[];

async function routeDevice(destination: string): Promise<string> {
  const [route] = await ipJson(['route', 'get', destination]);
  return String(route?.dev);
}

/**
 * Everything the configurator may touch in the namespace, as the kernel reports it, plus the resolver file. Only
 * the links' queueing discipline is left out: the kernel attaches the default one when a link first goes up, and it
 * stays when the link goes down again.
 */
async function snapshot(): Promise<Record<string, unknown>> {
  return {
    links: (await ipJson(['-d', 'link', 'show'])).map(({ qdisc: _, ...link }) => link),
    addresses: (await ipJson(['addr', 'show'])).map(({ qdisc: _, ...link }) => link),
    routes: await ipJson(['route', 'show', 'table', 'all']),
    routes6: await ipJson(['-6', 'route', 'show', 'table', 'all']),
    resolvConf: readFileSync(RESOLV_CONF).toString('hex'),
  };
}

/** `ip netns exec NS node … adapter-agent.ts mode`, dying with the test runner (pdeathsig). */
function spawnAgent(mode: string): ChildProcess {
  const child = spawn(
    'ip',
    ['netns', 'exec', NS, 'setpriv', '--pdeathsig', 'KILL', process.execPath, '--import', 'tsx', AGENT, mode],
    { cwd: REPO, stdio: ['pipe', 'pipe', 'pipe'] },
  );
  agents.add(child);
  child.once('exit', () => agents.delete(child));
  return child;
}

class Agent extends AgentClient<AgentCommand> {
  constructor() {
    super(spawnAgent('serve'));
  }

  stop(): Promise<void> {
    this.child.stdin!.end();
    return stopChild(this.child, 3000);
  }
}

function onesComplement(bytes: Uint8Array): number {
  let sum = 0;
  for (let i = 0; i < bytes.length; i += 2) sum += (bytes[i]! << 8) | (bytes[i + 1] ?? 0);
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return ~sum & 0xffff;
}

const ipBytes = (text: string): number[] => text.split('.').map(Number);

/** An IPv4 ICMP echo request with correct header and ICMP checksums (RFC 791, RFC 792). */
function echoRequest(src: string, dst: string, id: number, seq: number, payload: Uint8Array): Uint8Array {
  const packet = new Uint8Array(20 + 8 + payload.length);
  const view = new DataView(packet.buffer);
  packet.set([0x45, 0, 0, 0, 0, 1, 0x40, 0, 64, ICMP, 0, 0, ...ipBytes(src), ...ipBytes(dst)]);
  view.setUint16(2, packet.length);
  view.setUint16(10, onesComplement(packet.subarray(0, 20)));
  packet[20] = 8; // echo request
  view.setUint16(24, id);
  view.setUint16(26, seq);
  packet.set(payload, 28);
  view.setUint16(22, onesComplement(packet.subarray(20)));
  return packet;
}

before(async () => {
  // namespaces of an earlier run that was killed outright
  for (const line of (await check(['ip', 'netns', 'list'])).split('\n')) {
    const name = line.split(' ')[0] ?? '';
    const owner = NS_PATTERN.exec(name)?.[1];
    if (owner !== undefined && !processAlive(Number(owner))) {
      await run(['ip', 'netns', 'delete', name]);
      rmSync(join('/etc/netns', name), { recursive: true, force: true });
    }
  }
  await check(['ip', 'netns', 'add', NS]);
  // no duplicate address detection: link-local addresses are final at once, so snapshots do not drift
  await check(['ip', 'netns', 'exec', NS, 'sysctl', '-q', '-w', 'net.ipv6.conf.all.accept_dad=0']);
  await check(['ip', 'netns', 'exec', NS, 'sysctl', '-q', '-w', 'net.ipv6.conf.default.accept_dad=0']);
  await check(['ip', '-n', NS, 'link', 'set', 'lo', 'up']);
  await check(['ip', '-n', NS, 'link', 'add', 'eth0', 'type', 'veth', 'peer', 'name', 'eth0p']);
  await check(['ip', '-n', NS, 'addr', 'add', '192.0.2.2/24', 'dev', 'eth0']);
  await check(['ip', '-n', NS, 'link', 'set', 'eth0', 'up']);
  await check(['ip', '-n', NS, 'link', 'set', 'eth0p', 'up']);
  await check(['ip', '-n', NS, 'route', 'add', 'default', 'via', '192.0.2.1']);
  // `ip netns exec` bind-mounts this over /etc/resolv.conf for what it runs: the host's file is never touched
  mkdirSync(NETNS_ETC, { recursive: true });
  writeFileSync(RESOLV_CONF, ORIGINAL_RESOLV);
});

after(async () => {
  await Promise.all([...agents].map((child) => stopChild(child, 1000)));
  await run(['ip', 'netns', 'delete', NS]);
  rmSync(NETNS_ETC, { recursive: true, force: true });
  rmSync(stateRoot, { recursive: true, force: true });
});

describe('Linux virtual adapter in a network namespace', { timeout: 60_000 }, () => {
  test('split plan: applied as planned, an ICMP echo crosses the fd both ways, restore is byte-exact', async () => {
    const agent = new Agent();
    try {
      assert.equal(await agent.send({ op: 'open' }), 'outpost0');
      const before = await snapshot();
      const stateDir = freshStateDir();
      await agent.send({ op: 'apply', plan: SPLIT, stateDir });

      assert.equal(MTU, 1438);
      const [link] = await ipJson(['addr', 'show', 'dev', 'outpost0']);
      assert.ok(link);
      assert.equal(link.mtu, 1438);
      assert.ok((link.flags as string[]).includes('UP'));
      assert.deepEqual(
        (link.addr_info as { family: string; local: string; prefixlen: number }[]).map((a) => [
          a.family,
          a.local,
          a.prefixlen,
        ]),
        [['inet', '203.0.113.5', 32]],
        'the virtual address and no IPv6 link-local address',
      );
      const routes = await ipJson(['route', 'show', 'dev', 'outpost0']);
      assert.deepEqual(
        routes.map((r) => [r.dst, r.protocol]),
        [['198.51.100.0/24', 'static']],
      );
      assert.equal(await routeDevice('198.51.100.9'), 'outpost0');
      assert.equal(await routeDevice('198.18.7.7'), 'eth0', 'split tunnel: the rest stays outside');
      assert.equal(
        readFileSync(RESOLV_CONF, 'utf8'),
        '# Written by Outpost VPN while connected; the original is restored on disconnect.\n' +
          'nameserver 198.51.100.53\nsearch corp.example\n',
      );
      assert.ok(existsSync(join(stateDir, 'network.json')), 'journal while connected');

      // into the kernel through the fd, and the kernel's answer out through it
      const payload = Uint8Array.from(randomBytes(56));
      const request = echoRequest('198.51.100.9', '203.0.113.5', 0x4f50, 1, payload);
      const written = (await agent.send({ op: 'write', packets: [Buffer.from(request).toString('hex')] })) as {
        writePackets: number;
        writeErrors: number;
      };
      assert.equal(written.writePackets, 1);
      assert.equal(written.writeErrors, 0);
      const [replyHex] = (await agent.send({ op: 'received', count: 1, protocol: ICMP, timeoutMs: 5000 })) as string[];
      assert.ok(replyHex, 'the echo reply came out of the TUN fd');
      const reply = Buffer.from(replyHex, 'hex');
      assert.equal(reply.length, request.length);
      assert.deepEqual([...reply.subarray(12, 16)], ipBytes('203.0.113.5'));
      assert.deepEqual([...reply.subarray(16, 20)], ipBytes('198.51.100.9'));
      assert.equal(onesComplement(reply.subarray(0, 20)), 0, 'IP header checksum');
      assert.equal(reply[20], 0, 'echo reply');
      assert.equal(reply.readUInt16BE(24), 0x4f50);
      assert.equal(reply.readUInt16BE(26), 1);
      assert.deepEqual(new Uint8Array(reply.subarray(28)), payload);
      assert.equal(onesComplement(reply.subarray(20)), 0, 'ICMP checksum');
      const counters = (await agent.send({ op: 'counters' })) as { readPackets: number; readErrors: number };
      assert.ok(counters.readPackets >= 1);
      assert.equal(counters.readErrors, 0);

      await agent.send({ op: 'restore' });
      assert.deepEqual(await snapshot(), before, 'links, addresses, routes and resolv.conf as before');
      assert.deepEqual(readFileSync(RESOLV_CONF), ORIGINAL_RESOLV);
      assert.equal(existsSync(join(stateDir, 'network.json')), false, 'journal removed');

      await agent.send({ op: 'close' });
      const gone = await run(['ip', '-n', NS, 'link', 'show', 'outpost0']);
      assert.notEqual(gone.code, 0, 'the device goes with its fd');
    } finally {
      await agent.stop();
    }
  });

  test('what is already there: an address is kept and not ours, a route in the way is replaced and put back', async () => {
    const agent = new Agent();
    try {
      await agent.send({ op: 'open' });
      // one `ip -batch` meets both: each is settled on its own and the batch goes on after it
      await check(['ip', '-n', NS, 'addr', 'add', '203.0.113.5/32', 'dev', 'outpost0']);
      await check(['ip', '-n', NS, 'route', 'add', '198.51.100.0/24', 'via', '192.0.2.1', 'dev', 'eth0']);
      const before = await snapshot();
      await agent.send({ op: 'apply', plan: SPLIT, stateDir: freshStateDir() });
      assert.equal(await routeDevice('198.51.100.9'), 'outpost0');
      const [link] = await ipJson(['link', 'show', 'dev', 'outpost0']);
      assert.equal(link?.mtu, 1438, 'the lines after the address ran');
      await agent.send({ op: 'restore' });
      assert.deepEqual(await snapshot(), before, 'the address stays, the route in the way is back');
      assert.equal(await routeDevice('198.51.100.9'), 'eth0');
      await run(['ip', '-n', NS, 'route', 'del', '198.51.100.0/24', 'via', '192.0.2.1', 'dev', 'eth0']);
      await agent.send({ op: 'close' });
    } finally {
      await agent.stop();
    }
  });

  test('full tunnel: both halves via the adapter, the gateway keeps its host route via the default route', async () => {
    const agent = new Agent();
    try {
      await agent.send({ op: 'open' });
      const before = await snapshot();
      await agent.send({ op: 'apply', plan: FULL, stateDir: freshStateDir() });
      const main = await ipJson(['route', 'show', 'table', 'main']);
      const summary = main.map((r) => `${r.dst} ${r.gateway ?? '-'} ${r.dev}`);
      assert.ok(summary.includes('0.0.0.0/1 - outpost0'), summary.join('; '));
      assert.ok(summary.includes('128.0.0.0/1 - outpost0'), summary.join('; '));
      assert.ok(summary.includes(`${GATEWAY} 192.0.2.1 eth0`), summary.join('; '));
      assert.ok(summary.includes('default 192.0.2.1 eth0'), 'the default route itself is untouched');
      assert.equal(await routeDevice(GATEWAY), 'eth0', 'IKE and ESP stay outside the tunnel');
      assert.equal(await routeDevice('198.18.7.7'), 'outpost0');
      assert.equal(await routeDevice('192.0.2.77'), 'eth0', 'the local network stays local');
      // no IPv6 address from the gateway: IPv6 is blocked, not sent around the tunnel
      const main6 = await ipJson(['-6', 'route', 'show', 'table', 'main']);
      const blocked = main6.filter((r) => r.type === 'unreachable').map((r) => r.dst);
      assert.deepEqual(blocked.sort(), ['8000::/1', '::/1']);
      await agent.send({ op: 'restore' });
      assert.deepEqual(await snapshot(), before);
    } finally {
      await agent.stop();
    }
  });

  test('full tunnel with an IPv6 address: usable at once (no DAD), IPv6 in two halves via the adapter', async () => {
    const agent = new Agent();
    try {
      await agent.send({ op: 'open' });
      const before = await snapshot();
      const plan: NetworkPlan = { ...FULL, address6: { address: '2001:db8:2::7', prefix: 128 } };
      await agent.send({ op: 'apply', plan, stateDir: freshStateDir() });
      const [link] = await ipJson(['-6', 'addr', 'show', 'dev', 'outpost0']);
      const addrs = (link?.addr_info ?? []) as Record<string, unknown>[];
      assert.deepEqual(
        addrs.map((a) => [a.local, a.prefixlen, a.tentative ?? false]),
        [['2001:db8:2::7', 128, false]],
        'only our address: no link-local one, and not tentative',
      );
      const [route] = await ipJson(['route', 'get', '2001:db8:77::1']);
      assert.equal(route?.dev, 'outpost0');
      assert.equal(route?.prefsrc, '2001:db8:2::7');
      await agent.send({ op: 'restore' });
      assert.deepEqual(await snapshot(), before);
    } finally {
      await agent.stop();
    }
  });

  test('kill -9 while connected: recoverAfterCrash restores DNS and removes what the process left', async () => {
    const stateDir = freshStateDir();
    const victim = new Agent();
    await victim.send({ op: 'open' });
    await victim.send({ op: 'apply', plan: FULL, stateDir });
    assert.match(readFileSync(RESOLV_CONF, 'utf8'), /^nameserver 198\.51\.100\.53$/m);
    await victim.killHard();

    // the kernel removed the device and its routes; the gateway host route and DNS are still there
    assert.notEqual((await run(['ip', '-n', NS, 'link', 'show', 'outpost0'])).code, 0);
    assert.equal((await ipJson(['route', 'show', `${GATEWAY}/32`])).length, 1, 'host route left behind');
    assert.match(readFileSync(RESOLV_CONF, 'utf8'), /198\.51\.100\.53/, 'a killed process cannot clean up');
    assert.ok(existsSync(join(stateDir, 'network.json')));

    const next = new Agent();
    try {
      assert.equal(await next.send({ op: 'recover', stateDir }), true);
      assert.deepEqual(readFileSync(RESOLV_CONF), ORIGINAL_RESOLV, 'DNS restored byte-exact');
      assert.deepEqual(await ipJson(['route', 'show', `${GATEWAY}/32`]), [], 'host route removed');
      assert.equal(existsSync(join(stateDir, 'network.json')), false);
      assert.equal(await next.send({ op: 'recover', stateDir }), false, 'nothing left the second time');
      assert.deepEqual(
        (await ipJson(['route', 'show', 'table', 'main'])).map((r) => r.dst),
        ['default', '192.0.2.0/24'],
      );
    } finally {
      await next.stop();
    }
  });

  test('a restore that cannot write resolv.conf back keeps it in the journal until recovery can', async () => {
    const stateDir = freshStateDir();
    const agent = new Agent();
    try {
      await agent.send({ op: 'open' });
      await agent.send({ op: 'apply', plan: SPLIT, stateDir });
      await agent.send({ op: 'resolv-conf-writable', writable: false });
      await assert.rejects(agent.send({ op: 'restore' }), (e: { code?: string; detail?: string }) => {
        assert.equal(e.code, 'adapter');
        assert.match(e.detail ?? '', /EROFS|read-only/i);
        return true;
      });
      assert.match(readFileSync(RESOLV_CONF, 'utf8'), /198\.51\.100\.53/);
      const journal = JSON.parse(readFileSync(join(stateDir, 'network.json'), 'utf8')) as {
        changes: { kind: string }[];
      };
      assert.deepEqual(
        journal.changes.map((c) => c.kind),
        ['resolv-conf'],
        'routes and address undone; only DNS is left',
      );
      assert.deepEqual(await ipJson(['route', 'show', 'dev', 'outpost0']), []);
      await agent.send({ op: 'resolv-conf-writable', writable: true });
      assert.equal(await agent.send({ op: 'recover', stateDir }), true);
      assert.deepEqual(readFileSync(RESOLV_CONF), ORIGINAL_RESOLV);
    } finally {
      await agent.stop();
    }
  });

  test('closing the adapter lets the process exit by itself; an open one keeps it alive', async () => {
    const exitOf = (child: ChildProcess, ms: number) =>
      new Promise<number | null | 'running'>((resolve) => {
        const timer = setTimeout(() => resolve('running'), ms);
        child.once('exit', (code) => {
          clearTimeout(timer);
          resolve(code);
        });
      });
    const outputOf = (child: ChildProcess) => {
      let text = '';
      child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
        text += chunk;
      });
      child.stderr!.resume();
      return () => text;
    };

    const closing = spawnAgent('close-and-return');
    const closingOutput = outputOf(closing);
    assert.equal(await exitOf(closing, 10_000), 0, 'exits on its own once closed');
    const [opened, afterClose] = closingOutput()
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as Record<string, { writeErrors: number; writePackets: number }>);
    assert.equal(opened?.counters?.writeErrors, 1, 'a non-IP packet is counted, not thrown');
    assert.equal(opened?.counters?.writePackets, 0);
    assert.equal(afterClose?.afterClose?.writeErrors, 2, 'a write after close is counted too');

    const open = spawnAgent('stay-open');
    outputOf(open);
    assert.equal(await exitOf(open, 2000), 'running', 'the control: an unclosed adapter keeps the loop alive');
    await stopChild(open, 1000);
  });

  test('an exception in the packet handler is not swallowed: it is an uncaught exception', async () => {
    const child = spawnAgent('throwing-handler');
    let stderr = '';
    child.stdout!.resume();
    child.stderr!.setEncoding('utf8').on('data', (chunk: string) => {
      stderr += chunk;
    });
    const code = await new Promise<number | null | 'running'>((resolve) => {
      const timer = setTimeout(() => resolve('running'), 10_000);
      child.once('exit', (c) => {
        clearTimeout(timer);
        resolve(c);
      });
    });
    if (code === 'running') await stopChild(child, 1000);
    assert.equal(code, 1, stderr);
    assert.match(stderr, /handler failed on purpose/);
  });

  test('a device deleted under an open adapter: one read error, a refused write, no busy loop', async () => {
    const child = spawnAgent('device-deleted');
    let stdout = '';
    child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk;
    });
    child.stderr!.resume();
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    assert.equal(code, 0);
    const { counters, cpuMs } = JSON.parse(stdout) as { counters: Record<string, number>; cpuMs: number };
    assert.deepEqual(counters, { readPackets: 0, writePackets: 0, writeErrors: 1, readErrors: 1 });
    // libuv stops polling an fd that reports POLLERR; a level-triggered spin would burn the whole second
    assert.ok(cpuMs < 300, `${cpuMs} ms of CPU in one idle second`);
  });
});
