import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import type { Change } from './changes.js';
import {
  currentProcess,
  isRunning,
  processIdentity,
  readJournal,
  removeJournal,
  setAsideJournal,
  writeJournal,
} from './journal.js';

const dir = mkdtempSync(join(tmpdir(), 'outpost-journal-test-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const CHANGES: Change[] = [
  { kind: 'address', dev: 'outpost0', cidr: '203.0.113.5/32' },
  { kind: 'link', dev: 'outpost0', mtu: 1500, up: false, addrGenMode: 'eui64' },
  { kind: 'route', dst: '192.0.2.1/32', dev: 'eth0', via: '198.18.0.1' },
  {
    kind: 'route',
    dst: '0.0.0.0/1',
    dev: 'outpost0',
    displaced: { dst: '0.0.0.0/1', dev: 'tun9', protocol: 'static', scope: 'link' },
  },
  { kind: 'resolv-conf', path: '/etc/resolv.conf', original: null, written: 'bmFtZXNlcnZlciAxOTguNTEuMTAwLjUzCg==' },
  { kind: 'resolved', link: 'outpost0' },
  { kind: 'nft-table', family: 'inet', name: 'outpost_guard' },
];

describe('journal file', () => {
  test('round trip, private permissions, no temporary file left', () => {
    const path = join(dir, 'state', 'network.json');
    writeJournal(path, currentProcess(), CHANGES);
    assert.deepEqual(readJournal(path), { owner: currentProcess(), changes: CHANGES });
    assert.equal(statSync(path).mode & 0o777, 0o600);
    assert.deepEqual(readdirSync(join(dir, 'state')), ['network.json']);
    removeJournal(path);
    assert.equal(readJournal(path), 'missing');
    removeJournal(path); // idempotent
  });

  test('anything but a journal we wrote is unreadable, and can be set aside', () => {
    const path = join(dir, 'bad.json');
    const owner = currentProcess();
    for (const text of [
      '{"version":1,"owner":',
      '[]',
      JSON.stringify({ version: 2, owner, changes: [] }),
      JSON.stringify({ version: 1, owner: { pid: '1' }, changes: [] }),
      JSON.stringify({ version: 1, owner, changes: [{ kind: 'firewall' }] }),
      JSON.stringify({ version: 1, owner, changes: [{ kind: 'route', dst: '0.0.0.0/1' }] }),
      JSON.stringify({ version: 1, owner, changes: [{ kind: 'link', dev: 'x', mtu: '1500', up: false }] }),
      JSON.stringify({ version: 1, owner, changes: [{ kind: 'nft-table', family: 'ip', name: 'outpost_guard' }] }),
      JSON.stringify({ version: 1, owner, changes: [{ kind: 'nft-table', family: 'inet', name: 'x\nflush ruleset' }] }),
      JSON.stringify({ version: 1, owner, changes: [{ kind: 'route', dst: 'a', dev: 'b', displaced: { dev: 'c' } }] }),
    ]) {
      writeFileSync(path, text);
      assert.equal(readJournal(path), 'unreadable', text);
    }
    const aside = setAsideJournal(path);
    assert.equal(readJournal(path), 'missing');
    assert.match(readFileSync(aside, 'utf8'), /displaced/);
  });
});

describe('isRunning', () => {
  test('this process runs', () => {
    assert.equal(isRunning(currentProcess()), true);
  });

  test('an exited process, another boot, or a reused PID does not', () => {
    const exited = spawnSync('true');
    assert.equal(isRunning({ ...currentProcess(), pid: exited.pid! }), false);
    assert.equal(isRunning({ ...currentProcess(), bootId: '00000000-0000-0000-0000-000000000000' }), false);
    // same PID, different start time: the PID was reused by a process started later
    assert.equal(isRunning({ ...currentProcess(), startTime: '1' }), false);
  });

  test('another live process runs until it exits', async () => {
    const child = spawn('sleep', ['30'], { stdio: 'ignore' });
    await new Promise((resolve) => child.once('spawn', resolve));
    const identity = processIdentity(child.pid!);
    assert.ok(identity);
    assert.equal(isRunning(identity), true);
    child.kill('SIGKILL');
    await new Promise((resolve) => child.once('exit', resolve));
    assert.equal(isRunning(identity), false);
  });

  test('a zombie (killed, not yet reaped) cannot clean up any more, so it does not count', async () => {
    // `sleep 0` exits at once; its parent never waits for it, so it stays a zombie while the parent sleeps
    const parent = spawn('sh', ['-c', 'sleep 0 & echo $!; exec sleep 30'], { stdio: ['ignore', 'pipe', 'ignore'] });
    const pid = Number(
      await new Promise<string>((resolve) => parent.stdout.once('data', (d: Buffer) => resolve(`${d}`))),
    );
    try {
      let identity = processIdentity(pid);
      for (let i = 0; i < 50 && identity && !readFileSync(`/proc/${pid}/stat`, 'utf8').includes(') Z '); i++) {
        await new Promise((resolve) => setTimeout(resolve, 20));
        identity = processIdentity(pid);
      }
      assert.ok(identity, 'the zombie still has a /proc entry');
      assert.match(readFileSync(`/proc/${pid}/stat`, 'utf8'), /\) Z /);
      assert.equal(isRunning(identity), false);
    } finally {
      parent.kill('SIGKILL');
    }
  });
});
