import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import type { Settings } from '../ipc/schema.js';
import { DEFAULT_NOTIFICATIONS, DEFAULT_SETTINGS, SettingsStore } from './settings-store.js';
import { CommandFailure } from './ui-error.js';

async function withDir(body: (dir: string) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'outpost-settings-'));
  try {
    await body(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

test('no file gives the defaults; a change is merged, written and read back', () =>
  withDir(async (dir) => {
    const store = new SettingsStore(dir);
    assert.deepEqual(await store.get(), DEFAULT_SETTINGS);
    assert.deepEqual(await store.set({ autoConnect: true }), {
      ...DEFAULT_SETTINGS,
      autoConnect: true,
    });
    assert.deepEqual(await store.set({ lastProfileId: 'p1' }), {
      ...DEFAULT_SETTINGS,
      autoConnect: true,
      lastProfileId: 'p1',
    });
    assert.deepEqual(await new SettingsStore(dir).get(), {
      ...DEFAULT_SETTINGS,
      autoConnect: true,
      lastProfileId: 'p1',
    });
    assert.deepEqual(JSON.parse(await readFile(join(dir, 'settings.json'), 'utf8')), {
      ...DEFAULT_SETTINGS,
      autoConnect: true,
      lastProfileId: 'p1',
    });
  }));

test('a damaged or hand-edited file is validated field by field on read', () =>
  withDir(async (dir) => {
    const store = new SettingsStore(dir);
    await writeFile(join(dir, 'settings.json'), '{ not json');
    assert.deepEqual(await store.get(), DEFAULT_SETTINGS);
    await writeFile(
      join(dir, 'settings.json'),
      JSON.stringify({ autoConnect: 'yes', launchAtLogin: true, lastProfileId: 7, password: 'x' }),
    );
    assert.deepEqual(await store.get(), { ...DEFAULT_SETTINGS, launchAtLogin: true });
  }));

test('a change of the wrong type is refused and nothing is written', () =>
  withDir(async (dir) => {
    const store = new SettingsStore(dir);
    await assert.rejects(store.set({ autoConnect: 'true' } as unknown as Partial<Settings>), (e: unknown) => {
      assert.ok(e instanceof CommandFailure);
      assert.equal(e.uiError.code, 'settings-invalid');
      return true;
    });
    await assert.rejects(store.set({ password: 'x' } as unknown as Partial<Settings>), CommandFailure);
    assert.deepEqual(await store.get(), DEFAULT_SETTINGS);
  }));

test('notification switches: defaults filled in, one switch changed keeps the others, bad kinds refused', () =>
  withDir(async (dir) => {
    const store = new SettingsStore(dir);
    assert.deepEqual((await store.get()).notifications, DEFAULT_NOTIFICATIONS);
    assert.equal(DEFAULT_NOTIFICATIONS.connected, false, 'a connect the user just clicked is not announced');
    const off = await store.set({ notifications: { reconnecting: false } as never });
    assert.deepEqual(off.notifications, { ...DEFAULT_NOTIFICATIONS, reconnecting: false });
    assert.deepEqual((await new SettingsStore(dir).get()).notifications?.reconnecting, false);
    await assert.rejects(store.set({ notifications: { popups: true } as never }), CommandFailure);
    await assert.rejects(store.set({ notifications: { password: 'no' } as never }), CommandFailure);
    await writeFile(
      join(dir, 'settings.json'),
      JSON.stringify({ notifications: { connected: 'yes', password: false } }),
    );
    assert.deepEqual((await store.get()).notifications, { ...DEFAULT_NOTIFICATIONS, password: false });
  }));
