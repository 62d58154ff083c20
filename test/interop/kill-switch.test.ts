// The kill switch against the real kernel, in network namespaces this test creates (root): what may still leave
// while it is on (IKE/NAT-T to the gateway, loopback, an outpost* adapter; neighbour discovery for an IPv6 gateway)
// and what may not, the table left in place by a process killed with SIGKILL, and recovery removing it.
//
//   client ks-<pid>-<hex>:  eth0 192.0.2.2/24 2001:db8::2/64  <-veth->  eth0 192.0.2.1/24 (+ .77)
//                           outpost9 198.18.0.1/24, other9 198.18.1.1/24   2001:db8::1/64 (+ ::77)   ks-<pid>-<hex>-gw
//                           (veth pairs inside the client namespace)
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { after, before, describe, test } from 'node:test';
import type { KillSwitchPolicy } from '../../core/adapter/types.js';
import { AgentClient } from '../support/agent.js';
import { processAlive, run, stopChild } from '../support/netns.js';
import type { KillSwitchCommand } from './kill-switch-agent.js';

const NS = `ks-${process.pid}-${randomBytes(3).toString('hex')}`;
const GW_NS = `${NS}-gw`;
const NS_PATTERN = /^ks-(\d+)-[0-9a-f]{6}(?:-gw)?$/;
const AGENT = join(import.meta.dirname, 'kill-switch-agent.ts');
const REPO = join(import.meta.dirname, '..', '..');
const TABLE = 'outpost_guard';
const V4: KillSwitchPolicy = { gateway: '192.0.2.1', ports: [500, 4500] };
const V6: KillSwitchPolicy = { gateway: '2001:db8::1', ports: [4500] };

const stateRoot = mkdtempSync(join(tmpdir(), `outpost-${NS}-`));
let stateCount = 0;
const freshStateDir = () => join(stateRoot, `state-${++stateCount}`);
const agents = new Set<ChildProcess>();

async function check(argv: string[]): Promise<string> {
  const result = await run(argv);
  assert.equal(result.code, 0, `${argv.join(' ')}: ${result.stderr}`);
  return result.stdout;
}

/** The tables of the client namespace, as `family name`. */
async function tables(): Promise<string[]> {
  const out = await check(['ip', 'netns', 'exec', NS, 'nft', 'list', 'tables']);
  return out
    .split('\n')
    .map((line) => line.replace(/^table /, '').trim())
    .filter((line) => line !== '');
}

async function pings(address: string): Promise<boolean> {
  return (await run(['ip', 'netns', 'exec', NS, 'ping', '-c', '1', '-W', '2', address])).code === 0;
}

/** Sends one UDP datagram from the client namespace: 'sent', or the error code (EPERM when the firewall drops it). */
async function sendUdp(address: string, port: number): Promise<string> {
  const script = `const s = require('node:dgram').createSocket(${JSON.stringify(address.includes(':') ? 'udp6' : 'udp4')});
s.send('outpost', ${port}, ${JSON.stringify(address)}, (e) => { console.log(e ? e.code : 'sent'); s.close(); });`;
  const result = await run(['ip', 'netns', 'exec', NS, process.execPath, '-e', script]);
  return result.stdout.trim() || result.stderr;
}

/** Whether a datagram sent from the client reaches a listener on `address`:`port` in the gateway namespace. */
async function udpArrives(address: string, port: number): Promise<boolean> {
  const script = `const s = require('node:dgram').createSocket(${JSON.stringify(address.includes(':') ? 'udp6' : 'udp4')});
s.on('message', () => { console.log('received'); process.exit(0); });
s.bind(${port}, ${JSON.stringify(address)}, () => console.log('ready'));
setTimeout(() => process.exit(1), 3000);`;
  const listener = spawn('ip', ['netns', 'exec', GW_NS, process.execPath, '-e', script], { stdio: 'pipe' });
  const lines = createInterface({ input: listener.stdout });
  const exited = new Promise<number | null>((resolve) => listener.once('exit', resolve));
  await new Promise<void>((resolve) => lines.once('line', () => resolve()));
  assert.equal(await sendUdp(address, port), 'sent');
  return (await exited) === 0;
}

