import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { LogBuffer, REDACTED } from './log-buffer.js';
import { LOG_FILE_NAME, RotatingLogFile } from './log-file.js';

const dir = mkdtempSync(join(tmpdir(), 'outpost-log-file-'));
after(() => rmSync(dir, { recursive: true, force: true }));

test('lines go to outpost.log in order, private to the user, and read back oldest first', async () => {
  const logs = join(dir, 'order');
  const file = new RotatingLogFile(logs);
  for (let i = 0; i < 50; i++) file.append(`line ${i}`);
  await file.flush();
  assert.equal(statSync(join(logs, LOG_FILE_NAME)).mode & 0o777, 0o600);
  assert.equal(statSync(logs).mode & 0o777, 0o700);
  const text = await file.read();
  assert.deepEqual(
    text.trim().split('\n'),
    Array.from({ length: 50 }, (_, i) => `line ${i}`),
  );
});

test('rotation: no file passes the size, at most N old files are kept, the newest lines survive', async () => {
  const logs = join(dir, 'rotate');
  const file = new RotatingLogFile(logs, { maxBytes: 100, keep: 2 });
  // 10-byte lines: 10 per file, 3 files kept, 100 lines written
  for (let i = 0; i < 100; i++) file.append(`line ${String(i).padStart(4, '0')}`);
  await file.flush();
  for (const name of [LOG_FILE_NAME, `${LOG_FILE_NAME}.1`, `${LOG_FILE_NAME}.2`]) {
    assert.ok(statSync(join(logs, name)).size <= 100, name);
  }
  assert.equal(existsSync(join(logs, `${LOG_FILE_NAME}.3`)), false);
  const lines = (await file.read()).trim().split('\n');
  assert.equal(lines.length, 30);
  assert.equal(lines.at(-1), 'line 0099');
  assert.equal(lines[0], 'line 0070');
  // a new process continues the same file and its size
  const again = new RotatingLogFile(logs, { maxBytes: 100, keep: 2 });
  again.append('line 0100');
  await again.flush();
  assert.equal((await again.read()).trim().split('\n').at(-1), 'line 0100');
  assert.ok(statSync(join(logs, LOG_FILE_NAME)).size <= 100);
});

test('the file receives only redacted lines: a password, a PSK or a TOTP secret never reaches the disk', async () => {
  const logs = join(dir, 'redact');
  const file = new RotatingLogFile(logs);
  const buffer = new LogBuffer();
  buffer.onLine((line) => file.append(line));
  buffer.addSecret('hunter2!x');
  buffer.addSecret('psk-Tr0ub4dor&3');
  buffer.log('password hunter2!x was refused');
  buffer.log('psk psk-Tr0ub4dor&3 mismatch', 'warn');
  buffer.log('enrolled otpauth://totp/ACME:alice?secret=JBSWY3DPEHPK3PXP&issuer=ACME');
  await file.flush();
  const disk = readFileSync(join(logs, LOG_FILE_NAME), 'utf8');
  for (const secret of ['hunter2!x', 'psk-Tr0ub4dor&3', 'JBSWY3DPEHPK3PXP']) assert.ok(!disk.includes(secret), secret);
  assert.equal(disk.split(REDACTED).length - 1, 3);
  assert.equal(buffer.problems().length, 1, 'the warning is a problem line');
});

test('a folder that cannot be written is reported by flush, and the app goes on', async () => {
  const blocked = join(dir, 'blocked');
  const file = new RotatingLogFile(join(blocked, '\0bad'));
  file.append('x');
  await assert.rejects(file.flush());
  await file.flush();
});
