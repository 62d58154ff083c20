// The configurator against a scripted `ip`/`resolvectl` (no root): the commands it runs and their order, that each
// change is in the journal before its command runs, restore and crash recovery, and DNS file handling. The real
// kernel side is in test/interop/adapter-linux.test.ts.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import {
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readlinkSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, beforeEach, describe, test } from 'node:test';
import { OutpostError } from '../../errors.js';
import type { NetworkPlan } from '../types.js';
import type { Change } from './changes.js';
import { CommandFailed, type CommandRunner } from './commands.js';
import { LinuxNetworkConfigurator, type LinuxNetworkOptions, recoverAfterCrash } from './configure.js';
import { systemdResolvedManages } from './dns.js';
import { currentProcess, processIdentity, readJournal, writeJournal } from './journal.js';

const root = mkdtempSync(join(tmpdir(), 'outpost-configure-test-'));
after(() => rmSync(root, { recursive: true, force: true }));
let caseNo = 0;
let stateDir: string;
let resolvConf: string;
/** Not valid UTF-8 and no final newline: restoring must be byte-exact, not a string round trip. */
const ORIGINAL_RESOLV = Buffer.concat([Buffer.from('# café\nnameserver 192.0.2.53\noptions edns0'), Buffer.of(0xff)]);

beforeEach(() => {
  const dir = join(root, `case-${++caseNo}`);
  mkdirSync(dir);
  stateDir = join(dir, 'state');
  resolvConf = join(dir, 'resolv.conf');
  writeFileSync(resolvConf, ORIGINAL_RESOLV);
});

const journalPath = () => join(stateDir, 'network.json');
const LINK = JSON.stringify([
  { ifname: 'outpost0', flags: ['POINTOPOINT', 'MULTICAST', 'NOARP'], mtu: 1500, inet6_addr_gen_mode: 'eui64' },
]);
const GATEWAY_ROUTE = JSON.stringify([
  { dst: '192.0.2.1', gateway: '198.18.0.1', dev: 'eth0', prefsrc: '198.18.0.2', flags: [], uid: 0, cache: [] },
]);

/** `ip` and `resolvectl` as a script: canned answers by pattern, every call and the journal at that moment kept. */
class FakeSystem {
  readonly calls: string[] = [];
  readonly journals: Change[][] = [];
  private readonly answers: [RegExp, string | { stderr: string }][] = [
    [/^ip -j -d link show dev outpost0$/, LINK],
    [/^ip -j route get 192\.0\.2\.1$/, GATEWAY_ROUTE],
  ];

  on(pattern: RegExp, answer: string | { stderr: string }): this {
    this.answers.unshift([pattern, answer]);
    return this;
  }

  /** An `ip -batch -` is taken line by line, as ip does: it stops at the first that fails and names it. */
  readonly run: CommandRunner = async (program, args, input) => {
    if (program !== 'ip' || args.join(' ') !== '-batch -' || input === undefined) return this.one(program, args);
    const lines = input.split('\n').filter((line) => line !== '');
    for (const [index, line] of lines.entries()) {
      try {
        await this.one('ip', line.split(' '));
      } catch (error) {
        if (!(error instanceof CommandFailed)) throw error;
        throw new CommandFailed('ip', args, `${error.stderr}\nCommand failed -:${index + 1}\n`);
      }
    }
    return '';
  };

  private async one(program: string, args: readonly string[]): Promise<string> {
    const line = [program, ...args].join(' ');
    this.calls.push(line);
    const journal = readJournal(journalPath());
    this.journals.push(typeof journal === 'object' ? journal.changes : []);
    for (const [pattern, answer] of this.answers) {
      if (!pattern.test(line)) continue;
      if (typeof answer === 'string') return answer;
      throw new CommandFailed(program, args, answer.stderr);
    }
    if (args.includes('-j')) throw new Error(`unscripted query: ${line}`);
    return '';
  }

