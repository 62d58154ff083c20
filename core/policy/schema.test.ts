import assert from 'node:assert/strict';
import { test } from 'node:test';
import { AUTH_METHODS } from '../profile/types.js';
import { DEFAULT_POLICY, parsePolicy } from './schema.js';
import { FULL_POLICY } from './testdata/full-policy.js';

test('no keys: the defaults, which allow everything, force nothing and check no updates', () => {
  const { policy, warnings } = parsePolicy({}, 'test');
  assert.deepEqual(policy, DEFAULT_POLICY);
  assert.deepEqual(warnings, []);
  assert.equal(policy.updates, 'off');
  assert.deepEqual(policy.allowedAuthMethods, AUTH_METHODS);
});

test('every key of a complete policy is read', () => {
  const { policy, warnings } = parsePolicy(structuredClone(FULL_POLICY), 'test');
  assert.deepEqual(warnings, []);
  assert.deepEqual(policy, FULL_POLICY);
});

test('registry and plist integers 0/1 are booleans; other numbers are not', () => {
  const { policy, warnings } = parsePolicy({ killSwitch: 1, alwaysOn: 0, allowUserProfiles: 2 }, 'test');
  assert.equal(policy.killSwitch, true);
  assert.equal(policy.alwaysOn, false);
  assert.equal(policy.allowUserProfiles, true);
  assert.equal(warnings.length, 1);
  assert.match(warnings[0]!.message, /"allowUserProfiles" must be true or false, not 2; it is ignored/);
});

test('a wrong type or an unknown key is ignored with a warning and the rest of IT’s policy still applies', () => {
  const { policy, warnings } = parsePolicy(
    { killSwitch: true, logLevel: 'verbose', killswitch: false, colour: 'blue', alwaysOn: 'yes' },
    '/etc/outpost/policy.json',
  );
  assert.equal(policy.killSwitch, true, 'the forced kill switch survives the mistakes around it');
  assert.equal(policy.logLevel, 'info');
  assert.equal(policy.alwaysOn, false);
  assert.deepEqual(
    warnings.map((w) => w.key),
    ['logLevel', 'killswitch', 'colour', 'alwaysOn'],
  );
  assert.ok(warnings.every((w) => w.message.startsWith('/etc/outpost/policy.json: ')));
  assert.match(warnings[1]!.message, /did you mean "killSwitch"\?/);
});

test('updates: "off" or an https address only; http, credentials in the URL and junk are ignored', () => {
  assert.equal(parsePolicy({ updates: 'off' }, 't').policy.updates, 'off');
  assert.equal(
    parsePolicy({ updates: 'https://u.example.com/feed' }, 't').policy.updates,
    'https://u.example.com/feed',
  );
  for (const bad of ['http://u.example.com/feed', 'https://me:pw@u.example.com/', 'file:///etc/passwd', 'soon', 1]) {
    const { policy, warnings } = parsePolicy({ updates: bad }, 't');
    assert.equal(policy.updates, 'off', String(bad));
    assert.equal(warnings.length, 1);
  }
});

test('allowedAuthMethods: unknown methods are dropped, never widened to "all"', () => {
  const some = parsePolicy({ allowedAuthMethods: ['psk', 'eap-sim'] }, 't');
  assert.deepEqual(some.policy.allowedAuthMethods, ['psk']);
  assert.match(some.warnings[0]!.message, /"eap-sim" is not a sign-in method Outpost knows/);
  const none = parsePolicy({ allowedAuthMethods: ['eap-sim'] }, 't');
  assert.deepEqual(none.policy.allowedAuthMethods, [], 'IT restricted the list: nothing we know is allowed');
  const wrong = parsePolicy({ allowedAuthMethods: 'psk' }, 't');
  assert.deepEqual(wrong.policy.allowedAuthMethods, AUTH_METHODS, 'not a list at all: the key is ignored');
});

test('profiles: bad entries are left out, good ones kept in order', () => {
  const { policy, warnings } = parsePolicy({ profiles: ['b', '', 3, 'a'] }, 't');
  assert.deepEqual(policy.profiles, ['b', 'a']);
  assert.equal(warnings.length, 2);
});

test('something that is not an object is no policy at all', () => {
  for (const raw of [null, [], 'x', 3]) {
    const { policy, warnings } = parsePolicy(raw, 'src');
    assert.deepEqual(policy, DEFAULT_POLICY);
    assert.equal(warnings.length, 1);
  }
});

test('the defaults are not shared: changing one parsed policy leaves the next alone', () => {
  parsePolicy({}, 't').policy.allowedAuthMethods.pop();
  assert.deepEqual(parsePolicy({}, 't').policy.allowedAuthMethods, AUTH_METHODS);
});

test('requiredNotifications: known kinds are kept, unknown ones dropped with a warning, a non-list ignored', () => {
  const some = parsePolicy({ requiredNotifications: ['reconnecting', 'popups', 'password'] }, 't');
  assert.deepEqual(some.policy.requiredNotifications, ['reconnecting', 'password']);
  assert.match(some.warnings[0]?.message ?? '', /"popups" is not a notification Outpost shows/);
  const wrong = parsePolicy({ requiredNotifications: 'disconnected' }, 't');
  assert.deepEqual(wrong.policy.requiredNotifications, []);
  assert.equal(wrong.warnings.length, 1);
});
