// The kill switch against a scripted `nft` (no root): the exact ruleset, one transaction per change, the journal
// written before every command that makes a table, disable, refused policies, and recovery. The real kernel side is
// in test/interop/kill-switch.test.ts.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, beforeEach, describe, test } from 'node:test';
import { OutpostError } from '../../errors.js';
import type { KillSwitchPolicy } from '../types.js';
import type { Change } from './changes.js';
import { CommandFailed, type CommandRunner } from './commands.js';
import { recoverAfterCrash } from './configure.js';
import { currentProcess, processIdentity, readJournal, writeJournal } from './journal.js';
import { KILL_SWITCH_TABLE, LinuxKillSwitch, recoverKillSwitch } from './kill-switch.js';

const root = mkdtempSync(join(tmpdir(), 'outpost-kill-switch-test-'));
after(() => rmSync(root, { recursive: true, force: true }));
let caseNo = 0;
let stateDir: string;
beforeEach(() => {
  stateDir = join(root, `case-${++caseNo}`);
});
const journalPath = () => join(stateDir, 'kill-switch.json');

const V4: KillSwitchPolicy = { gateway: '192.0.2.1', ports: [4500, 500] };
const V6: KillSwitchPolicy = { gateway: '2001:DB8:0:0::1', ports: [4500] };

const RULESET_V4 = `add table inet outpost_guard
delete table inet outpost_guard
table inet outpost_guard {
\tchain output {
\t\ttype filter hook output priority filter; policy drop;
\t\toif "lo" accept
\t\toifname "outpost*" accept
\t\tip daddr 192.0.2.1 udp dport { 500, 4500 } accept
\t\tmeta nfproto ipv4 udp sport 68 udp dport 67 accept
\t\tmeta nfproto ipv6 udp sport 546 udp dport 547 accept
\t\ticmpv6 type { nd-router-solicit, nd-neighbor-solicit, nd-neighbor-advert } ip6 hoplimit 255 accept
\t\ticmpv6 type { mld-listener-report, mld2-listener-report } ip6 hoplimit 1 accept
\t}
}
`;
const REMOVAL = 'add table inet outpost_guard\ndelete table inet outpost_guard\n';
const ENABLE = `nft -f - <<${RULESET_V4}`;
const DISABLE = `nft -f - <<${REMOVAL}`;

/** `nft` as a script: every call with its input, failures on demand, and the journal checked at each call. */
class FakeNft {
  readonly calls: string[] = [];
  private readonly failures: [RegExp, string][] = [];

  failOn(pattern: RegExp, stderr: string): this {
    this.failures.unshift([pattern, stderr]);
    return this;
  }