/** Packets the kernel counted out of `dev` in the client namespace. */
async function txPackets(dev: string): Promise<number> {
  const [link] = JSON.parse(await check(['ip', '-n', NS, '-j', '-s', 'link', 'show', 'dev', dev])) as {
    stats64: { tx: { packets: number } };
  }[];
  return link!.stats64.tx.packets;
}

/** The kill switch in a process of its own inside the client namespace, dying with the test runner (pdeathsig). */
class Agent extends AgentClient<KillSwitchCommand> {
  constructor(readonly stateDir: string) {
    const child = spawn(
      'ip',
      ['netns', 'exec', NS, 'setpriv', '--pdeathsig', 'KILL', process.execPath, '--import', 'tsx', AGENT, stateDir],
      { cwd: REPO, stdio: ['pipe', 'pipe', 'pipe'] },
    );
    super(child);
    agents.add(child);
    child.once('exit', () => agents.delete(child));
  }

  stop(): Promise<void> {
    this.child.stdin!.end();
    return stopChild(this.child, 3000);
  }
}

before(async () => {
  // namespaces of an earlier run that was killed outright
  for (const line of (await check(['ip', 'netns', 'list'])).split('\n')) {
    const name = line.split(' ')[0] ?? '';
    const owner = NS_PATTERN.exec(name)?.[1];
    if (owner !== undefined && !processAlive(Number(owner))) await run(['ip', 'netns', 'delete', name]);
  }
  for (const ns of [NS, GW_NS]) {
    await check(['ip', 'netns', 'add', ns]);
    await check(['ip', '-n', ns, 'link', 'set', 'lo', 'up']);
  }
  await check(['ip', '-n', NS, 'link', 'add', 'eth0', 'type', 'veth', 'peer', 'name', 'eth0', 'netns', GW_NS]);
  for (const [ns, cidrs] of [
    [NS, ['192.0.2.2/24', '2001:db8::2/64']],
    [GW_NS, ['192.0.2.1/24', '192.0.2.77/24', '2001:db8::1/64', '2001:db8::77/64']],
  ] as const) {
    // no duplicate address detection: the IPv6 addresses are usable at once
    for (const cidr of cidrs) await check(['ip', '-n', ns, 'addr', 'add', cidr, 'dev', 'eth0', 'nodad']);
    await check(['ip', '-n', ns, 'link', 'set', 'eth0', 'up']);
  }
  // stand-ins for a tunnel adapter (allowed by name) and for any other interface (not allowed): veth pairs (this
  // kernel has no dummy driver) with a static neighbour and no IPv6, so exactly what a test sends is counted
  for (const [dev, cidr, peer] of [
    ['outpost9', '198.18.0.1/24', '198.18.0.2'],
    ['other9', '198.18.1.1/24', '198.18.1.2'],
  ] as const) {
    await check(['ip', '-n', NS, 'link', 'add', dev, 'type', 'veth', 'peer', 'name', `${dev}p`]);
    for (const end of [dev, `${dev}p`]) {
      await check(['ip', 'netns', 'exec', NS, 'sysctl', '-q', '-w', `net.ipv6.conf.${end}.disable_ipv6=1`]);
      await check(['ip', '-n', NS, 'link', 'set', end, 'up']);
    }
    await check(['ip', '-n', NS, 'addr', 'add', cidr, 'dev', dev]);
    await check(['ip', '-n', NS, 'neigh', 'add', peer, 'lladdr', '02:00:00:00:00:02', 'dev', dev]);
  }
  assert.ok(await pings('192.0.2.77'), 'the control: the network works before any kill switch');
  assert.ok(await pings('2001:db8::77'));
});

after(async () => {
  await Promise.all([...agents].map((child) => stopChild(child, 1000)));
  for (const ns of [NS, GW_NS]) await run(['ip', 'netns', 'delete', ns]);
  rmSync(stateRoot, { recursive: true, force: true });
});

