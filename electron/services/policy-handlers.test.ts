/** IT's policy as the window meets it: through the same command handlers main registers. */
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { defaultPolicy, type Policy } from '../../core/policy/schema.js';
import type { UiError } from '../ipc/schema.js';
import { type BaseHandlers, createHandlers } from './handlers.js';
import { LogBuffer } from './log-buffer.js';
import { ProfileStore } from './profile-store.js';
import { SettingsStore } from './settings-store.js';
import { MemorySecretStore, pskProfileJson, scriptedConnection } from './test-support.js';

async function setup(
  policy: Partial<Policy>,
  body: (ctx: { handlers: BaseHandlers; secrets: MemorySecretStore }) => Promise<void>,
): Promise<void> {
  const root = await mkdtemp(join(tmpdir(), 'outpost-policy-handlers-'));
  const managed = join(root, 'managed');
  await mkdir(managed);
  await writeFile(join(managed, 'office.json'), pskProfileJson('Office'));
  const full = { ...defaultPolicy(), ...policy };
  const secrets = new MemorySecretStore();
  const logs = new LogBuffer();
  const profiles = new ProfileStore({ configDir: join(root, 'config'), managedDir: managed, secrets, policy: full });
  const { connection } = scriptedConnection({ profiles, secrets, logs, policy: full });
  const settings = new SettingsStore(join(root, 'config'));
  const handlers = createHandlers({ profiles, settings, secrets, connection, logs, policy: full });
  try {
    await body({ handlers, secrets });
  } finally {
    await connection.disconnect();
    await rm(root, { recursive: true, force: true });
  }
}

function refused(code: string) {
  return (e: unknown) => {
    assert.ok(e instanceof Error);
    const error = JSON.parse(e.message) as UiError;
    assert.equal(error.code, code);
    return true;
  };
}

test('policy:get: no policy is the defaults; defaultProfile is resolved to the listed profile’s id', async () => {
  await setup({}, async ({ handlers }) => {
    assert.deepEqual(await handlers['policy:get'](), defaultPolicy());
  });
  await setup({ defaultProfile: 'office.json', updates: 'https://u.example.com/' }, async ({ handlers }) => {
    const policy = await handlers['policy:get']();
    assert.equal(policy.defaultProfileId, 'managed-office');
    assert.equal(policy.updates, 'https://u.example.com/');
  });
  await setup({ defaultProfile: 'gone' }, async ({ handlers }) => {
    assert.equal((await handlers['policy:get']()).defaultProfileId, undefined);
  });
});

test('alwaysOn: Disconnect is refused in words; startup and connect settings read as on and cannot be changed', () =>
  setup({ alwaysOn: true }, async ({ handlers }) => {
    await handlers['connection:connect']({ profileId: 'managed-office', password: 'psk' });
    await assert.rejects(handlers['connection:disconnect'](), (e: unknown) => {
      assert.ok(e instanceof Error);
      assert.equal(
        (JSON.parse(e.message) as UiError).message,
        'Your IT department keeps this VPN connected at all times.',
      );
      return true;
    });
    assert.equal((await handlers['connection:status']()).state, 'connected');
    const settings = await handlers['settings:get']();
    assert.equal(settings.autoConnect, true);
    assert.equal(settings.launchAtLogin, true);
    await assert.rejects(handlers['settings:set']({ launchAtLogin: false }), refused('policy-setting'));
    assert.equal((await handlers['settings:set']({ killSwitch: true })).killSwitch, true, 'other settings are free');
  }));

test('killSwitch forced: the setting reads on and turning it off is refused', () =>
  setup({ killSwitch: true }, async ({ handlers }) => {
    assert.equal((await handlers['settings:get']()).killSwitch, true);
    await assert.rejects(handlers['settings:set']({ killSwitch: false }), refused('policy-setting'));
    assert.equal((await handlers['settings:set']({ killSwitch: true, autoConnect: true })).killSwitch, true);
  }));

test("requiredNotifications: those read on and cannot be turned off; the others stay the user's", () =>
  setup({ requiredNotifications: ['disconnected'] }, async ({ handlers }) => {
    assert.equal((await handlers['settings:get']()).notifications?.disconnected, true);
    await assert.rejects(
      handlers['settings:set']({ notifications: { disconnected: false } as never }),
      refused('policy-setting'),
    );
    const changed = await handlers['settings:set']({ notifications: { reconnecting: false } as never });
    assert.equal(changed.notifications?.reconnecting, false);
    assert.equal(changed.notifications?.disconnected, true);
  }));

test('allowRememberPassword false: "remember" stores nothing, and a stored password is not reported', () =>
  setup({ allowRememberPassword: false }, async ({ handlers, secrets }) => {
    await secrets.set('managed-office', 'psk', 'from before the policy');
    assert.equal((await handlers['profiles:list']())[0]?.hasPassword, false);
    await handlers['credentials:set']({ profileId: 'managed-office', username: '', password: 'new', remember: true });
    assert.equal(secrets.values.size, 0);
  }));

test('allowUserProfiles false: import is refused with the sentence the window shows', () =>
  setup({ allowUserProfiles: false }, async ({ handlers }) => {
    await assert.rejects(
      handlers['profiles:import']({ name: 'mine.json', content: pskProfileJson('Mine') }),
      refused('policy-user-profiles'),
    );
    assert.deepEqual(
      (await handlers['profiles:list']()).map((p) => [p.id, p.managed]),
      [['managed-office', true]],
    );
  }));