  /** Every command that changes something found its change already in the journal. */
  assertJournaledFirst(): void {
    const rules: [RegExp, (m: string[], c: Change) => boolean][] = [
      [/^ip addr add (\S+) dev (\S+)/, (m, c) => c.kind === 'address' && c.cidr === m[1] && c.dev === m[2]],
      [/^ip link set dev (\S+) /, (m, c) => c.kind === 'link' && c.dev === m[1]],
      [
        /^ip route (?:add|replace) (unreachable )?(\S+)/,
        (m, c) => c.kind === (m[1] ? 'unreachable' : 'route') && c.dst === m[2],
      ],
      [/^resolvectl (?:dns|domain) (\S+)/, (m, c) => c.kind === 'resolved' && c.link === m[1]],
      [
        /^resolvectl default-route (\S+) (yes|no)/,
        // ours switched on under its 'resolved' change; another link's switched off, or back on, under its own
        (m, c) =>
          (m[2] === 'yes' && c.kind === 'resolved' && c.link === m[1]) ||
          (c.kind === 'resolved-default-route' && c.link === m[1]),
      ],
    ];
    this.calls.forEach((line, i) => {
      for (const [pattern, matches] of rules) {
        const m = pattern.exec(line);
        if (m)
          assert.ok(
            this.journals[i]!.some((c) => matches(m, c)),
            `not journaled before: ${line}`,
          );
      }
    });
  }

  /** The calls since `from`, for checking one phase. */
  since(from: number): string[] {
    return this.calls.slice(from);
  }
}

const SPLIT: NetworkPlan = {
  adapter: 'outpost0',
  address: '203.0.113.5',
  prefix: 32,
  mtu: 1438,
  routes: ['198.51.100.0/24', '198.18.64.0/18'],
  fullTunnel: false,
  gateway: '192.0.2.1',
  dns: { servers: ['198.51.100.53', '2001:db8::53'], domains: ['corp.example', 'lab.corp.example'] },
};
const FULL: NetworkPlan = { ...SPLIT, routes: [], fullTunnel: true };
const FULL_V6: NetworkPlan = { ...FULL, address6: { address: '2001:db8:2::1', prefix: 128 } };

/** A journal as a process that is gone now would have left it. */
function crashedJournal(changes: Change[]): void {
  const exited = spawnSync('true');
  writeJournal(journalPath(), { ...currentProcess(), pid: exited.pid!, startTime: '1' }, changes);
}

function configurator(fake: FakeSystem, options: LinuxNetworkOptions = {}): LinuxNetworkConfigurator {
  return new LinuxNetworkConfigurator({ stateDir, resolvConf, dns: 'resolv.conf', run: fake.run, ...options });
}

/** The changes of one apply's `ip -batch`, after its questions. */
const ADDRESS_AND_LINK = [
  'ip addr add 203.0.113.5/32 dev outpost0',
  'ip link set dev outpost0 addrgenmode none',
  'ip link set dev outpost0 mtu 1438 up',
];
const LINK_QUERY = 'ip -j -d link show dev outpost0';
const LINK_UP = [LINK_QUERY, ...ADDRESS_AND_LINK];
const LINK_RESTORED = [
  'ip link set dev outpost0 mtu 1500 down',
  'ip link set dev outpost0 addrgenmode eui64',
  'ip addr del 203.0.113.5/32 dev outpost0',
];

