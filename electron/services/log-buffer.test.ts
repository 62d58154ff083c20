import assert from 'node:assert/strict';
import { test } from 'node:test';
import { LogBuffer, REDACTED } from './log-buffer.js';

const clock = () => Date.UTC(2026, 10, 27, 1, 2, 3);

test('known secrets are removed from every line, also ones logged before the secret was known', () => {
  const logs = new LogBuffer(100, clock);
  logs.log('user typed hunter2!x into the wrong box');
  logs.addSecret('hunter2!x');
  logs.addSecret('s3cr(e)t.psk');
  logs.log('psk is s3cr(e)t.psk and again s3cr(e)t.psk');
  const out = logs.export();
  assert.ok(!out.includes('hunter2!x'));
  assert.ok(!out.includes('s3cr(e)t.psk'));
  assert.equal(
    out,
    `2026-11-27T01:02:03.000Z user typed ${REDACTED} into the wrong box\n2026-11-27T01:02:03.000Z psk is ${REDACTED} and again ${REDACTED}\n`,
  );
});

test('secret= query parameters and base32 blobs are redacted without being told', () => {
  const logs = new LogBuffer(100, clock);
  logs.log('enrolling otpauth://totp/ACME:alice?secret=jbswy3dpehpk3pxp&issuer=ACME');
  logs.log('stored JBSWY3DPEHPK3PXPJBSWY3DP in the keychain');
  logs.log('IKE AES_GCM_16_256/PRF_HMAC_SHA2_256 to vpn.example.com 192.0.2.1');
  const lines = logs.export().trim().split('\n');
  assert.equal(lines[0], `2026-11-27T01:02:03.000Z enrolling otpauth://totp/ACME:alice?secret=${REDACTED}&issuer=ACME`);
  assert.equal(lines[1], `2026-11-27T01:02:03.000Z stored ${REDACTED} in the keychain`);
  // ordinary protocol text survives
  assert.equal(lines[2], '2026-11-27T01:02:03.000Z IKE AES_GCM_16_256/PRF_HMAC_SHA2_256 to vpn.example.com 192.0.2.1');
});

test('very short secrets are not searched for (they would blank ordinary words)', () => {
  const logs = new LogBuffer(100, clock);
  logs.addSecret('ab');
  logs.log('about abc');
  assert.ok(logs.export().includes('about abc'));
});

test('the buffer keeps only the newest lines', () => {
  const logs = new LogBuffer(3, clock);
  for (let i = 1; i <= 5; i++) logs.log(`line ${i}`);
  assert.deepEqual(
    logs
      .export()
      .trim()
      .split('\n')
      .map((l) => l.slice(25)),
    ['line 3', 'line 4', 'line 5'],
  );
  assert.equal(new LogBuffer(3, clock).export(), '');
});

/** The message of each kept line (the word after the time stamp). */
const kept = (logs: LogBuffer) =>
  logs
    .export()
    .split('\n')
    .filter(Boolean)
    .map((line) => line.split(' ')[1]);

test('the level (from IT’s policy) decides which lines are kept; info by default', () => {
  const logs = new LogBuffer(100, clock);
  logs.log('detail', 'debug');
  logs.log('normal');
  logs.log('careful', 'warn');
  assert.deepEqual(kept(logs), ['normal', 'careful']);
  logs.setLevel('debug');
  logs.log('detail', 'debug');
  logs.setLevel('error');
  logs.log('normal');
  logs.log('broken', 'error');
  assert.deepEqual(kept(logs), ['normal', 'careful', 'detail', 'broken']);
});
