import assert from 'node:assert/strict';
import { test } from 'node:test';
import { OutpostError } from '../errors.js';
import { MAX_REDIRECTS, Redirects } from './redirects.js';

test('each redirect names the next gateway; the sixth in one connect is a loop, and a new connect counts afresh', () => {
  const redirects = new Redirects();
  for (let n = 1; n <= MAX_REDIRECTS; n++) {
    const to = `192.0.2.${10 + n}`;
    assert.deepEqual(redirects.follow(to, '192.0.2.1', n), {
      progress: `The gateway 192.0.2.1 redirected this connection to ${to} (${n} of at most 5).`,
    });
    assert.deepEqual(redirects.target, { to, from: '192.0.2.1' });
  }
  const loop = redirects.follow('192.0.2.99', '192.0.2.15', 10);
  assert.ok('error' in loop && loop.error instanceof OutpostError);
  assert.equal(loop.error.code, 'redirect-loop');
  assert.equal(redirects.target, undefined, 'back to the profile’s gateway');
  redirects.reset();
  assert.ok('progress' in redirects.follow('192.0.2.11', '192.0.2.1', 20));
});

test('up for a minute before a redirect: a maintenance move, the count starts again; a shorter stay counts on', () => {
  const redirects = new Redirects();
  for (let n = 0; n < MAX_REDIRECTS; n++) redirects.follow('192.0.2.11', '192.0.2.1', n);
  redirects.up(1000);
  assert.ok('progress' in redirects.follow('192.0.2.12', '192.0.2.11', 61_000));
  redirects.up(62_000);
  for (let n = 0; n < MAX_REDIRECTS - 1; n++)
    assert.ok('progress' in redirects.follow('192.0.2.12', '192.0.2.11', 62_001));
  redirects.up(70_000);
  assert.ok('error' in redirects.follow('192.0.2.13', '192.0.2.12', 75_000), 'up 5 s only: still a loop');
});

test('an attempt that fails for another reason goes back to the profile’s gateway', () => {
  const redirects = new Redirects();
  redirects.follow('gw2.example.test', '192.0.2.1', 0);
  redirects.failed();
  assert.equal(redirects.target, undefined);
});