  readonly run: CommandRunner = async (program, args, input) => {
    const line = `${[program, ...args].join(' ')} <<${input ?? ''}`;
    this.calls.push(line);
    if (/^table inet outpost_guard \{$/m.test(input ?? '')) {
      // the invariant: a table is never made that a crash right now would leave unjournaled
      const journal = readJournal(journalPath());
      assert.ok(
        typeof journal === 'object' &&
          journal.changes.some((c) => c.kind === 'nft-table' && c.name === 'outpost_guard'),
        `not journaled before: ${line}`,
      );
    }
    const failure = this.failures.find(([pattern]) => pattern.test(line));
    if (failure) throw new CommandFailed(program, args, failure[1]);
    return '';
  };
}

const killSwitch = (fake: FakeNft) => new LinuxKillSwitch({ stateDir, run: fake.run });

const isAdapterError = (pattern: RegExp) => (e: unknown) => {
  assert.ok(e instanceof OutpostError);
  assert.equal(e.code, 'adapter');
  assert.match(`${e.message} ${e.detail}`, pattern);
  return true;
};

/** A journal as a process that is gone now would have left it. */
function crashedJournal(changes: Change[]): void {
  const exited = spawnSync('true');
  writeJournal(journalPath(), { ...currentProcess(), pid: exited.pid!, startTime: '1' }, changes);
}

describe('LinuxKillSwitch', () => {
  test('IPv4 gateway: one nft transaction with exactly the allowed traffic; disable removes the table', async () => {
    const fake = new FakeNft();
    const ks = killSwitch(fake);
    await ks.enable(V4);
    assert.deepEqual(fake.calls, [ENABLE]);
    const journal = readJournal(journalPath());
    assert.ok(typeof journal === 'object');
    assert.deepEqual(journal.owner, currentProcess());
    assert.deepEqual(journal.changes, [KILL_SWITCH_TABLE]);
    await ks.disable();
    assert.deepEqual(fake.calls, [ENABLE, DISABLE]);
    assert.equal(existsSync(journalPath()), false);
  });

  test('IPv6 gateway: an ip6 rule with the address in canonical form; an IPv4-mapped one is IPv4', async () => {
    const fake = new FakeNft();
    const ks = killSwitch(fake);
    await ks.enable(V6);
    assert.equal(
      fake.calls[0],
      ENABLE.replace('ip daddr 192.0.2.1 udp dport { 500, 4500 }', 'ip6 daddr 2001:db8::1 udp dport { 4500 }'),
    );
    await ks.enable({ gateway: '::ffff:192.0.2.1', ports: [500, 4500, 500] });
    assert.equal(fake.calls[1], ENABLE);
  });

  test('enable again replaces the table in one transaction, never lifting it in between', async () => {
    const fake = new FakeNft();
    const ks = killSwitch(fake);
    await ks.enable(V4);
    await ks.enable({ gateway: '198.51.100.7', ports: [10500] });
    assert.equal(fake.calls.length, 2);
    assert.ok(fake.calls[1]!.startsWith(`nft -f - <<${REMOVAL}table inet outpost_guard {\n`));
    assert.match(fake.calls[1]!, /\tip daddr 198\.51\.100\.7 udp dport \{ 10500 \} accept\n/);
    assert.doesNotMatch(fake.calls[1]!, /192\.0\.2\.1/);
  });

  test('disable is idempotent, and does nothing when it was never on', async () => {
    const fake = new FakeNft();
    await killSwitch(fake).disable();
    assert.deepEqual(fake.calls, []);
    const ks = killSwitch(fake);
    await ks.enable(V4);
    await ks.disable();
    await ks.disable();
    assert.deepEqual(fake.calls, [ENABLE, DISABLE]);
  });

  test('disable also removes a table a killed process left', async () => {
    crashedJournal([KILL_SWITCH_TABLE]);
    const fake = new FakeNft();
    await killSwitch(fake).disable();
    assert.deepEqual(fake.calls, [DISABLE]);
    assert.equal(existsSync(journalPath()), false);
  });

  test('enable and disable called together run one after the other', async () => {
    const fake = new FakeNft();
    const ks = killSwitch(fake);
    await Promise.all([ks.enable(V4), ks.disable(), ks.enable(V4)]);
    assert.deepEqual(fake.calls, [ENABLE, DISABLE, ENABLE]);
  });

  test('a policy that is not an address and one to four ports is refused before anything runs', async () => {
    for (const bad of [
      { gateway: 'vpn.example.com' },
      { gateway: '192.0.2.256' },
      { gateway: '192.0.2.1 udp dport 53 accept' },
      { gateway: '' },
      { ports: [] },
      { ports: [0] },
      { ports: [65536] },
      { ports: [4500.5] },
      { ports: [500, 4500, 4501, 4502, 4503] },
      { ports: ['500'] as unknown as number[] },
    ]) {
      const fake = new FakeNft();
      await assert.rejects(killSwitch(fake).enable({ ...V4, ...bad }), isAdapterError(/invalid kill switch policy/));
      assert.deepEqual(fake.calls, [], JSON.stringify(bad));
      assert.equal(existsSync(journalPath()), false);
    }
  });

  test('nft failing to turn it on leaves no journal; failing to replace keeps the policy in force', async () => {
    const fake = new FakeNft().failOn(/192\.0\.2\.1/, 'Error: Could not process rule: No such file or directory');
    const ks = killSwitch(fake);
    await assert.rejects(ks.enable(V4), isAdapterError(/could not be turned on.*No such file/));
    assert.equal(existsSync(journalPath()), false, 'one transaction: nothing was made');

    await ks.enable({ ...V4, gateway: '192.0.2.9' });
    await assert.rejects(ks.enable(V4), OutpostError);
    assert.ok(existsSync(journalPath()), 'the first table is still on');
    await ks.disable();
    assert.equal(fake.calls.at(-1), DISABLE);
    assert.equal(existsSync(journalPath()), false);
  });

  test('nft failing to turn it off keeps it on and journaled; disable can be tried again', async () => {
    const fake = new FakeNft().failOn(/^nft -f - <<add table[^{]*$/, 'Error: Operation not permitted');
    const ks = killSwitch(fake);
    await ks.enable(V4);
    await assert.rejects(ks.disable(), isAdapterError(/could not be turned off.*not permitted/));
    assert.ok(existsSync(journalPath()));
    assert.equal(await recoverKillSwitch(stateDir, { run: fake.run }), false, 'still held by this process');
    const retry = new FakeNft();
    await new LinuxKillSwitch({ stateDir, run: retry.run }).disable();
    assert.deepEqual(retry.calls, [], 'another instance does not own it');
  });

  test('another live process holding the kill switch is refused', async () => {
    const child = spawn('sleep', ['30'], { stdio: 'ignore' });
    try {
      await new Promise((resolve) => child.once('spawn', resolve));
      writeJournal(journalPath(), processIdentity(child.pid!)!, [KILL_SWITCH_TABLE]);
      const fake = new FakeNft();
      await assert.rejects(killSwitch(fake).enable(V4), isAdapterError(/Another Outpost process/));
      assert.equal(await recoverKillSwitch(stateDir, { run: fake.run }), false);
      assert.deepEqual(fake.calls, []);
    } finally {
      child.kill('SIGKILL');
    }
  });
});

describe('recoverKillSwitch', () => {
  test('removes a table a killed process left, once', async () => {
    crashedJournal([KILL_SWITCH_TABLE]);
    const fake = new FakeNft();
    assert.equal(await recoverKillSwitch(stateDir, { run: fake.run }), true);
    assert.deepEqual(fake.calls, [DISABLE]);
    assert.equal(existsSync(journalPath()), false);
    assert.equal(await recoverKillSwitch(stateDir, { run: fake.run }), false);
    assert.equal(fake.calls.length, 1);
  });

  test('a removal nft refuses keeps the journal for the next try', async () => {
    crashedJournal([KILL_SWITCH_TABLE]);
    const fake = new FakeNft().failOn(/delete table/, 'Error: Operation not permitted');
    await assert.rejects(recoverKillSwitch(stateDir, { run: fake.run }), CommandFailed);
    assert.ok(existsSync(journalPath()));
  });

  test('enable takes over a table a killed process left without lifting it first', async () => {
    crashedJournal([KILL_SWITCH_TABLE]);
    const fake = new FakeNft().failOn(/192\.0\.2\.1/, 'Error: out of memory');
    const ks = killSwitch(fake);
    await assert.rejects(ks.enable(V4), OutpostError);
    assert.deepEqual(fake.calls, [ENABLE], 'no removal before the replacement');
    assert.ok(existsSync(journalPath()), 'the old table may still be there: recovery removes it');
    assert.equal(await recoverKillSwitch(stateDir, { run: fake.run }), true);
    assert.equal(fake.calls.at(-1), DISABLE);
  });

  test('an unreadable journal is set aside; recovering the network plan never lifts the kill switch', async () => {
    mkdirSync(stateDir, { recursive: true });
    writeFileSync(journalPath(), '{"version":1,');
    const fake = new FakeNft();
    assert.equal(await recoverKillSwitch(stateDir, { run: fake.run }), false);
    assert.equal(existsSync(journalPath()), false);
    crashedJournal([KILL_SWITCH_TABLE]);
    assert.equal(await recoverAfterCrash(stateDir, { run: fake.run }), false);
    assert.deepEqual(fake.calls, []);
    assert.ok(existsSync(journalPath()));
  });
});