describe('LinuxNetworkConfigurator', () => {
  test('split tunnel: address, link, routes, resolv.conf; restore undoes it in reverse, byte-exact', async () => {
    const fake = new FakeSystem();
    const config = configurator(fake);
    await config.apply(SPLIT);
    assert.deepEqual(fake.calls, [
      ...LINK_UP,
      'ip route add 198.51.100.0/24 dev outpost0 proto static',
      'ip route add 198.18.64.0/18 dev outpost0 proto static',
    ]);
    assert.equal(
      readFileSync(resolvConf, 'utf8'),
      '# Written by Outpost VPN while connected; the original is restored on disconnect.\n' +
        'nameserver 198.51.100.53\nnameserver 2001:db8::53\nsearch corp.example lab.corp.example\n',
    );
    const journal = readJournal(journalPath());
    assert.ok(typeof journal === 'object');
    assert.deepEqual(
      journal.changes.map((c) => c.kind),
      ['address', 'link', 'route', 'route', 'resolv-conf'],
    );
    const applied = fake.calls.length;
    await config.restore();
    assert.deepEqual(fake.since(applied), [
      'ip route del 198.18.64.0/18 dev outpost0 proto static',
      'ip route del 198.51.100.0/24 dev outpost0 proto static',
      ...LINK_RESTORED,
    ]);
    assert.deepEqual(readFileSync(resolvConf), ORIGINAL_RESOLV);
    assert.equal(existsSync(journalPath()), false);
    fake.assertJournaledFirst();
    // a second restore has nothing left to do
    await config.restore();
    assert.equal(fake.calls.length, applied + 5);
  });

  test('full tunnel: the gateway keeps a host route via the original default route', async () => {
    const fake = new FakeSystem();
    const config = configurator(fake);
    await config.apply(FULL);
    assert.deepEqual(fake.calls, [
      LINK_QUERY,
      'ip -j route get 192.0.2.1',
      ...ADDRESS_AND_LINK,
      'ip route add 192.0.2.1/32 via 198.18.0.1 dev eth0 proto static',
      'ip route add 0.0.0.0/1 dev outpost0 proto static',
      'ip route add 128.0.0.0/1 dev outpost0 proto static',
      'ip route add unreachable ::/1 proto static',
      'ip route add unreachable 8000::/1 proto static',
    ]);
    const applied = fake.calls.length;
    await config.restore();
    assert.deepEqual(fake.since(applied), [
      'ip route del unreachable 8000::/1 proto static',
      'ip route del unreachable ::/1 proto static',
      'ip route del 128.0.0.0/1 dev outpost0 proto static',
      'ip route del 0.0.0.0/1 dev outpost0 proto static',
      'ip route del 192.0.2.1/32 via 198.18.0.1 dev eth0 proto static',
      ...LINK_RESTORED,
    ]);
    fake.assertJournaledFirst();
  });

  test('an on-link gateway gets a host route without a next hop', async () => {
    const fake = new FakeSystem().on(
      /^ip -j route get/,
      JSON.stringify([{ dst: '192.0.2.1', dev: 'vgw', prefsrc: '192.0.2.2', flags: [] }]),
    );
    await configurator(fake).apply({ ...FULL, dns: undefined });
    assert.ok(fake.calls.includes('ip route add 192.0.2.1/32 dev vgw proto static'));
  });

  test('a batch line that fails: the error names its command, and only what ran before it is undone', async () => {
    const fake = new FakeSystem().on(/^ip route add 198\.51\.100\.0\/24/, {
      stderr: 'Error: Nexthop has invalid gateway.',
    });
    const config = configurator(fake);
    const journals: string[][] = [];
    await assert.rejects(config.apply(SPLIT), (e: unknown) => {
      assert.ok(e instanceof OutpostError);
      assert.match(String(e.detail), /^ip route add 198\.51\.100\.0\/24 dev outpost0 proto static: Error: Nexthop/);
      return true;
    });
    for (const journal of fake.journals) journals.push(journal.map((c) => c.kind));
    // all four journaled before the one batch ran
    assert.deepEqual(journals[1], ['address', 'link', 'route', 'route']);
    assert.deepEqual(fake.since(LINK_UP.length + 1), [
      'ip route del 198.51.100.0/24 dev outpost0 proto static',
      ...LINK_RESTORED,
    ]);
    assert.ok(!fake.calls.includes('ip route add 198.18.64.0/18 dev outpost0 proto static'), 'ip stops at the failure');
    assert.ok(!fake.calls.includes('ip route del 198.18.64.0/18 dev outpost0 proto static'), 'never made, not undone');
    assert.equal(existsSync(journalPath()), false);
    fake.assertJournaledFirst();
  });

  test('split tunnel: the gateway is pinned only when a tunnel route covers it', async () => {
    const fake = new FakeSystem().on(
      /^ip -j route get 198\.51\.100\.1$/,
      JSON.stringify([{ dst: '198.51.100.1', gateway: '198.18.0.1', dev: 'eth0', flags: [] }]),
    );
    const config = configurator(fake);
    await config.apply({ ...SPLIT, gateway: '198.51.100.1', dns: undefined });
    assert.deepEqual(fake.calls.slice(1, 2), ['ip -j route get 198.51.100.1']);
    assert.deepEqual(fake.calls.slice(LINK_UP.length + 1, LINK_UP.length + 3), [
      'ip route add 198.51.100.1/32 via 198.18.0.1 dev eth0 proto static',
      'ip route add 198.51.100.0/24 dev outpost0 proto static',
    ]);
    await config.restore();
    const other = new FakeSystem();
    await configurator(other).apply({ ...SPLIT, dns: undefined });
    assert.equal(other.calls.filter((c) => c.includes('route get')).length, 0);
  });

  test('a gateway that is a local address needs no host route', async () => {
    const fake = new FakeSystem().on(
      /^ip -j route get/,
      JSON.stringify([{ type: 'local', dst: '192.0.2.1', dev: 'lo', flags: [] }]),
    );
    await configurator(fake).apply({ ...FULL, dns: undefined });
    assert.equal(fake.calls.filter((c) => c.includes('192.0.2.1/32')).length, 0);
  });

  test('no route to the gateway fails the apply before it changes anything', async () => {
    const fake = new FakeSystem().on(/^ip -j route get/, { stderr: 'RTNETLINK answers: Network is unreachable' });
    const config = configurator(fake);
    await assert.rejects(config.apply(FULL), (e: unknown) => e instanceof OutpostError && e.code === 'network');
    assert.deepEqual(fake.calls, [LINK_QUERY, 'ip -j route get 192.0.2.1']);
    assert.equal(existsSync(journalPath()), false);
    assert.deepEqual(readFileSync(resolvConf), ORIGINAL_RESOLV);
  });

  test('a host route to the gateway that already exists is left alone, also on restore', async () => {
    const fake = new FakeSystem().on(/^ip route add 192\.0\.2\.1\/32/, {
      stderr: 'RTNETLINK answers: File exists',
    });
    const config = configurator(fake);
    await config.apply({ ...FULL, dns: undefined });
    await config.restore();
    assert.equal(fake.calls.filter((c) => c.startsWith('ip route del 192.0.2.1')).length, 0);
    fake.assertJournaledFirst();
  });

  test('a route in the way is replaced and put back exactly as it was', async () => {
    const lan = {
      dst: '198.51.100.0/24',
      dev: 'eth0',
      protocol: 'kernel',
      scope: 'link',
      prefsrc: '198.51.100.7',
      flags: [],
    };
    const fake = new FakeSystem()
      .on(/^ip route add 198\.51\.100\.0\/24 dev outpost0/, { stderr: 'RTNETLINK answers: File exists' })
      .on(
        /^ip -j route show table main exact 198\.51\.100\.0\/24$/,
        JSON.stringify([{ ...lan, dev: 'eth1', metric: 100 }, lan]),
      );
    const config = configurator(fake);
    await config.apply({ ...SPLIT, dns: undefined });
    assert.ok(fake.calls.includes('ip route replace 198.51.100.0/24 dev outpost0 proto static'));
    const applied = fake.calls.length;
    await config.restore();
    assert.deepEqual(fake.since(applied).slice(1, 3), [
      'ip route del 198.51.100.0/24 dev outpost0 proto static',
      'ip route add 198.51.100.0/24 dev eth0 proto kernel scope link src 198.51.100.7',
    ]);
    fake.assertJournaledFirst();
  });

  test('a command failing halfway undoes everything before it and reports an adapter error', async () => {
    const fake = new FakeSystem().on(/^ip route add 198\.18\.64\.0\/18/, {
      stderr: 'Error: Device for nexthop is not up.',
    });
    const config = configurator(fake);
    await assert.rejects(config.apply(SPLIT), (e: unknown) => {
      assert.ok(e instanceof OutpostError);
      assert.equal(e.code, 'adapter');
      assert.match(e.detail ?? '', /Device for nexthop is not up/);
      return true;
    });
    assert.deepEqual(fake.calls.slice(-5), [
      'ip route del 198.18.64.0/18 dev outpost0 proto static',
      'ip route del 198.51.100.0/24 dev outpost0 proto static',
      ...LINK_RESTORED,
    ]);
    assert.deepEqual(readFileSync(resolvConf), ORIGINAL_RESOLV);
    assert.equal(existsSync(journalPath()), false);
  });

  test('full tunnel with an IPv6 address: the address without DAD, IPv6 in two halves too; undone in reverse', async () => {
    const fake = new FakeSystem();
    const config = configurator(fake);
    await config.apply({ ...FULL_V6, dns: undefined });
    assert.deepEqual(fake.calls, [
      LINK_QUERY,
      'ip -j route get 192.0.2.1',
      ...ADDRESS_AND_LINK,
      'ip addr add 2001:db8:2::1/128 dev outpost0 nodad',
      'ip route add 192.0.2.1/32 via 198.18.0.1 dev eth0 proto static',
      'ip route add 0.0.0.0/1 dev outpost0 proto static',
      'ip route add 128.0.0.0/1 dev outpost0 proto static',
      'ip route add ::/1 dev outpost0 proto static',
      'ip route add 8000::/1 dev outpost0 proto static',
    ]);
    const applied = fake.calls.length;
    await config.restore();
    assert.deepEqual(fake.since(applied), [
      'ip route del 8000::/1 dev outpost0 proto static',
      'ip route del ::/1 dev outpost0 proto static',
      'ip route del 128.0.0.0/1 dev outpost0 proto static',
      'ip route del 0.0.0.0/1 dev outpost0 proto static',
      'ip route del 192.0.2.1/32 via 198.18.0.1 dev eth0 proto static',
      'ip addr del 2001:db8:2::1/128 dev outpost0',
      ...LINK_RESTORED,
    ]);
    fake.assertJournaledFirst();
  });

  test('full tunnel without an IPv6 address: IPv6 is unreachable while connected, and reachable again after', async () => {
    const fake = new FakeSystem();
    const config = configurator(fake);
    await config.apply({ ...FULL, dns: undefined });
    assert.deepEqual(fake.calls.slice(-2), [
      'ip route add unreachable ::/1 proto static',
      'ip route add unreachable 8000::/1 proto static',
    ]);
    assert.ok(!fake.calls.some((c) => c.includes('nodad')), 'no IPv6 address');
    const journal = readJournal(journalPath());
    assert.ok(typeof journal === 'object');
    assert.deepEqual(
      journal.changes.filter((c) => c.kind === 'unreachable'),
      [
        { kind: 'unreachable', dst: '::/1' },
        { kind: 'unreachable', dst: '8000::/1' },
      ],
    );
    const applied = fake.calls.length;
    await config.restore();
    assert.deepEqual(fake.since(applied).slice(0, 2), [
      'ip route del unreachable 8000::/1 proto static',
      'ip route del unreachable ::/1 proto static',
    ]);
    fake.assertJournaledFirst();
    // undo is idempotent: the routes already gone (a second recovery, say) are not an error
    const again = new FakeSystem().on(/^ip route del unreachable/, { stderr: 'RTNETLINK answers: No such process' });
    crashedJournal([
      { kind: 'unreachable', dst: '::/1' },
      { kind: 'unreachable', dst: '8000::/1' },
    ]);
    assert.equal(await recoverAfterCrash(stateDir, { run: again.run }), true);
    assert.deepEqual(again.calls, [
      'ip route del unreachable 8000::/1 proto static',
      'ip route del unreachable ::/1 proto static',
    ]);
    assert.equal(existsSync(journalPath()), false);
  });

  test('an IPv6 gateway keeps a host route past the IPv6 block, via its link-local next hop', async () => {
    const fake = new FakeSystem().on(
      /^ip -j route get 2001:db8:1::1$/,
      JSON.stringify([{ dst: '2001:db8:1::1', gateway: 'fe80::1', dev: 'eth0', flags: [] }]),
    );
    const config = configurator(fake);
    await config.apply({ ...FULL, gateway: '2001:db8:1::1', dns: undefined });
    assert.equal(fake.calls[1], 'ip -j route get 2001:db8:1::1');
    assert.deepEqual(fake.since(LINK_UP.length + 1), [
      'ip route add 2001:db8:1::1/128 via fe80::1 dev eth0 proto static',
      'ip route add 0.0.0.0/1 dev outpost0 proto static',
      'ip route add 128.0.0.0/1 dev outpost0 proto static',
      'ip route add unreachable ::/1 proto static',
      'ip route add unreachable 8000::/1 proto static',
    ]);
    await config.restore();
    assert.ok(fake.calls.includes('ip route del 2001:db8:1::1/128 via fe80::1 dev eth0 proto static'));
    fake.assertJournaledFirst();
  });

  test('split tunnel: IPv6 networks are routed into the adapter; one in the way is looked up as IPv6', async () => {
    const other = { dst: '2001:db8:5::/48', gateway: 'fe80::1', dev: 'eth0', protocol: 'ra', metric: 1024, flags: [] };
    const fake = new FakeSystem()
      .on(/^ip route add 2001:db8:5::\/48 dev outpost0/, { stderr: 'RTNETLINK answers: File exists' })
      .on(/^ip -j -6 route show table main exact 2001:db8:5::\/48$/, JSON.stringify([other]));
    const config = configurator(fake);
    await config.apply({
      ...SPLIT,
      address6: { address: '2001:db8:2::1', prefix: 128 },
      routes: ['198.51.100.0/24', '2001:db8:5::/48'],
      dns: undefined,
    });
    assert.deepEqual(fake.since(LINK_UP.length), [
      'ip addr add 2001:db8:2::1/128 dev outpost0 nodad',
      'ip route add 198.51.100.0/24 dev outpost0 proto static',
      'ip route add 2001:db8:5::/48 dev outpost0 proto static',
      'ip -j -6 route show table main exact 2001:db8:5::/48',
      'ip route replace 2001:db8:5::/48 dev outpost0 proto static',
    ]);
    const applied = fake.calls.length;
    await config.restore();
    assert.deepEqual(fake.since(applied).slice(0, 2), [
      'ip route del 2001:db8:5::/48 dev outpost0 proto static',
      'ip route add 2001:db8:5::/48 via fe80::1 dev eth0 proto ra metric 1024',
    ]);
    fake.assertJournaledFirst();
  });

  test('a plan with a malformed value runs nothing', async () => {
    for (const bad of [
      { dns: { servers: ['198.51.100.53'], domains: ['corp.example\nnameserver 192.0.2.66'] } },
      { dns: { servers: ['198.51.100.53 192.0.2.66'], domains: [] } },
      { routes: ['198.51.100.0/33'] },
      { routes: ['-198.51.100.0/24'] },
      { adapter: 'outpost0 ; rm' },
      { address: '203.0.113.256' },
      { prefix: 33 },
      { mtu: 40 },
      { gateway: 'vpn.example.com' },
      { address6: { address: '203.0.113.6', prefix: 128 } },
      { address6: { address: '2001:db8::1 nodad', prefix: 128 } },
      { address6: { address: '2001:db8::1', prefix: 129 } },
    ] satisfies Partial<NetworkPlan>[]) {
      const fake = new FakeSystem();
      await assert.rejects(configurator(fake).apply({ ...SPLIT, ...bad }), OutpostError, JSON.stringify(bad));
      assert.deepEqual(fake.calls, []);
    }
  });

  test('apply after apply restores the first plan before the second', async () => {
    const fake = new FakeSystem();
    const config = configurator(fake);
    await config.apply({ ...SPLIT, dns: undefined });
    const first = fake.calls.length;
    await config.apply({ ...SPLIT, routes: ['198.51.100.0/24'], dns: undefined });
    assert.deepEqual(fake.since(first).slice(0, 2), [
      'ip route del 198.18.64.0/18 dev outpost0 proto static',
      'ip route del 198.51.100.0/24 dev outpost0 proto static',
    ]);
    const journal = readJournal(journalPath());
    assert.ok(typeof journal === 'object');
    assert.equal(journal.changes.filter((c) => c.kind === 'route').length, 1);
  });

  test('apply and restore called together run one after the other', async () => {
    const fake = new FakeSystem();
    const config = configurator(fake);
    const applying = config.apply(SPLIT);
    const restoring = config.restore();
    await Promise.all([applying, restoring]);
    assert.equal(fake.calls.at(-1), 'ip addr del 203.0.113.5/32 dev outpost0');
    assert.deepEqual(readFileSync(resolvConf), ORIGINAL_RESOLV);
    assert.equal(existsSync(journalPath()), false);
  });

  test('restore without apply does nothing (the state directory need not exist)', async () => {
    const fake = new FakeSystem();
    await configurator(fake).restore();
    assert.deepEqual(fake.calls, []);
    assert.equal(existsSync(stateDir), false);
  });

  test('a second configurator on the same state directory is refused while the first holds it', async () => {
    const fake = new FakeSystem();
    const first = configurator(fake);
    await first.apply({ ...SPLIT, dns: undefined });
    await assert.rejects(
      configurator(fake).apply(SPLIT),
      (e: unknown) => e instanceof OutpostError && /already active/.test(e.message),
    );
    await first.restore();
  });
});