describe('Linux kill switch in a network namespace', { timeout: 60_000 }, () => {
  test('IPv4 gateway: only IKE/NAT-T to it, loopback and outpost* leave; disable lets everything out again', async () => {
    const agent = new Agent(freshStateDir());
    try {
      await agent.send({ op: 'enable', policy: V4 });
      assert.deepEqual(await tables(), [`inet ${TABLE}`]);
      assert.ok(existsSync(join(agent.stateDir, 'kill-switch.json')));

      assert.ok(await udpArrives('192.0.2.1', 4500), 'NAT-T to the gateway leaves');
      assert.ok(await udpArrives('192.0.2.1', 500), 'IKE to the gateway leaves');
      assert.equal(await sendUdp('192.0.2.1', 53), 'EPERM', 'another port of the gateway does not');
      assert.equal(await sendUdp('192.0.2.77', 4500), 'EPERM', 'the same port elsewhere does not');
      assert.equal(await pings('192.0.2.77'), false, 'nothing else does');
      assert.equal(await pings('2001:db8::77'), false, 'IPv6 neither');
      assert.ok(await pings('127.0.0.1'), 'loopback works');
      assert.ok(await pings('::1'));

      const sentBefore = await txPackets('outpost9');
      assert.equal(await sendUdp('198.18.0.2', 4000), 'sent', 'an outpost* adapter may send');
      assert.equal(await txPackets('outpost9'), sentBefore + 1);
      assert.equal(await sendUdp('198.18.1.2', 4000), 'EPERM', 'the control: another interface may not');

      await agent.send({ op: 'disable' });
      assert.deepEqual(await tables(), []);
      assert.ok(await pings('192.0.2.77'), 'works again after disable');
      assert.equal(await sendUdp('198.18.1.2', 4000), 'sent');
      assert.equal(existsSync(join(agent.stateDir, 'kill-switch.json')), false);
    } finally {
      await agent.stop();
    }
  });

  test('IPv6 gateway: reached through neighbour discovery; enable again with IPv4 replaces it', async () => {
    const agent = new Agent(freshStateDir());
    try {
      await agent.send({ op: 'enable', policy: V6 });
      // the gateway's link-layer address must be found again, through the kill switch
      await check(['ip', '-n', NS, 'neigh', 'flush', 'dev', 'eth0']);
      assert.ok(await udpArrives('2001:db8::1', 4500), 'NAT-T to the IPv6 gateway leaves');
      assert.equal(await sendUdp('2001:db8::1', 500), 'EPERM', 'only the policy’s ports');
      assert.equal(await pings('2001:db8::77'), false);
      assert.equal(await pings('192.0.2.77'), false);

      await agent.send({ op: 'enable', policy: V4 });
      assert.deepEqual(await tables(), [`inet ${TABLE}`], 'one table, replaced');
      assert.equal(await sendUdp('2001:db8::1', 4500), 'EPERM', 'the old gateway is no longer allowed');
      assert.ok(await udpArrives('192.0.2.1', 4500));
      await agent.send({ op: 'disable' });
      assert.deepEqual(await tables(), []);
    } finally {
      await agent.stop();
    }
  });

  /** Enables the kill switch in a process that is then killed with SIGKILL, and checks it stayed on. */
  async function killedWhileOn(stateDir: string): Promise<void> {
    const victim = new Agent(stateDir);
    await victim.send({ op: 'enable', policy: V4 });
    await victim.killHard();
    assert.deepEqual(await tables(), [`inet ${TABLE}`], 'still there after its process died');
    assert.equal(await pings('192.0.2.77'), false, 'still blocking');
    assert.ok(existsSync(join(stateDir, 'kill-switch.json')));
  }

  test('kill -9 leaves it on (fail-closed); recovery at the next start, or disable, removes it', async () => {
    const stateDir = freshStateDir();
    const next = new Agent(stateDir);
    try {
      await killedWhileOn(stateDir);
      await next.send({ op: 'recover' });
      assert.deepEqual(await tables(), []);
      assert.ok(await pings('192.0.2.77'));
      assert.equal(existsSync(join(stateDir, 'kill-switch.json')), false);
      await next.send({ op: 'recover' });

      await killedWhileOn(stateDir);
      await next.send({ op: 'disable' });
      assert.deepEqual(await tables(), []);
      assert.equal(existsSync(join(stateDir, 'kill-switch.json')), false);
    } finally {
      await next.stop();
    }
    assert.deepEqual(await tables(), [], 'nothing of ours is left in the namespace');
  });
});
