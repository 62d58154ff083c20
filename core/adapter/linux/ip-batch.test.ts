import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { CommandFailed, type CommandRunner } from './commands.js';
import { failedBatchLine, ipBatchScript, runIpBatch } from './ip-batch.js';

describe('ip batch', () => {
  test('one command a line, words joined by a space', () => {
    assert.equal(
      ipBatchScript([
        ['addr', 'add', '203.0.113.5/32', 'dev', 'outpost0'],
        ['route', 'add', 'unreachable', '::/1', 'proto', 'static'],
      ]),
      'addr add 203.0.113.5/32 dev outpost0\nroute add unreachable ::/1 proto static\n',
    );
  });

  test('an argument that is not one plain word is refused, not quoted', () => {
    for (const bad of ['a b', 'a\nroute flush all', '"x"', "it's", 'a\\b', '#x', '']) {
      assert.throws(() => ipBatchScript([['link', 'set', 'dev', bad]]), /not an ip batch word/);
    }
  });

  test('the failing line from "Command failed -:N", 0-based, within the script', () => {
    assert.equal(failedBatchLine('RTNETLINK answers: File exists\nCommand failed -:3\n', 4), 2);
    assert.equal(failedBatchLine('Command failed -:1', 1), 0);
    assert.equal(failedBatchLine('Command failed -:5', 4), undefined);
    assert.equal(failedBatchLine('Command failed -:0', 4), undefined);
    assert.equal(failedBatchLine('ip: command not found', 4), undefined);
  });

  test('runs ip -batch - with the script on stdin; a failure names the line and its command', async () => {
    const seen: [string, readonly string[], string | undefined][] = [];
    const failing: CommandRunner = async (program, args, input) => {
      seen.push([program, args, input]);
      throw new CommandFailed(program, args, 'Error: ipv4: Address already assigned.\nCommand failed -:2\n');
    };
    const outcome = await runIpBatch(failing, [
      ['link', 'set', 'dev', 'outpost0', 'up'],
      ['addr', 'add', '192.0.2.5/24', 'dev', 'outpost0'],
    ]);
    assert.deepEqual(seen, [['ip', ['-batch', '-'], 'link set dev outpost0 up\naddr add 192.0.2.5/24 dev outpost0\n']]);
    assert.ok(!outcome.ok);
    assert.equal(outcome.line, 1);
    assert.deepEqual(outcome.error.args, ['addr', 'add', '192.0.2.5/24', 'dev', 'outpost0']);
    assert.match(outcome.error.message, /^ip addr add 192\.0\.2\.5\/24 dev outpost0: Error: ipv4/);
    assert.ok(outcome.error.alreadyExists, "the kernel's own words for EEXIST on an address");
  });

  test('nothing to do runs nothing; an error that is not a command failure is thrown', async () => {
    let runs = 0;
    const counting: CommandRunner = async () => {
      runs += 1;
      throw new Error('spawn EAGAIN');
    };
    assert.deepEqual(await runIpBatch(counting, []), { ok: true });
    assert.equal(runs, 0);
    await assert.rejects(runIpBatch(counting, [['link', 'show']]), /EAGAIN/);
  });
});