describe('DNS', () => {
  test('systemd-resolved per link: routing domain ~. in full tunnel, only the given domains in split (RFC 8598)', async () => {
    const fake = new FakeSystem().on(
      /^resolvectl default-route$/,
      'Global: no\nLink 2 (eth0): yes\nLink 3 (wlan0): yes\nLink 4 (docker0): no\nLink 9 (outpost0): no\n',
    );
    const full = configurator(fake, { dns: 'systemd-resolved' });
    await full.apply(FULL);
    assert.deepEqual(fake.calls.slice(-6), [
      'resolvectl dns outpost0 198.51.100.53 2001:db8::53',
      'resolvectl domain outpost0 ~. ~corp.example ~lab.corp.example',
      'resolvectl default-route outpost0 yes',
      'resolvectl default-route',
      // every name to the tunnel: the other links no longer take queries for any name
      'resolvectl default-route eth0 no',
      'resolvectl default-route wlan0 no',
    ]);
    const restoring = fake.calls.length;
    await full.restore();
    assert.deepEqual(
      fake.since(restoring).filter((c) => c.startsWith('resolvectl')),
      ['resolvectl default-route wlan0 yes', 'resolvectl default-route eth0 yes', 'resolvectl revert outpost0'],
    );
    fake.assertJournaledFirst();

    const split = new FakeSystem();
    const splitConfig = configurator(split, { dns: 'systemd-resolved' });
    assert.deepEqual(await splitConfig.apply(SPLIT), { notes: [] });
    // routing domains only: the tunnel's servers answer these names and nothing else, and complete no short names
    assert.equal(split.calls.at(-1), 'resolvectl domain outpost0 ~corp.example ~lab.corp.example');
    await splitConfig.restore();
    const noDomains = new FakeSystem();
    await configurator(noDomains, { dns: 'systemd-resolved' }).apply({
      ...SPLIT,
      dns: { servers: ['198.51.100.53'], domains: [] },
    });
    assert.equal(noDomains.calls.at(-1), 'resolvectl domain outpost0 ~.');
    assert.deepEqual(readFileSync(resolvConf), ORIGINAL_RESOLV, 'resolv.conf untouched');
  });

  test('a resolv.conf rewritten by someone else while connected is left as they wrote it', async () => {
    const fake = new FakeSystem();
    const config = configurator(fake);
    await config.apply(SPLIT);
    writeFileSync(resolvConf, 'nameserver 192.0.2.99\n');
    await config.restore();
    assert.equal(readFileSync(resolvConf, 'utf8'), 'nameserver 192.0.2.99\n');
  });

  test('split DNS without systemd-resolved: the file lists the domains to search, and a note says why', async () => {
    const config = configurator(new FakeSystem());
    const { notes } = await config.apply(SPLIT);
    assert.match(readFileSync(resolvConf, 'utf8'), /^search corp\.example lab\.corp\.example$/m);
    assert.deepEqual(notes, [
      'Split DNS for corp.example, lab.corp.example needs systemd-resolved; without it the tunnel’s DNS servers answer every name.',
    ]);
    await config.restore();
    assert.deepEqual(await config.apply(FULL), { notes: [] }, 'in full tunnel they answer every name anyway');
    await config.restore();
  });

  test('no resolv.conf before: created, then removed', async () => {
    rmSync(resolvConf);
    const config = configurator(new FakeSystem());
    await config.apply(SPLIT);
    assert.match(readFileSync(resolvConf, 'utf8'), /^nameserver 198\.51\.100\.53$/m);
    await config.restore();
    assert.equal(existsSync(resolvConf), false);
  });

  test('a symbolic link stays a link: the file it names is written in place and restored', async () => {
    const target = `${resolvConf}.target`;
    writeFileSync(target, ORIGINAL_RESOLV);
    rmSync(resolvConf);
    symlinkSync(target, resolvConf);
    const config = configurator(new FakeSystem());
    await config.apply(SPLIT);
    assert.ok(lstatSync(resolvConf).isSymbolicLink());
    assert.match(readFileSync(target, 'utf8'), /198\.51\.100\.53/);
    await config.restore();
    assert.equal(readlinkSync(resolvConf), target);
    assert.deepEqual(readFileSync(target), ORIGINAL_RESOLV);
  });

  test('auto: systemd-resolved only when it runs and resolv.conf goes through it', () => {
    const runDir = join(root, 'run-resolve');
    const conf = join(root, 'auto-resolv.conf');
    writeFileSync(conf, 'nameserver 127.0.0.53\noptions edns0 trust-ad\n');
    assert.equal(systemdResolvedManages(conf, runDir), false, 'not running');
    mkdirSync(runDir, { recursive: true });
    assert.equal(systemdResolvedManages(conf, runDir), true, 'stub listener');
    writeFileSync(conf, 'nameserver 127.0.0.53\nnameserver 192.0.2.53\n');
    assert.equal(systemdResolvedManages(conf, runDir), false, 'another server besides the stub');
    writeFileSync(conf, 'nameserver 198.51.100.53\n');
    assert.equal(systemdResolvedManages(conf, runDir), false, 'a namespace or static file');
    writeFileSync(join(runDir, 'resolv.conf'), 'nameserver 198.51.100.53\n');
    rmSync(conf);
    symlinkSync(join(runDir, 'resolv.conf'), conf);
    assert.equal(systemdResolvedManages(conf, runDir), true, 'linked to resolved’s upstream file');
  });
});

describe('recoverAfterCrash', () => {
  const written = Buffer.from('nameserver 198.51.100.53\n');
  const CRASHED: Change[] = [
    { kind: 'address', dev: 'outpost0', cidr: '203.0.113.5/32' },
    { kind: 'link', dev: 'outpost0', mtu: 1500, up: false, addrGenMode: 'eui64' },
    { kind: 'route', dst: '192.0.2.1/32', dev: 'eth0', via: '198.18.0.1' },
    { kind: 'route', dst: '0.0.0.0/1', dev: 'outpost0' },
    { kind: 'route', dst: '128.0.0.0/1', dev: 'outpost0' },
  ];

  test('undoes routes, addresses and DNS a killed run left, newest first; then there is nothing left', async () => {
    const resolvChange: Change = {
      kind: 'resolv-conf',
      path: resolvConf,
      original: ORIGINAL_RESOLV.toString('base64'),
      written: written.toString('base64'),
    };
    crashedJournal([...CRASHED, resolvChange]);
    writeFileSync(resolvConf, written);
    // the TUN device went with the process: everything on it is already gone
    const fake = new FakeSystem()
      .on(/dev outpost0/, { stderr: 'Cannot find device "outpost0"' })
      .on(/^ip route del 0\.0\.0\.0\/1/, { stderr: 'RTNETLINK answers: No such process' });
    assert.equal(await recoverAfterCrash(stateDir, { run: fake.run }), true);
    assert.deepEqual(fake.calls, [
      'ip route del 128.0.0.0/1 dev outpost0 proto static',
      'ip route del 0.0.0.0/1 dev outpost0 proto static',
      'ip route del 192.0.2.1/32 via 198.18.0.1 dev eth0 proto static',
      'ip link set dev outpost0 mtu 1500 down',
      'ip link set dev outpost0 addrgenmode eui64',
      'ip addr del 203.0.113.5/32 dev outpost0',
    ]);
    assert.deepEqual(readFileSync(resolvConf), ORIGINAL_RESOLV);
    assert.equal(existsSync(journalPath()), false);
    assert.equal(await recoverAfterCrash(stateDir, { run: fake.run }), false);
    assert.equal(fake.calls.length, 6);
  });

  test('a journal from before a reboot is recovered too', async () => {
    writeJournal(journalPath(), { ...currentProcess(), bootId: 'an-earlier-boot' }, CRASHED);
    const fake = new FakeSystem();
    assert.equal(await recoverAfterCrash(stateDir, { run: fake.run }), true);
    assert.equal(fake.calls.length, 6);
  });

  test('a journal whose process still runs is not touched, and blocks a new apply', async () => {
    const child = spawn('sleep', ['30'], { stdio: 'ignore' });
    try {
      await new Promise((resolve) => child.once('spawn', resolve));
      writeJournal(journalPath(), processIdentity(child.pid!)!, CRASHED);
      const fake = new FakeSystem();
      assert.equal(await recoverAfterCrash(stateDir, { run: fake.run }), false);
      await assert.rejects(configurator(fake).apply(SPLIT), /already active/);
      assert.deepEqual(fake.calls, []);
      assert.ok(existsSync(journalPath()));
    } finally {
      child.kill('SIGKILL');
    }
  });

  test('a journal held by a configurator of this process is not recovered under it', async () => {
    const fake = new FakeSystem();
    const config = configurator(fake);
    await config.apply(SPLIT);
    const applied = fake.calls.length;
    assert.equal(await recoverAfterCrash(stateDir, { run: fake.run }), false);
    assert.equal(fake.calls.length, applied);
    await config.restore();
  });

  test('apply recovers a crashed run first', async () => {
    crashedJournal(CRASHED);
    const fake = new FakeSystem();
    await configurator(fake).apply({ ...SPLIT, dns: undefined });
    assert.equal(fake.calls[0], 'ip route del 128.0.0.0/1 dev outpost0 proto static');
    assert.deepEqual(fake.calls.slice(6, 8), [LINK_QUERY, 'ip addr add 203.0.113.5/32 dev outpost0']);
  });

  test('an unreadable journal is set aside for a person to read, not acted on', async () => {
    mkdirSync(stateDir, { recursive: true });
    writeFileSync(journalPath(), '{"version":1,"owner":{"pid":');
    const fake = new FakeSystem();
    assert.equal(await recoverAfterCrash(stateDir, { run: fake.run }), false);
    assert.deepEqual(fake.calls, []);
    assert.equal(existsSync(journalPath()), false);
  });
});
